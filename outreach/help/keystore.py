"""The help key store: one random **erasure secret** per help request, kept outside the main database.

Why: every key that opens a request (sealed to the organization, wrapped under the receipt, re-sealed
when forwarded) is stored in the main database, so a copy of that database taken before a deletion
would still open the request with a member's password, the recovery key or the receipt. Each of those
wraps is therefore encrypted once more (``SecretBox``) under the request's erasure secret, which lives
only here, in a separate database (``OUTREACH_HELP_KEYSTORE_URL``; by default a SQLite file in the
instance folder with ``secure_delete`` on). Deleting a request destroys its secret first: from then
on no copy of the main database, backups included, can be opened with any key still stored anywhere
(crypto-shredding). A request whose secret is missing is treated as gone.

The table is created here (``CREATE TABLE IF NOT EXISTS`` through ``create_all``) rather than by an
Alembic migration of the main database: it must never be part of it, nor of its backups.

Order of writes across the two databases (there is no shared transaction):

* a new request: its secret is committed here first, then the request; a crash in between leaves a
  secret for nothing, removed by the purge once it is two days old;
* a deletion: the secret is destroyed here first, then the rows; a crash in between leaves rows that
  nothing can open, treated as gone and removed by the next purge.
"""
from __future__ import annotations

import os
import secrets
import threading
from datetime import date
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import Column, Date, LargeBinary, MetaData, String, Table, create_engine, delete, event, insert, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

SECRET_BYTES = 32
BATCH = 500  # ids per IN (...) list

metadata = MetaData()  # not the main database's metadata: Alembic and backups of it never see this table
erasure_secrets = Table(
    "help_erasure_secret", metadata,
    Column("request_id", String(32), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
    # A day, never a time: only so the purge can tell an orphan from a submission still in flight.
    Column("created_on", Date, nullable=False),
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")  # a destroyed secret is overwritten in the file, not unlinked
    cursor.execute("PRAGMA journal_mode = DELETE")  # no WAL file keeping old pages around
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


def _batches(ids: list[str]):
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


class KeyStore:
    """The erasure secrets of one installation. Its engine is made on first use in each process (so
    gunicorn's forked workers never share a connection)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def is_postgresql(self) -> bool:
        return make_url(self.url).get_backend_name() == "postgresql"

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None or self._pid != os.getpid():
                self._engine = self._make_engine()
                self._pid = os.getpid()
                metadata.create_all(self._engine, checkfirst=True)
            return self._engine

    def _make_engine(self) -> Engine:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                path = Path(url.database)
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():  # readable by this user only
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            # No pool: a connection per use, so no file handle outlives its work (SQLite opens fast).
            engine = create_engine(url, poolclass=NullPool, hide_parameters=True)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        options: dict = {"pool_pre_ping": True, "hide_parameters": True}
        if url.get_backend_name() == "postgresql":
            options["connect_args"] = {"gssencmode": "disable"}  # as for the main database (outreach/config.py)
        return create_engine(url, **options)

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None

    # -- use ------------------------------------------------------------------------------------------

    def create(self, request_id: str, today: date) -> bytes:
        """A fresh secret for ``request_id``, committed before the request itself is."""
        secret = secrets.token_bytes(SECRET_BYTES)
        with self.engine.begin() as connection:
            connection.execute(insert(erasure_secrets).values(request_id=request_id, secret=secret, created_on=today))
        return secret

    def get(self, request_id: str) -> bytes | None:
        with self.engine.connect() as connection:
            value = connection.execute(select(erasure_secrets.c.secret)
                                       .where(erasure_secrets.c.request_id == request_id)).scalar()
        return bytes(value) if value is not None else None

    def existing(self, request_ids) -> set[str]:
        """Which of ``request_ids`` still have their secret."""
        ids = sorted(set(request_ids))
        found: set[str] = set()
        with self.engine.connect() as connection:
            for batch in _batches(ids):
                found.update(connection.execute(select(erasure_secrets.c.request_id)
                                                .where(erasure_secrets.c.request_id.in_(batch))).scalars())
        return found

    def created_before(self, day: date) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(erasure_secrets.c.request_id)
                                           .where(erasure_secrets.c.created_on < day)).scalars())

    def destroy(self, request_ids) -> int:
        """Delete the secrets (committed at once): the requests can no longer be opened anywhere."""
        ids = sorted(set(request_ids))
        count = 0
        with self.engine.begin() as connection:
            for batch in _batches(ids):
                count += connection.execute(delete(erasure_secrets)
                                            .where(erasure_secrets.c.request_id.in_(batch))).rowcount or 0
        return count

    def vacuum(self) -> None:
        """PostgreSQL keeps deleted rows in the table's files until VACUUM: after a purge, rewrite the
        (small) table so destroyed secrets leave its files. Its WAL still holds them until recycled: see
        the README on backups and archiving. SQLite needs nothing (``secure_delete``)."""
        if not self.is_postgresql:
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM FULL {erasure_secrets.name}")


def init_app(app: Flask) -> None:
    app.extensions["outreach.help_keystore"] = KeyStore(app.config["HELP_KEYSTORE_URL"])


def keystore() -> KeyStore:
    return current_app.extensions["outreach.help_keystore"]
