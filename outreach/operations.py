"""What the machines around the app need from it: the reverse proxy's hop count and a health check.

* :func:`init_app` trusts the forwarded headers of exactly ``PROXY_HOPS`` proxies (Werkzeug's
  ``ProxyFix``), so the rate limits see the resident's address (and only ever as the daily HMAC of
  ``outreach/ratelimit.py``) and ``url_for`` knows the site is served over HTTPS. With 0 (the default)
  no forwarded header is trusted: a client could otherwise pick any address it likes.
* ``GET /healthz`` is for the load balancer: 200 when the database answers, 503 when it does not, and
  how far this machine's search index lags behind the database's outbox (seconds since the oldest
  change it has not applied yet, 0 when it is up to date). Nothing else: no version, host name, count
  or error text; no cookie, never cached. The access log (``outreach/gunicorn_conf.py``) records its
  path without a query string, like every other request.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import Blueprint, Flask, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db
from .search import backend
from .search.models import SearchOutbox
from .search.outbox import TRAILING_WINDOW, Position

bp = Blueprint("operations", __name__)
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # The same count for every header a proxy sets: the client's address, the scheme, the host
        # and the port. A prefix is never trusted (the site is always served at /).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=0)
    app.register_blueprint(bp)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def index_lag_seconds() -> float:
    """Seconds since the oldest outbox row this machine's index has not applied (0: none).

    The same rows as :func:`outreach.search.outbox.pending_rows` counts as pending: every id past
    the recorded position, and ids inside the trailing window that committed late and are not yet
    applied. Only ids and one timestamp are read, however long the outbox is.
    """
    position = Position.read(backend().state_dir)
    oldest = db.session.scalar(select(func.min(SearchOutbox.created_at)).where(SearchOutbox.id > position.last_id))
    floor = max(0, position.last_id - TRAILING_WINDOW)
    window = set(db.session.scalars(
        select(SearchOutbox.id).where(SearchOutbox.id > floor, SearchOutbox.id <= position.last_id)))
    late = sorted(window - set(position.recent))
    if late:
        late_oldest = db.session.scalar(select(func.min(SearchOutbox.created_at)).where(SearchOutbox.id.in_(late)))
        if late_oldest is not None and (oldest is None or _as_utc(late_oldest) < _as_utc(oldest)):
            oldest = late_oldest
    if oldest is None:
        return 0.0
    return max(0.0, round((datetime.now(timezone.utc) - _as_utc(oldest)).total_seconds(), 1))


@bp.get("/healthz")
def health():
    try:
        db.session.execute(select(1))
        lag = index_lag_seconds()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("Health check: the database cannot be reached (%s)", type(error).__name__)
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok", index_lag_seconds=lag)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- `make serve-prod`: the database itself --------------------------------------------------------


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` when it does not exist yet. True if created."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    if not target.get_backend_name().startswith("postgresql") or not target.database:
        return False
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": target.database}).first()
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(target.database)
            connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    import os
    import sys

    from .config import load_settings

    arguments = sys.argv[1:] if argv is None else argv
    if arguments != ["ensure-database"]:
        print("usage: python -m outreach.operations ensure-database  (OUTREACH_DATABASE_URL names it)", file=sys.stderr)
        return 2
    url = load_settings(environ=os.environ).database_url
    if ensure_database(url):
        print(f"Created the database {url.rsplit('/', 1)[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
