"""Anonymous help requests: form, routing, encryption, receipt follow-up, organization inbox."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event


def _secure_delete(dbapi_connection, _record) -> None:
    """SQLite keeps deleted rows in free pages until they are reused: overwrite them with zeros, so a
    copy of the file taken after a purge holds no deleted key."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def init_app(app: Flask) -> None:
    from ..extensions import db
    from . import keystore
    from .routes import bp as resident_bp
    from .staff_routes import bp as staff_bp

    keystore.init_app(app)
    app.register_blueprint(resident_bp)
    app.register_blueprint(staff_bp)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _secure_delete)
