"""A real SMTP server on loopback (aiosmtpd) for the tests of e-mails: invitations, reminders, notices.

    from tests.smtp_fixtures import free_port, smtp  # noqa: F401  (fixture)

``smtp`` yields ``(port, inbox)``; ``inbox.messages`` holds ``(recipients, raw message text)``.
"""
from __future__ import annotations

import socket

import pytest


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port() -> int:
    """A port on loopback nobody listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()
