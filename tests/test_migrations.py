import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from outreach.extensions import db


@pytest.mark.db
def test_migrations_match_the_models(app):
    """Every model change ships with a migration: autogenerate finds nothing left to do."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.db
def test_migrations_create_the_hsds_tables(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    for name in ("organization", "service", "location", "service_at_location", "address", "phone", "schedule",
                 "language", "accessibility", "cost_option", "required_document", "service_area", "taxonomy",
                 "taxonomy_term", "attribute", "translated_text"):
        assert name in tables
