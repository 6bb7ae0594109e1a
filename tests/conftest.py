"""Fixtures: a fresh app, database and search index for every test (``tmp_path``).

* ``app`` — migrated, empty database. SQLite by default; set ``OUTREACH_TEST_DATABASE_URL`` to a
  PostgreSQL URL to run the database tests there (CI does: ``pytest -m db``).
* ``demo_app`` — the real seed content from ``content/`` loaded and indexed (SQLite), copied per
  test from a session-wide template so each test still starts from the same state.
"""
from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach import create_app
from outreach.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("OUTREACH_TEST_DATABASE_URL", "")
# The search engine every test app uses: `OUTREACH_TEST_SEARCH_BACKEND=tantivy` runs the suite on tantivy.
TEST_SEARCH_BACKEND = os.environ.get("OUTREACH_TEST_SEARCH_BACKEND", "whoosh")


def _config(instance: Path, **extra) -> dict:
    config = {
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{instance / 'outreach.sqlite3'}",
        "CONTENT_DIR": str(PROJECT_ROOT / "content"),
        "SEARCH_BACKEND": TEST_SEARCH_BACKEND,
        # Every request asks the database for the data versions: several apps in one test see each
        # other's changes at once (tests/test_caching.py checks the poll on its own).
        "DATA_VERSION_POLL_SECONDS": 0,
        # Each search's anonymous count is written at once (tests/test_search.py checks the buffering).
        "SEARCH_COUNT_FLUSH_SECONDS": 0,
    }
    config.update(extra)
    return config


def _migrate(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def _empty_postgres(app) -> None:
    """Drop every table (and Alembic's record) so the next upgrade starts from nothing."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))


@functools.lru_cache(maxsize=1)
def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from outreach import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def _fresh_postgres(app) -> None:
    """An empty, migrated PostgreSQL database for one test: emptying every table of an already
    migrated schema takes milliseconds, dropping and migrating again half a second (done when the
    schema is not at the current revision, or emptying fails)."""
    with app.app_context():
        head = _head_revision()
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        try:
            with db.engine.begin() as connection:
                current = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                if current != head:
                    raise LookupError(current)
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        except (LookupError, sa.exc.DBAPIError):
            pass
    _empty_postgres(app)
    _migrate(app)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Flask-Babel reads .mo files, which are built rather than committed: compile them once."""
    from outreach.i18n.catalogs import compile_catalogs
    from outreach.i18n.locales import table_codes

    compile_catalogs(PROJECT_ROOT / "translations", table_codes())


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite database, built once per session and copied for each test."""
    folder = tmp_path_factory.mktemp("template-empty")
    _migrate(create_app(_config(folder)))
    return folder / "outreach.sqlite3"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The seed content loaded and indexed once per session (SQLite + the search index)."""
    folder = tmp_path_factory.mktemp("template-demo")
    app = create_app(_config(folder))
    _migrate(app)
    result = app.test_cli_runner().invoke(args=["outreach", "content", "load"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(args=["outreach", "geo", "load"])  # ZIP centroids for near-me
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def app(tmp_path, migrated_template):
    if TEST_DATABASE_URL:
        application = create_app(_config(tmp_path, DATABASE_URL=TEST_DATABASE_URL))
        _fresh_postgres(application)
    else:
        shutil.copy(migrated_template, tmp_path / "outreach.sqlite3")
        application = create_app(_config(tmp_path))
    yield application
    _dispose(application)


@pytest.fixture
def second_app(app, tmp_path):
    """Another app on ``app``'s database, with an instance folder of its own: another gunicorn worker,
    or another machine."""
    url = TEST_DATABASE_URL or app.config["SQLALCHEMY_DATABASE_URI"]
    application = create_app(_config(tmp_path / "second", DATABASE_URL=url))
    yield application
    _dispose(application)


@pytest.fixture
def make_app(tmp_path, migrated_template):
    """Build the ``app`` fixture's app with extra settings: ``make_app(WTF_CSRF_ENABLED=False)``."""
    made = []

    def build(**extra):
        if TEST_DATABASE_URL:
            application = create_app(_config(tmp_path, DATABASE_URL=TEST_DATABASE_URL, **extra))
            _fresh_postgres(application)
        else:
            shutil.copy(migrated_template, tmp_path / "outreach.sqlite3")
            application = create_app(_config(tmp_path, **extra))
        made.append(application)
        return application

    yield build
    for application in made:
        _dispose(application)


@pytest.fixture
def demo_app(tmp_path, demo_template):
    from tests.crawling import copy_demo_app

    application = copy_demo_app(demo_template, tmp_path)
    yield application
    _dispose(application)


def _dispose(application) -> None:
    application.extensions["outreach.search"].close()
    if "outreach.redis" in application.extensions:
        application.extensions["outreach.redis"].close()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo_site_app(demo_template, tmp_path_factory):
    """One app over the demo content shared by the tests that only read it (never write through it)."""
    from tests.crawling import copy_demo_app

    application = copy_demo_app(demo_template, tmp_path_factory.mktemp("demo-site"))
    yield application
    _dispose(application)


@pytest.fixture(scope="session")
def demo_crawl(demo_site_app):
    """Every public page of the demo site in every locale, crawled once: (app, pages)."""
    from tests.crawling import crawl_site

    return demo_site_app, crawl_site(demo_site_app.test_client())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
