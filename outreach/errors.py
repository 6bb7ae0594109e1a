"""Friendly, translated error pages; no stack trace ever reaches a visitor."""
from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug import exceptions as http_errors
from werkzeug.exceptions import HTTPException, InternalServerError

from . import domain
from .api.errors import is_api_request, json_error

# Translators: titles and explanations of error pages a visitor may see.
MESSAGES = {
    # Translators: title of the error page for a request the site could not understand (HTTP 400); its explanation follows.
    400: (_l("Something in that request was not right"), _l("Please go back and try again.")),
    # Translators: title of the error page for a page the visitor may not open (HTTP 403).
    403: (_l("You cannot open this page"), _l("This page is not available to you.")),
    404: (
        # Translators: title of the error page for an address that does not exist (HTTP 404).
        _l("Page not found"),
        # Translators: explanation on the page-not-found error page.
        _l("The page may have moved, or the address may be mistyped. You can search the directory instead."),
    ),
    # Translators: title of the error page when a form or link was used the wrong way (HTTP 405).
    405: (_l("That action is not possible here"), _l("Please go back and use the page's own buttons and links.")),
    # Translators: title of the error page when an upload or form was too large (HTTP 413).
    413: (_l("That was too much to send"), _l("What you sent was larger than we accept. Please send less and try again.")),
    # Translators: title of the error page when someone sent too many requests in a short time (HTTP 429).
    429: (_l("Too many tries"), _l("Please wait a few minutes and try again.")),
    500: (
        # Translators: title of the error page for a fault on the site's side (HTTP 500).
        _l("Sorry, something went wrong on our side"),
        # Translators: explanation on the error page for a fault on the site's side.
        _l("Nothing you did caused this. Please try again in a few minutes."),
    ),
    503: (
        # Translators: title of the error page when a service the site needs is down (HTTP 503).
        _l("This page is not available right now"),
        # Translators: explanation on that error page; searching still works because it does not need the database.
        _l("Something it needs is not working at the moment. Nothing you sent was kept. "
           "Please try again in a few minutes; searching the directory still works."),
    ),
}
CSRF_MESSAGE = (
    # Translators: title of the page shown when a form's security token has run out (the form was open too long or in another tab).
    _l("This form has expired"),
    # Translators: explanation on the expired-form page.
    _l("For your safety, forms stop working after a while or when opened in another tab. "
       "Go back, reload the page and send it again. Nothing was sent."),
)


def render_error(code: int, title, explanation):
    g.is_error_page = True
    return render_template("errors/error.html", code=code, title=title, explanation=explanation), code


def _http_error(error: HTTPException):
    code = error.code or 500
    if is_api_request():  # the API answers in JSON, never with an HTML page
        headers = {"Allow": ", ".join(error.valid_methods)} if code == 405 and getattr(error, "valid_methods", None) else None
        return json_error(code, headers=headers)
    title, explanation = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
    response, status = render_error(code, title, explanation)
    if code == 405 and getattr(error, "valid_methods", None):
        return response, status, {"Allow": ", ".join(error.valid_methods)}
    return response, status


def _csrf_error(error: CSRFError):
    if is_api_request():
        return json_error(400)
    from .accounts.sessions import store_reachable

    if not store_reachable():
        # The token was lost with the session store, not because the form expired: saying "reload
        # and send it again" would be untrue. The help pages keep their own clear answer.
        if request.blueprint == "help":
            return render_template("help/unavailable.html"), 503
        return render_error(503, *MESSAGES[503])
    return render_error(400, *CSRF_MESSAGE)


def _server_error(error: Exception):
    if not isinstance(error, InternalServerError) or error.original_exception is not None:
        # Method and path only: never the query string, form data, address or user agent.
        current_app.logger.error(
            "Unhandled error on %s %s", request.method, request.path, exc_info=getattr(error, "original_exception", None) or error
        )
    if is_api_request():
        return json_error(500)
    return render_error(500, *MESSAGES[500])


def init_app(app: Flask) -> None:
    # Domain errors from services become the same pages as their HTTP counterparts.
    app.register_error_handler(domain.NotFound, lambda error: _http_error(http_errors.NotFound()))
    app.register_error_handler(domain.NotAllowed, lambda error: _http_error(http_errors.Forbidden()))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(Exception, _server_error)
