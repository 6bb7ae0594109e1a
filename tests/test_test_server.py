"""The tests' own Werkzeug server releases a response whose client went away."""
from __future__ import annotations

from tests.serve import _BODY, _ClosingRequestHandler, _remember_body


class _Body:
    closed = False

    def __iter__(self):
        return iter([b"x"])

    def close(self):
        self.closed = True


def test_a_dropped_connection_closes_the_response_body():
    body = _Body()
    environ: dict = {}
    app = _remember_body(lambda environ, start_response: body)
    assert app(environ, None) is body
    handler = _ClosingRequestHandler.__new__(_ClosingRequestHandler)
    handler.connection_dropped(BrokenPipeError(), environ)
    assert body.closed
    assert _BODY not in environ


def test_a_dropped_connection_before_the_app_answered_is_harmless():
    handler = _ClosingRequestHandler.__new__(_ClosingRequestHandler)
    handler.connection_dropped(ConnectionResetError(), {})
    handler.connection_dropped(ConnectionResetError(), None)
