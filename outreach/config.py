"""Typed configuration: defaults in code, then ``instance/config.py``, then ``OUTREACH_*`` variables.

The result is a frozen :class:`Settings`; ``create_app`` copies it into ``app.config`` under the
upper-case names Flask and its extensions expect.
"""
from __future__ import annotations

import os
import runpy
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping, get_type_hints

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEARCH_BACKENDS = ("whoosh", "tantivy")


@dataclass(frozen=True)
class Settings:
    # Folder for everything this installation writes: database, search index, secret key.
    INSTANCE_PATH: str = str(PROJECT_ROOT / "instance")
    # SQLAlchemy URL; empty means a SQLite file in the instance folder.
    DATABASE_URL: str = ""
    # Search engine: "whoosh" (pure Python, the default) or "tantivy" (Rust, much faster at tens of
    # thousands of listings; needs the tantivy package). Switching rebuilds the index on first use.
    SEARCH_BACKEND: str = "whoosh"
    # Where the search index lives; empty means <instance>/search-index for Whoosh and
    # <instance>/search-index-tantivy for tantivy, so the two never read each other's files.
    SEARCH_INDEX_DIR: str = ""
    # Signs sessions and CSRF tokens; empty means generated once into <instance>/secret_key.
    SECRET_KEY: str = ""
    # Locales the site is served in; the first is the fallback. Empty means every locale in
    # translations/locales.yaml; a list here (or OUTREACH_LOCALES="en,es") may only narrow that table.
    LOCALES: tuple[str, ...] = ()
    # The neutral page the quick exit sends people to (must not need JavaScript).
    QUICK_EXIT_URL: str = "https://www.weather.gov/"
    # Crisis and emergency numbers shown on every resident page.
    CRISIS_NUMBER: str = "988"
    EMERGENCY_NUMBER: str = "911"
    # A listing not verified for this many days is shown as "not verified recently".
    STALE_AFTER_DAYS: int = 180
    # Results per page on browse and search pages.
    PAGE_SIZE: int = 20
    # Pages per sitemap file; a directory with more gets a sitemap index (outreach/site/discovery.py).
    SITEMAP_PAGES_PER_FILE: int = 1000
    # Rendered home, category, listing, organization and search pages each worker keeps
    # (outreach/site/page_cache.py); 0 renders every request afresh. A copy is served until anything on
    # the page changes (data, opening hours, campaign windows) and at most PAGE_CACHE_SECONDS
    # (search pages: 60 seconds).
    PAGE_CACHE_ENTRIES: int = 2000
    PAGE_CACHE_SECONDS: int = 300
    # How often a worker asks the database whether the taxonomy or the listings changed (outreach/caching.py):
    # its own changes show at once; another worker's or machine's within this many seconds (0: every request).
    DATA_VERSION_POLL_SECONDS: float = 0.5
    # Anonymous searches-per-category counts are added up in each worker and written at most this often
    # (and when the worker stops); 0 writes each search's count at once.
    SEARCH_COUNT_FLUSH_SECONDS: float = 10.0
    # Seed content folder read by `flask outreach content load`.
    CONTENT_DIR: str = str(PROJECT_ROOT / "content")
    # Largest request body accepted (bytes); larger ones get the friendly 413 page.
    MAX_CONTENT_LENGTH: int = 1024 * 1024
    # Port for `make run` (read by the Makefile through the environment).
    PORT: int = 5000
    # True while running the test suite.
    TESTING: bool = False
    # Set when served over HTTPS so cookies carry the Secure flag (and the staff cookie the __Host- prefix).
    SECURE_COOKIES: bool = False
    # Redis URL for staff sessions (and later rate limits); empty keeps sessions in the database.
    REDIS_URL: str = ""
    # Staff sessions end after this many minutes without a request, and this many hours after sign-in.
    STAFF_IDLE_MINUTES: int = 30
    STAFF_ABSOLUTE_HOURS: int = 12
    # argon2id cost for staff passwords (OWASP's 2023 minimum is 19 MiB, 2 passes; we use more).
    PASSWORD_HASH_MEMORY_KIB: int = 65536
    PASSWORD_HASH_TIME_COST: int = 3
    # Allows `flask outreach accounts demo` to create the publicly documented demo staff accounts.
    DEMO_ACCOUNTS: bool = False
    # Help requests expire this many days after their last activity (the steward may set 30–180);
    # organizations are warned HELP_WARN_DAYS before. `flask outreach help purge` deletes them (daily).
    HELP_RETENTION_DAYS: int = 90
    HELP_WARN_DAYS: int = 7
    # SQLAlchemy URL of the help key store: one random erasure secret per help request, kept OUTSIDE
    # the main database so that deleting it makes the request unreadable in every copy of the main
    # database (outreach/help/keystore.py). Empty means <instance>/help-keystore.sqlite3. Must not be
    # the main database; keep it out of database backups and on storage every machine shares.
    HELP_KEYSTORE_URL: str = ""
    # Demand insights show any weekly count below this as "fewer than …" (and fold small towns together).
    INSIGHTS_MIN_COUNT: int = 10
    # Rate limits per client (an HMAC of the address that changes daily, see outreach/ratelimit.py):
    # help requests sent, and wrong receipts typed on "Check on my request".
    HELP_SUBMIT_LIMIT: str = "5 per hour"
    HELP_RECEIPT_LIMIT: str = "10 per hour"
    # Residents' "report a problem with this listing" form, per (daily-rotating, hashed) client.
    REPORT_PROBLEM_LIMIT: str = "5 per hour"
    # Outgoing e-mail (notifications that a help request is waiting); empty host sends nothing.
    SMTP_HOST: str = ""
    SMTP_PORT: int = 25
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_STARTTLS: bool = False
    SMTP_FROM: str = "outreach@localhost"
    # The site's public address, for links in e-mails (e.g. https://outreach.example.org).
    SITE_URL: str = "http://127.0.0.1:5000"
    # How many reverse proxies stand in front of the app (e.g. 1 for nginx alone, 2 for a load
    # balancer then nginx). 0 trusts no forwarded header at all; a number larger than the real one
    # would let a client choose its own address (and so escape the rate limits). See README "Production".
    PROXY_HOPS: int = 0
    # Extra keys passed straight to app.config (tests use this).
    EXTRA: Mapping[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.DATABASE_URL or f"sqlite:///{Path(self.INSTANCE_PATH) / 'outreach.sqlite3'}"

    @property
    def help_keystore_url(self) -> str:
        return self.HELP_KEYSTORE_URL or f"sqlite:///{Path(self.INSTANCE_PATH) / 'help-keystore.sqlite3'}"

    @property
    def search_index_dir(self) -> str:
        if self.SEARCH_INDEX_DIR:
            return self.SEARCH_INDEX_DIR
        folder = "search-index" if self.SEARCH_BACKEND == "whoosh" else f"search-index-{self.SEARCH_BACKEND}"
        return str(Path(self.INSTANCE_PATH) / folder)


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    if kind is bool:
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"OUTREACH_{name} must be true or false, not {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"OUTREACH_{name} must be a whole number, not {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"OUTREACH_{name} must be a number, not {raw!r}") from None
    if kind == tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from defaults, the instance file, the environment and ``overrides``."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}

    instance_path = (overrides or {}).get("INSTANCE_PATH") or environ.get(
        "OUTREACH_INSTANCE_PATH", Settings.INSTANCE_PATH
    )
    instance_file = Path(instance_path) / "config.py"
    if instance_file.is_file():
        for key, value in runpy.run_path(str(instance_file)).items():
            if key in names:
                values[key] = value
    for name in names:
        env_value = environ.get(f"OUTREACH_{name}")
        if env_value is not None and name != "EXTRA":
            values[name] = env_value
    extra: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key in names:
            values[key] = value
        else:
            extra[key] = value
    values["INSTANCE_PATH"] = str(instance_path)
    values = {k: _coerce(k, v, hints[k]) for k, v in values.items()}
    if extra:
        values["EXTRA"] = {**values.get("EXTRA", {}), **extra}
    settings = Settings(**values)
    if not settings.LOCALES:
        if "LOCALES" in values:
            raise ValueError("OUTREACH_LOCALES must name at least one locale")
        from .i18n.locales import table_codes

        settings = replace(settings, LOCALES=table_codes())
    if settings.INSIGHTS_MIN_COUNT < 5:
        raise ValueError(f"OUTREACH_INSIGHTS_MIN_COUNT must be at least 5, not {settings.INSIGHTS_MIN_COUNT}")
    if not 30 <= settings.HELP_RETENTION_DAYS <= 180:
        raise ValueError(f"OUTREACH_HELP_RETENTION_DAYS must be between 30 and 180, not {settings.HELP_RETENTION_DAYS}")
    if settings.help_keystore_url == settings.database_url:
        raise ValueError("OUTREACH_HELP_KEYSTORE_URL must name a database other than OUTREACH_DATABASE_URL: "
                         "the help key store is what makes deleted requests unreadable in database copies")
    if settings.STALE_AFTER_DAYS < 1:
        raise ValueError(f"OUTREACH_STALE_AFTER_DAYS must be 1 or more, not {settings.STALE_AFTER_DAYS}")
    if not 1 <= settings.SITEMAP_PAGES_PER_FILE <= 3000:  # x the locales: within a sitemap's 50,000 addresses
        raise ValueError(f"OUTREACH_SITEMAP_PAGES_PER_FILE must be between 1 and 3000, not {settings.SITEMAP_PAGES_PER_FILE}")
    if not 0 <= settings.SEARCH_COUNT_FLUSH_SECONDS <= 300:
        raise ValueError(f"OUTREACH_SEARCH_COUNT_FLUSH_SECONDS must be between 0 and 300, not {settings.SEARCH_COUNT_FLUSH_SECONDS}")
    if not 0 <= settings.DATA_VERSION_POLL_SECONDS <= 5:
        raise ValueError(f"OUTREACH_DATA_VERSION_POLL_SECONDS must be between 0 and 5, not {settings.DATA_VERSION_POLL_SECONDS}")
    if settings.PAGE_CACHE_SECONDS < 1:
        raise ValueError(f"OUTREACH_PAGE_CACHE_SECONDS must be 1 or more, not {settings.PAGE_CACHE_SECONDS}")
    if settings.PAGE_CACHE_ENTRIES < 0:
        raise ValueError(f"OUTREACH_PAGE_CACHE_ENTRIES must be 0 or more, not {settings.PAGE_CACHE_ENTRIES}")
    if settings.PROXY_HOPS < 0:
        raise ValueError(f"OUTREACH_PROXY_HOPS must be 0 or more, not {settings.PROXY_HOPS}")
    if settings.SEARCH_BACKEND not in SEARCH_BACKENDS:
        raise ValueError(f"OUTREACH_SEARCH_BACKEND must be one of {', '.join(SEARCH_BACKENDS)}, not {settings.SEARCH_BACKEND!r}")
    return settings


def secret_key_for(settings: Settings) -> str:
    """Return the configured secret key, generating one into the instance folder on first run."""
    if settings.SECRET_KEY:
        return settings.SECRET_KEY
    path = Path(settings.INSTANCE_PATH) / "secret_key"
    if path.is_file():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create with 0600 so other local users cannot read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def engine_options(database_url: str) -> dict[str, Any]:
    """SQLAlchemy engine options. pool_pre_ping: a connection the database dropped (a restart) is
    replaced before use, so only requests in flight fail. hide_parameters: errors and logs never carry
    the values of a query. For PostgreSQL, gssencmode=disable: the site never uses Kerberos, and libpq's
    GSSAPI probe at every connect is a known source of crashes in psycopg's binary build (psycopg
    issues 1213 and 1229), which a worker reconnecting after a database restart must not risk."""
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if database_url.startswith("postgresql"):
        options["connect_args"] = {"gssencmode": "disable"}
    return options


def to_flask_config(settings: Settings) -> dict[str, Any]:
    config = {f.name: getattr(settings, f.name) for f in fields(Settings) if f.name != "EXTRA"}
    config.update(
        SECRET_KEY=secret_key_for(settings),
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.database_url),
        SEARCH_INDEX_DIR=settings.search_index_dir,
        HELP_KEYSTORE_URL=settings.help_keystore_url,
        BABEL_DEFAULT_LOCALE=settings.LOCALES[0],
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_ROOT / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.SECURE_COOKIES,
        # Only staff pages ever write the session (server-side, see outreach/accounts/sessions.py);
        # __Host- pins the cookie to this host and path / and needs Secure, so only over HTTPS.
        SESSION_COOKIE_NAME="__Host-outreach-staff" if settings.SECURE_COOKIES else "outreach-staff",
        SESSION_PERMANENT=False,  # a browser-session cookie: closing the browser forgets it
        PERMANENT_SESSION_LIFETIME=settings.STAFF_ABSOLUTE_HOURS * 3600,
        SESSION_KEY_PREFIX="outreach:session:",
        SESSION_REFRESH_EACH_REQUEST=False,  # storage is written when the session changes, not on every hit
        WTF_CSRF_TIME_LIMIT=3600,
    )
    config.update(settings.EXTRA)
    return config


__all__ = ["Settings", "load_settings", "to_flask_config"]
