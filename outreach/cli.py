"""``flask outreach …``: commands grouped by area."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .accounts.cli import accounts_cli
from .demo_cli import demo_command
from .help.cli import help_cli
from .i18n.cli import i18n_cli
from .listings.cli import listings_cli

outreach_cli = AppGroup("outreach", help="Outreach maintenance commands.")
content_cli = AppGroup("content", help="Seed content in content/.")
search_cli = AppGroup("search", help="The search index under instance/.")
outreach_cli.add_command(content_cli)
outreach_cli.add_command(search_cli)
outreach_cli.add_command(i18n_cli)
outreach_cli.add_command(accounts_cli)
outreach_cli.add_command(help_cli)
outreach_cli.add_command(listings_cli)
outreach_cli.add_command(demo_command)


def _checksum_file() -> Path:
    return Path(current_app.instance_path) / "content.sha256"


def _has_listings() -> bool:
    from sqlalchemy import func, select

    from .directory.models import Organization
    from .extensions import db

    return bool(db.session.scalar(select(func.count(Organization.id))))


@content_cli.command("load")
@click.option("--path", type=click.Path(file_okay=False, path_type=Path), default=None, help="Content folder.")
@click.option("--if-changed", is_flag=True, help="Skip when the files are unchanged since the last load.")
@click.option("--overwrite-staff-edits", is_flag=True,
              help="Also replace listings edited through the staff pages (they are kept and reported otherwise).")
def content_load(path: Path | None, if_changed: bool, overwrite_staff_edits: bool) -> None:
    """Validate and load the seed content (re-running updates in place).

    Listings edited through the staff pages are left as staff made them and listed, unless
    --overwrite-staff-edits is given: the people who run a service know it better than the seed files.
    """
    from .directory.seed import ContentError, content_checksum, load_content
    from .campaigns.content import load_campaigns, read_campaigns
    from .search.services import reindex

    root = path or Path(current_app.config["CONTENT_DIR"])
    checksum = content_checksum(root)
    marker = _checksum_file()
    if if_changed and marker.is_file() and marker.read_text().strip() == checksum and _has_listings():
        click.echo("Content unchanged since the last load.")
        return
    from .listings.services import staff_edited

    protected_services, protected_locations = (set(), set()) if overwrite_staff_edits else staff_edited()
    kept: list[str] = []
    try:
        campaign_specs = read_campaigns(root)  # validated before anything is written
        counts = load_content(root, protected_services=protected_services, protected_locations=protected_locations,
                              kept=kept)
        campaign_count = load_campaigns(campaign_specs)
    except ContentError as error:
        click.echo(f"Nothing was loaded: {len(error.problems)} problem(s) in {root}:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    if path is None:
        marker.write_text(checksum + "\n")
    indexed = reindex()
    click.echo(
        f"Loaded {counts['organization']} organizations, {counts['location']} locations and "
        f"{counts['service']} services; indexed {indexed} services."
    )
    click.echo(f"Loaded {campaign_count} campaigns.")
    if kept:
        click.echo(f"Kept {len(kept)} listing(s) as edited through the staff pages (use --overwrite-staff-edits "
                   "to replace them with the content files):")
        for item in kept:
            click.echo(f"  {item}")


@search_cli.command("reindex")
@click.option("--if-missing", is_flag=True, help="Only build the index when there is none.")
def search_reindex(if_missing: bool) -> None:
    """Rebuild the search index from the database."""
    from .search.services import ensure_index, reindex

    if if_missing:
        click.echo("Index built." if ensure_index() else "Index present.")
        return
    click.echo(f"Indexed {reindex()} services.")


@search_cli.command("check")
def search_check() -> None:
    """Report documents missing from the index, stale in it, or in it but gone from the database."""
    from .search.services import check_index

    report = check_index()
    click.echo(f"missing: {len(report.missing)}  stale: {len(report.stale)}  extra: {len(report.extra)}")
    for label, ids in (("missing", report.missing), ("stale", report.stale), ("extra", report.extra)):
        for service_id in ids:
            click.echo(f"  {label} {service_id}")
    sys.exit(0 if report.is_clean else 1)


@search_cli.command("sync")
@click.option("--watch", is_flag=True, help="Keep applying new changes every --interval seconds.")
@click.option("--interval", type=float, default=1.0, show_default=True)
@click.option("--prune-days", type=int, default=7, show_default=True, help="Delete outbox rows older than this.")
def search_sync(watch: bool, interval: float, prune_days: int) -> None:
    """Apply listing changes from the database outbox to this machine's index."""
    import time

    from .search import IndexBusy
    from .search.services import prune_outbox, sync

    while True:
        try:
            count = sync()
            if count or not watch:
                click.echo(f"Indexed {count} services.")
        except IndexBusy:
            click.echo("Another process is updating the index; nothing to do.")
        if not watch:
            prune_outbox(prune_days)
            return
        time.sleep(interval)


geo_cli = AppGroup("geo", help="ZIP code centroids for distance search.")
outreach_cli.add_command(geo_cli)


@geo_cli.command("load")
@click.option("--path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="CSV of ZIP,LAT,LNG.")
@click.option("--if-empty", is_flag=True, help="Only load when the table is empty.")
def geo_load(path: Path | None, if_empty: bool) -> None:
    """Load the Census ZCTA centroids (replaces the table, in one transaction)."""
    from .geo.services import CentroidFileError, centroid_count, load_centroids

    if if_empty and centroid_count():
        click.echo("ZIP centroids present.")
        return
    source = path or Path(current_app.config["CONTENT_DIR"]) / "geo" / "us-zcta-centroids.csv"
    try:
        count = load_centroids(source)
    except (CentroidFileError, OSError) as error:
        click.echo(f"Nothing was loaded from {source}: {error}", err=True)
        sys.exit(1)
    click.echo(f"Loaded {count} ZIP centroids.")


hsds_cli = AppGroup("hsds", help="Open Referral HSDS 3.0 data exchange.")
outreach_cli.add_command(hsds_cli)


@hsds_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "datapackage"]), default="json", show_default=True,
              help="json: fully nested services and organizations; datapackage: datapackage.json and CSVs.")
@click.option("--lang", default=None, help="Write text in this locale (falling back to the source text).")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def hsds_export(fmt: str, lang: str | None, directory: Path) -> None:
    """Write the directory as an HSDS 3.0 package into DIRECTORY (confidential addresses left out)."""
    from .interop.export import export

    if lang is not None and lang not in current_app.config["LOCALES"]:
        raise click.BadParameter(f"must be one of {', '.join(current_app.config['LOCALES'])}", param_hint="--lang")
    counts = export(directory, fmt, lang)
    summary = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
    click.echo(f"Wrote an HSDS 3.0 {fmt} package to {directory}: {summary or 'no records'}.")


@hsds_cli.command("import")
@click.option("--dry-run", is_flag=True, help="Validate and count what would change; write nothing.")
@click.option("--no-index", is_flag=True,
              help="Leave the search index to `search sync` / `search reindex` (the outbox rows are written anyway).")
@click.argument("path", type=click.Path(path_type=Path))
def hsds_import(dry_run: bool, no_index: bool, path: Path) -> None:
    """Import an HSDS 3.0 JSON file, export folder or data package (validated first; all or nothing)."""
    from .interop.importing import ImportFailed, import_hsds
    from .search.services import sync

    try:
        summary = import_hsds(path, default_locale=current_app.config["LOCALES"][0], dry_run=dry_run)
    except ImportFailed as error:
        click.echo(f"Nothing was imported: {len(error.problems)} problem(s) in {path}:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    verb = "Would import" if dry_run else "Imported"
    click.echo(f"{verb} {path}:")
    for kind, counts in summary.counts.items():
        if any(counts.values()):
            click.echo(f"  {kind}: {counts['created']} created, {counts['updated']} updated, "
                       f"{counts['unchanged']} unchanged")
    for table, count in summary.removed.items():
        click.echo(f"  {table}: {count} {'would be ' if dry_run else ''}removed (no longer in the file)")
    for table, count in summary.ignored.items():
        click.echo(f"  {table}: {count} not kept (this site has no {table} records)")
    for note in summary.notes:
        click.echo(f"  note: {note}")
    if dry_run or summary.reindex == "nothing":
        return
    if no_index:
        click.echo(f"Search: {summary.reindex} to re-index; run `flask outreach search sync`.")
        return
    from .search import IndexBusy

    try:
        click.echo(f"Search: indexed {sync()} services.")
    except IndexBusy:
        click.echo("Search: another process is updating the index; `flask outreach search sync` will catch up.")
