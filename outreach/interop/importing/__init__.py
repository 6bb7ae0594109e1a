"""``flask outreach hsds import``: an Open Referral HSDS 3.0 file → the directory, all or nothing.

1. :mod:`.reading` reads JSON (a list, one nested object, or an export folder) or a tabular data
   package, and checks it against the official HSDS 3.0 schemas;
2. :mod:`.mapping` turns records into rows of our tables and checks our own rules (ids, references,
   dates, enums, what our columns hold), keeping unknown taxonomy terms in their own taxonomy;
3. :mod:`.writing` compares with the database and writes the differences in bulk.

Every problem of steps 1 and 2 is collected with its place (file, row, field) and reported together;
with any problem nothing is written. Steps 3's writes and the search outbox rows share one transaction.
"""
from __future__ import annotations

import gc
from pathlib import Path

from ...extensions import db
from .mapping import map_records
from .problems import ImportFailed, Problem, Problems
from .reading import read
from .writing import Summary, write


def import_hsds(path: Path, *, default_locale: str = "en", dry_run: bool = False) -> Summary:
    """Validate everything in ``path``, then (unless ``dry_run``) write it in one transaction.

    Raises :class:`ImportFailed` with every problem found; the database is then unchanged.
    ``default_locale`` is the language of the file's text for records new to the directory.
    """
    problems = Problems()
    # Hundreds of thousands of small objects live until the write: the cyclic garbage collector's
    # repeated full passes over them would cost more than the import itself (none of them form cycles).
    collecting = gc.isenabled()
    gc.disable()
    try:
        collected = read(path, problems)
        # Records with schema problems are left out; the rest still go through our own checks, so
        # one run reports every problem.
        mapped = map_records(collected, problems, default_locale)
        problems.raise_if_any()
        summary = write(mapped, dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if collecting:
            gc.enable()
    return summary


__all__ = ["ImportFailed", "Problem", "Summary", "import_hsds"]
