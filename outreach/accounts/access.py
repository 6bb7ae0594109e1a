"""Deny by default: every ``/staff/…`` endpoint needs a role unless it is listed as public here."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Flask, abort, current_app, g, redirect, request, url_for

from . import sessions
from .models import ROLES

STAFF_PREFIX = "/staff/"
# The only staff endpoints reachable without being signed in. The second-step pages also need the
# "pending" session state that only a correct password creates (see sessions.py).
PUBLIC_ENDPOINTS = frozenset({
    "accounts.login",
    "accounts.login_code",
    "accounts.login_recovery",
    "accounts.totp_setup",
    "accounts.accept_invitation",
})
ANY_ROLE = ROLES


def requires_role(*roles: str) -> Callable:
    """Allow the view only to signed-in staff holding one of ``roles`` (403 otherwise)."""
    if not roles or any(role not in ROLES for role in roles):
        raise ValueError(f"requires_role needs known roles, got {roles!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = g.get("staff_user")
            if user is None:
                return redirect(url_for("accounts.login"))
            if not user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def is_staff_path(path: str) -> bool:
    return path == STAFF_PREFIX.rstrip("/") or path.startswith(STAFF_PREFIX)


def _guard() -> object | None:
    """Before every staff request: load the signed-in user, then refuse what is not allowed."""
    g.staff_user = None
    if not is_staff_path(request.path) or request.endpoint is None:
        return None
    user = sessions.signed_in_user()
    g.staff_user = user
    if user is not None and user.preferred_locale in current_app.config["LOCALES"]:
        g.lang_code = user.preferred_locale  # the staff UI language; the Babel selector reads it
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    view = current_app.view_functions.get(request.endpoint)
    roles = getattr(view, "required_roles", None)
    if user is None:
        return redirect(url_for("accounts.login"))
    if not roles or not user.has_role(*roles):
        abort(403)  # includes a staff view someone forgot to decorate
    return None


def init_app(app: Flask) -> None:
    app.before_request(_guard)

    @app.context_processor
    def staff_context() -> dict:
        return {"staff_user": g.get("staff_user")}
