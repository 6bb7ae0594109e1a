"""The yardstick for bench/load.py: a bare Flask page rendering a Jinja template of a given size.

    BARE_PAGE_BYTES=30000 gunicorn -c outreach/gunicorn_conf.py --pythonpath bench bare_app:app

No database, no session, no search: what Flask, Jinja and gunicorn cost alone for a page as large
as Outreach's home page, served with the same gunicorn configuration.
"""
from __future__ import annotations

import os

from flask import Flask, render_template_string

PARAGRAPH = "Support groups, counseling, harm reduction and treatment near you, open today. "
TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{% for number in range(count) %}<p id="p{{ number }}">{{ text }}</p>
{% endfor %}</main></body></html>"""

app = Flask(__name__)
_SIZE = int(os.environ.get("BARE_PAGE_BYTES", "30000"))
# Each paragraph renders to about len(PARAGRAPH) + 20 bytes.
_COUNT = max(1, _SIZE // (len(PARAGRAPH) + 20))


@app.get("/")
def page():
    return render_template_string(TEMPLATE, title="Bare page", count=_COUNT, text=PARAGRAPH)
