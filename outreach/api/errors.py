"""JSON error bodies for ``/api/`` (the rest of the site answers errors with translated HTML pages)."""
from __future__ import annotations

import json

from flask import Response, request
from werkzeug.http import HTTP_STATUS_CODES

API_PREFIX = "/api"


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def json_error(status: int, message: str | None = None, parameter: str | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """``{"error": {"status": 400, "title": "Bad Request", "message": "...", "parameter": "page"}}``."""
    title = HTTP_STATUS_CODES.get(status, "Error")
    body: dict = {"status": status, "title": title, "message": message or title}
    if parameter:
        body["parameter"] = parameter
    response = Response(json.dumps({"error": body}, ensure_ascii=False), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
