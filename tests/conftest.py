"""Shared fixtures, made of candor.testing's own parts: its clock and its memory adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import candor
from candor.testing import Clock, MemoryAdapter
from candor.vocabulary import Capabilities, Form
from tests.smtp_server import Mailbox, smtp_server

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
"""Where every test clock starts (candor.testing.Clock's own start)."""


def memory_adapter(
    name: str, *, form: Form = Form.LONG, max_length: int | None = None
) -> MemoryAdapter:
    """A memory adapter for channel ``name``, threading, of ``form`` (and ``max_length``)."""
    return MemoryAdapter(
        name, capabilities=Capabilities(form=form, max_length=max_length, threading=True)
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def long_channel() -> MemoryAdapter:
    return memory_adapter("page")


@pytest.fixture
def short_channel() -> MemoryAdapter:
    return memory_adapter("social", form=Form.SHORT, max_length=500)


@pytest.fixture
def comms(
    tmp_path: Path, clock: Clock, long_channel: MemoryAdapter, short_channel: MemoryAdapter
) -> Iterator[candor.Communicator]:
    channels = [
        candor.Channel(name="page", adapter=long_channel),
        candor.Channel(name="social", adapter=short_channel),
    ]
    with candor.Communicator(
        channels, store=tmp_path / "candor.db", clock=clock, base_dir=tmp_path
    ) as communicator:
        yield communicator


def api_outage(**overrides: object) -> candor.Scope:
    fields: dict[str, object] = {
        "components": ["API"],
        "regions": ["eu-west"],
        "affected_fraction": 0.012,
    }
    fields.update(overrides)
    return candor.Scope(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, one per test module: its mailbox and port."""
    with smtp_server() as running:
        yield running


@pytest.fixture
def mailbox(server: tuple[Mailbox, int]) -> Mailbox:
    """The server's mailbox, emptied and unscripted for this test."""
    server[0].reset()
    return server[0]
