"""The memory adapter records what a service would have been sent, and answers like one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

import candor
from candor.adapters import registry
from candor.adapters.base import Capabilities, DeliveryContext, Form, LengthUnit
from candor.render import Message
from candor.testing import Clock, MemoryAdapter, Outbox, capabilities_for
from tests.conftest import api_outage


def _post(adapter: MemoryAdapter, message: Message, context: DeliveryContext) -> candor.Receipt:
    return asyncio.run(adapter.post(message, context))


@pytest.fixture
def opened(tmp_path: Path, clock: Clock) -> tuple[MemoryAdapter, candor.Communicator]:
    adapter = MemoryAdapter("social", capabilities=capabilities_for("mastodon"))
    comms = candor.Communicator(
        [candor.Channel(name="social", adapter=adapter)],
        store=tmp_path / "c.db",
        clock=clock,
        base_dir=tmp_path,
    )
    return adapter, comms


class TestRecording:
    def test_records_channel_text_key_and_thread(
        self, opened: tuple[MemoryAdapter, candor.Communicator]
    ) -> None:
        adapter, comms = opened
        with comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
            comms.update(incident.id, status="identified", message="Found it.")
        first, second = adapter.posted
        assert (first.channel, first.remote_id) == ("social", "social/1")
        assert "Investigating" in first.text
        assert "Requests fail." in first.text
        assert first.thread is None
        assert first.in_reply_to is None
        assert (second.thread, second.in_reply_to) == ("social/1", "social/1")
        assert first.idempotency_key != second.idempotency_key
        assert first.incident_id == incident.id
        assert second.seq == 2
        assert first.status is candor.Status.INVESTIGATING
        assert first.next_update_by == incident.next_update_by

    def test_receipts_carry_stable_ids_and_the_thread_root(
        self, opened: tuple[MemoryAdapter, candor.Communicator]
    ) -> None:
        adapter, comms = opened
        with comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
            incident = comms.update(incident.id, message="Still failing.")
        assert sorted(d.remote_id or "" for d in incident.deliveries) == ["social/1", "social/2"]
        assert adapter.texts[1].startswith("Investigating")

    def test_registered_as_memory_with_capabilities_as_settings(self, tmp_path: Path) -> None:
        factory = registry.load("memory")
        channel = candor.Channel(
            name="tiny", adapter="memory", settings={"form": "short", "max_length": 300}
        )
        adapter = factory(channel, client=httpx.AsyncClient(), base_dir=tmp_path)
        assert isinstance(adapter, MemoryAdapter)
        assert adapter.capabilities.form is Form.SHORT
        assert adapter.capabilities.max_length == 300
        assert adapter.capabilities.threading  # memory's own defaults stay

    def test_an_unknown_setting_names_the_channel_and_key(self, tmp_path: Path) -> None:
        channel = candor.Channel(name="tiny", adapter="memory", settings={"colour": "red"})
        with pytest.raises(candor.ConfigError) as caught:
            candor.Communicator([channel], store=tmp_path / "c.db", base_dir=tmp_path)
        assert (caught.value.channel, caught.value.key) == ("tiny", "colour")


class TestAsAService:
    def _context(self, comms: candor.Communicator) -> tuple[Message, DeliveryContext]:
        incident = comms.preview(title="API failing", scope=api_outage(), message="Fails.")[0]
        stored = comms.open("API failing", api_outage(), "Fails.")
        context = DeliveryContext(
            channel="social",
            incident=stored,
            update=stored.updates[0],
            idempotency_key="same-key",
            organization=candor.Organization(),
            now=stored.created_at,
        )
        return incident, context

    def test_the_same_idempotency_key_is_one_post(
        self, opened: tuple[MemoryAdapter, candor.Communicator]
    ) -> None:
        adapter, comms = opened
        with comms:
            message, context = self._context(comms)
        before = len(adapter.posted)
        first = _post(adapter, message, context)
        again = _post(adapter, message, context)
        assert first == again
        assert len(adapter.posted) == before + 1

    def test_without_idempotency_a_retry_posts_twice(self, tmp_path: Path) -> None:
        adapter = MemoryAdapter("plain", capabilities=Capabilities(idempotency=False))
        with candor.Communicator(
            [candor.Channel(name="plain", adapter=adapter)], store=tmp_path / "c.db"
        ) as comms:
            message = comms.preview(title="API failing", scope=api_outage(), message="Fails.")[0]
            incident = comms.open("API failing", api_outage(), "Fails.")
        context = DeliveryContext(
            channel="plain", incident=incident, update=incident.updates[0],
            idempotency_key="k", organization=candor.Organization(), now=incident.created_at,
        )  # fmt: skip
        _post(adapter, message, context)
        _post(adapter, message, context)
        assert len(adapter.posted) == 3

    @pytest.mark.parametrize(
        ("unit", "text", "limit"),
        [
            (LengthUnit.CHARACTERS, "x" * 11, 10),
            (LengthUnit.GRAPHEMES, "👍🏽" * 11, 10),  # one grapheme, two code points each
            (LengthUnit.WEIGHTED, "界" * 6, 10),  # CJK weighs 2 on X
        ],
    )
    def test_too_long_as_the_service_counts_is_refused_for_good(
        self, tmp_path: Path, unit: LengthUnit, text: str, limit: int
    ) -> None:
        channels = [candor.Channel(name="c", adapter=MemoryAdapter("c"))]
        with candor.Communicator(channels, store=tmp_path / "c.db") as c:
            incident = c.open("API failing", api_outage(), "Fails.")
        adapter = MemoryAdapter("c", capabilities=Capabilities(max_length=limit, length_unit=unit))
        message = Message(
            channel="c", form=Form.LONG, title="t", text=text, incident_id=incident.id,
            update_id=incident.updates[0].id, seq=1, status=candor.Status.INVESTIGATING,
        )  # fmt: skip
        context = DeliveryContext(
            channel="c", incident=incident, update=incident.updates[0], idempotency_key="k2",
            organization=candor.Organization(), now=incident.created_at,
        )  # fmt: skip
        with pytest.raises(candor.DeliveryError) as caught:
            _post(adapter, message, context)
        assert caught.value.retryable is False
        assert f"limit of {limit}" in str(caught.value)
        fitting = message.model_copy(update={"text": text[: len(text) // 2]})
        _post(adapter, fitting, context)
        assert adapter.texts == [fitting.text]


class TestFailures:
    @pytest.mark.parametrize(
        ("status_code", "retryable"),
        [(401, False), (422, False), (429, True), (503, True), (None, True)],
    )
    def test_fail_next_fails_as_the_service_would(
        self, tmp_path: Path, clock: Clock, status_code: int | None, retryable: bool
    ) -> None:
        adapter = MemoryAdapter("social")
        adapter.fail_next(status_code=status_code)
        with candor.Communicator(
            [candor.Channel(name="social", adapter=adapter)], store=tmp_path / "c.db", clock=clock
        ) as comms:
            incident = comms.open("API failing", api_outage(), "Fails.")
            delivery = incident.deliveries[0]
            # A retryable failure is retried within the same delivery; a refusal is final.
            assert delivery.state == ("sent" if retryable else "failed")
            assert delivery.attempts == (2 if retryable else 1)
        assert len(adapter.posted) == (1 if retryable else 0)

    def test_fail_next_with_an_error_raises_it_as_it_is(self, tmp_path: Path, clock: Clock) -> None:
        adapter = MemoryAdapter("social", capabilities=Capabilities(idempotency=False))
        adapter.fail_next(2, error=RuntimeError("a bug in the adapter"))
        with candor.Communicator(
            [candor.Channel(name="social", adapter=adapter)], store=tmp_path / "c.db", clock=clock
        ) as comms:
            incident = comms.open("API failing", api_outage(), "Fails.")
            delivery = incident.deliveries[0]
            # An adapter bug may have sent: the row waits in the outbox, not retried at once.
            assert (delivery.state, delivery.attempts) == ("retry", 1)
            assert "RuntimeError: a bug in the adapter" in (delivery.last_error or "")
            clock.advance(hours=1)
            (again,) = comms.deliver_pending()
            assert again.state == "retry"
            clock.advance(hours=2)
            (last,) = comms.deliver_pending()
            assert last.sent
        assert len(adapter.posted) == 1

    def test_each_message_keeps_the_context_it_was_given(
        self, opened: tuple[MemoryAdapter, candor.Communicator]
    ) -> None:
        adapter, comms = opened
        with comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
            comms.update(incident.id, message="Still failing.")
        first, second = adapter.posted
        assert first.context.update.id == first.update_id
        assert first.context.idempotency_key == first.idempotency_key
        assert [r.remote_id for r in second.context.previous] == [first.remote_id]

    def test_closing_closes_the_adapter_it_replaces(self) -> None:
        inner = MemoryAdapter("inner")
        outer = MemoryAdapter("outer", replaces=inner, outbox=Outbox())
        asyncio.run(outer.aclose())
        assert inner.closed
        assert outer.closed


class TestServiceCapabilities:
    @pytest.mark.parametrize(
        ("name", "limit", "unit"),
        [
            ("mastodon", 500, LengthUnit.CHARACTERS),
            ("bluesky", 300, LengthUnit.GRAPHEMES),
            ("x", 280, LengthUnit.WEIGHTED),
            ("twitter", 280, LengthUnit.WEIGHTED),
            ("mastodon-eu", 500, LengthUnit.CHARACTERS),
            ("status", None, LengthUnit.CHARACTERS),
            ("pager", None, LengthUnit.CHARACTERS),
        ],
    )
    def test_a_channel_name_suggests_its_service(
        self, name: str, limit: int | None, unit: LengthUnit
    ) -> None:
        assert capabilities_for(name).max_length == limit
        assert capabilities_for(name).length_unit is unit
