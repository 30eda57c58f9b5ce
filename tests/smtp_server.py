"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every mail it accepts.

``Mailbox`` is the handler: it records each accepted message (its envelope and
parsed mail) and answers RCPT as scripted: ``script["a@example.org"] = ["451 4.3.0
Try later"]`` makes the next RCPT for that address get that answer once, then 250.
``on_mail`` is called (in the server's thread) after each accepted mail.

Under ``CI=true`` a missing aiosmtpd fails the test; elsewhere it skips saying why.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest


def need_aiosmtpd() -> None:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("aiosmtpd is not installed: pip install -e '.[test]'")
        pytest.skip("aiosmtpd is not installed (pip install -e '.[test]')")


@dataclass
class Mail:
    """One mail the server accepted: the envelope, and the message parsed."""

    sender: str
    recipients: list[str]
    data: bytes
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])


@dataclass
class Mailbox:
    """The aiosmtpd handler: records what it accepts, answers RCPT as scripted."""

    script: dict[str, list[str]] = field(default_factory=dict)
    senders: list[str] = field(default_factory=list)
    """Answers to the next MAIL FROM commands, one each, before 250 again."""
    delay: float = 0.0
    """Seconds each RCPT waits before it is answered (a server that hangs)."""
    mails: list[Mail] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    on_mail: Callable[[Mail], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        with self.lock:
            answer = self.senders.pop(0) if self.senders else None
        if answer is not None:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            queued = self.script.get(address.lower())
            answer = queued.pop(0) if queued else None
        if answer is not None:
            self.refused.append((address, answer))
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        mail = Mail(envelope.mail_from, list(envelope.rcpt_tos), data, parsed)
        with self.lock:
            self.mails.append(mail)
        if self.on_mail is not None:
            self.on_mail(mail)
        return "250 2.0.0 Accepted"

    def reset(self) -> None:
        """Forget every mail and script, for the next test on the same server."""
        with self.lock:
            self.mails.clear()
            self.refused.clear()
            self.script.clear()
            self.senders.clear()
        self.delay = 0.0
        self.on_mail = None

    def to(self, address: str) -> list[Mail]:
        """The mails accepted for ``address``, in the order they came."""
        with self.lock:
            return [m for m in self.mails if address in m.recipients]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A running aiosmtpd on 127.0.0.1 with ``mailbox`` as its handler; yields it and the port."""
    need_aiosmtpd()
    from aiosmtpd.controller import Controller

    box = mailbox or Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
