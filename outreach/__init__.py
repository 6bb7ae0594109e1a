"""Outreach: a private, multilingual directory of substance-use support."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from .config import load_settings, to_flask_config

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: config → extensions → i18n → search → blueprints → errors → CLI."""
    settings = load_settings(test_config)
    app = Flask(__name__, instance_path=settings.INSTANCE_PATH, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(to_flask_config(settings))
    app.extensions["outreach.settings"] = settings

    _quiet_request_logging()

    from . import models_registry  # noqa: F401  (every model known before migrations run)
    from .extensions import csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)

    from .i18n import setup as i18n_setup

    i18n_setup.init_app(app)

    from .search import init_app as search_init_app

    search_init_app(app)

    from . import security

    security.init_app(app)

    from .directory.routes import bp as directory_bp
    from .directory.routes import root as root_bp
    from .site.routes import bp as site_bp

    app.register_blueprint(root_bp)
    app.register_blueprint(site_bp)
    app.register_blueprint(directory_bp)

    # Staff: server-side sessions (only staff pages write one), deny-by-default access, pages.
    from .accounts import access as staff_access
    from .accounts import sessions as staff_sessions
    from .accounts.routes import bp as accounts_bp
    from .audit.routes import bp as audit_bp

    staff_sessions.init_app(app)
    staff_access.init_app(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(audit_bp)

    # Anonymous help requests (resident pages and the organization inbox), rate-limited.
    from . import help as help_requests
    from . import ratelimit

    ratelimit.init_app(app)
    help_requests.init_app(app)

    # Awareness campaigns and events (resident pages, feeds, staff publishing); sitemap and robots.txt.
    from . import campaigns
    from .site.discovery import bp as discovery_bp

    campaigns.init_app(app)
    app.register_blueprint(discovery_bp)

    from .api.routes import bp as api_bp  # the read-only HSDS 3.0 API under /api/

    app.register_blueprint(api_bp)

    from .insights.routes import bp as insights_bp  # anonymous weekly demand, for staff

    app.register_blueprint(insights_bp)

    from . import operations  # reverse-proxy hop count (ProxyFix) and GET /healthz for the load balancer

    operations.init_app(app)

    from . import listings  # listing edits, the review queue, problem reports, freshness

    listings.init_app(app)

    from . import templating

    templating.init_app(app)

    from . import errors

    errors.init_app(app)

    from .cli import outreach_cli

    app.cli.add_command(outreach_cli)
    return app


def _quiet_request_logging() -> None:
    """Werkzeug's access log prints the client address and the query string: never for residents."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
