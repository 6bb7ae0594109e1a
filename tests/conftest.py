"""Fixtures: a fresh app, database and search index for every test (``tmp_path``).

* ``app`` — migrated, empty database. SQLite by default; set ``OUTREACH_TEST_DATABASE_URL`` to a
  PostgreSQL URL to run the database tests there (CI does: ``pytest -m db``).
* ``demo_app`` — the real seed content from ``content/`` loaded and indexed (SQLite), copied per
  test from a session-wide template so each test still starts from the same state.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach import create_app
from outreach.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("OUTREACH_TEST_DATABASE_URL", "")


def _config(instance: Path, **extra) -> dict:
    config = {
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{instance / 'outreach.sqlite3'}",
        "CONTENT_DIR": str(PROJECT_ROOT / "content"),
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


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Flask-Babel reads .mo files, which are built rather than committed: compile them once."""
    from outreach.config import Settings
    from outreach.i18n.catalogs import compile_catalogs

    compile_catalogs(PROJECT_ROOT / "translations", Settings.LOCALES)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """A migrated, empty SQLite database, built once per session and copied for each test."""
    folder = tmp_path_factory.mktemp("template-empty")
    _migrate(create_app(_config(folder)))
    return folder / "outreach.sqlite3"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The seed content loaded and indexed once per session (SQLite + Whoosh)."""
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
        _empty_postgres(application)
        _migrate(application)
    else:
        shutil.copy(migrated_template, tmp_path / "outreach.sqlite3")
        application = create_app(_config(tmp_path))
    yield application
    _dispose(application)


@pytest.fixture
def demo_app(tmp_path, demo_template):
    for item in demo_template.iterdir():
        if item.is_dir():
            shutil.copytree(item, tmp_path / item.name)
        else:
            shutil.copy(item, tmp_path / item.name)
    application = create_app(_config(tmp_path))
    yield application
    _dispose(application)


def _dispose(application) -> None:
    application.extensions["outreach.search"].close()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo_crawl(demo_template, tmp_path_factory):
    """Every public page of the demo site in every locale, crawled once (read-only): (app, pages)."""
    from tests.crawling import crawl_demo_site

    application, pages = crawl_demo_site(demo_template, tmp_path_factory.mktemp("demo-crawl"))
    yield application, pages
    _dispose(application)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
