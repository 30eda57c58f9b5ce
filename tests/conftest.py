"""Shared fixtures: a clock tests set by hand, and an adapter that records what it is given."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import candor
from candor.adapters.base import Capabilities, DeliveryContext, Form, Receipt
from candor.errors import DeliveryError
from candor.render import Message

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Recorder:
    """An adapter that keeps every message and context it is given, and fails on demand."""

    def __init__(self, *, form: Form = Form.LONG, max_length: int | None = None) -> None:
        self.capabilities = Capabilities(form=form, max_length=max_length, threading=True)
        self.posted: list[tuple[Message, DeliveryContext]] = []
        self.fail_next: list[DeliveryError | Exception] = []
        self.closed = False

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.posted.append((message, context))
        root = context.previous[0].remote_id if context.previous else None
        return Receipt(
            channel=context.channel,
            remote_id=f"post-{len(self.posted)}",
            thread_root=root or f"post-{len(self.posted)}",
        )

    async def aclose(self) -> None:
        self.closed = True

    @property
    def texts(self) -> list[str]:
        return [message.text for message, _ in self.posted]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def long_channel() -> Recorder:
    return Recorder()


@pytest.fixture
def short_channel() -> Recorder:
    return Recorder(form=Form.SHORT, max_length=500)


@pytest.fixture
def comms(
    tmp_path: Path, clock: Clock, long_channel: Recorder, short_channel: Recorder
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
