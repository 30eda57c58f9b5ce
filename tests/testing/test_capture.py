"""capture(): every channel of every communicator made inside it posts to memory."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

import candor
from candor.adapters.base import Form, LengthUnit
from candor.testing import Clock, MemoryAdapter, Outbox, capture, current_outbox
from tests.conftest import api_outage


def _site_and_console() -> list[candor.Channel]:
    return [
        candor.Channel(name="status", adapter="static_site", settings={"path": "site"}),
        candor.Channel(name="ops", adapter="console", settings={"form": "short"}),
    ]


class TestRouting:
    def test_keeps_channel_names_and_capabilities_and_sends_nothing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with (
            capture() as outbox,
            candor.Communicator(
                _site_and_console(), store=tmp_path / "c.db", base_dir=tmp_path
            ) as comms,
        ):
            assert all(isinstance(a, MemoryAdapter) for a in comms.adapters.values())
            comms.open("API failing", api_outage(), "Requests fail.")
        assert outbox.channels == ["status", "ops"]
        assert outbox.capabilities("ops").form is Form.SHORT
        assert outbox.capabilities("status").idempotency  # as the static site says
        assert len(outbox.messages("status")) == len(outbox.messages("ops")) == 1
        assert not (tmp_path / "site").exists()
        assert capsys.readouterr().out == ""

    def test_every_communicator_inside_is_routed_to_the_same_outbox(self, tmp_path: Path) -> None:
        with capture() as outbox:
            for number in (1, 2):
                with candor.Communicator(
                    _site_and_console(), store=tmp_path / f"{number}.db", base_dir=tmp_path
                ) as comms:
                    comms.open(f"API failing {number}", api_outage(), "Requests fail.")
        assert len(outbox.messages("status")) == 2
        assert outbox.messages("status")[1].remote_id == "status/2"

    def test_the_default_and_configured_communicators_are_routed_too(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CANDOR_CONFIG", raising=False)
        with capture() as outbox, candor.Communicator.from_config() as comms:
            comms.open("API failing", api_outage(), "Requests fail.")
        assert outbox.channels == ["status", "console"]
        assert not (tmp_path / "site").exists()

    def test_an_async_communicator_is_routed(self, tmp_path: Path) -> None:
        async def runbook() -> None:
            async with candor.AsyncCommunicator(
                _site_and_console(), store=tmp_path / "c.db", base_dir=tmp_path
            ) as comms:
                await comms.open("API failing", api_outage(), "Requests fail.")

        with capture() as outbox:
            asyncio.run(runbook())
        assert len(outbox) == 2

    def test_after_the_capture_communicators_are_as_configured(self, tmp_path: Path) -> None:
        with capture():
            pass
        with candor.Communicator(
            _site_and_console()[:1], store=tmp_path / "c.db", base_dir=tmp_path
        ) as comms:
            assert not isinstance(comms.adapters["status"], MemoryAdapter)

    def test_nested_captures_each_keep_their_own(self, tmp_path: Path) -> None:
        channels = _site_and_console()[:1]
        with capture() as outer:
            with (
                capture() as inner,
                candor.Communicator(channels, store=tmp_path / "a.db", base_dir=tmp_path) as comms,
            ):
                comms.open("Inner", api_outage(), "Fails.")
            with candor.Communicator(channels, store=tmp_path / "b.db", base_dir=tmp_path) as c:
                c.open("Outer", api_outage(), "Fails.")
        assert [m.message.title for m in inner] == ["Inner"]
        assert [m.message.title for m in outer] == ["Outer"]


class TestChannelsAndClock:
    def test_chosen_channels_replace_the_configured_ones(self, tmp_path: Path) -> None:
        with (
            capture(channels=["status", "mastodon", "x"]) as outbox,
            candor.Communicator(
                _site_and_console(), store=tmp_path / "c.db", base_dir=tmp_path
            ) as comms,
        ):
            comms.open("API failing", api_outage(), "Requests fail.")
            assert list(comms.channels) == ["status", "mastodon", "x"]
        assert outbox.capabilities("x").length_unit is LengthUnit.WEIGHTED
        assert outbox.messages("mastodon")[0].message.form is Form.SHORT
        assert outbox.messages("status")[0].message.form is Form.LONG

    def test_chosen_channels_may_name_their_service(self, tmp_path: Path) -> None:
        with (
            capture(channels={"eu-social": "bluesky"}) as outbox,
            candor.Communicator(store=tmp_path / "c.db", base_dir=tmp_path) as comms,
        ):
            comms.open("API failing", api_outage(), "Requests fail.")
        assert outbox.capabilities("eu-social").max_length == 300

    def test_the_capture_clock_drives_promises_and_overdue(self, tmp_path: Path) -> None:
        clock = Clock()
        with (
            capture(clock=clock) as outbox,
            candor.Communicator(
                _site_and_console(), store=tmp_path / "c.db", base_dir=tmp_path
            ) as comms,
        ):
            incident = comms.open("API failing", api_outage(), "Requests fail.")
            assert incident.next_update_by == clock() + timedelta(minutes=30)
            assert comms.overdue() == []
            clock.advance(minutes=31)
            (broken,) = comms.overdue()
        assert broken.incident_id == incident.id
        assert outbox.messages("status")[0].posted_at == incident.created_at


class TestDecorator:
    def test_a_decorated_function_runs_inside_a_fresh_capture(self, tmp_path: Path) -> None:
        seen: list[Outbox] = []

        @capture(channels=["status"])
        def runbook() -> None:
            with candor.Communicator(store=tmp_path / "c.db", base_dir=tmp_path) as comms:
                comms.open("API failing", api_outage(), "Requests fail.")
            seen.append(current_outbox())

        runbook()
        runbook()
        assert [len(outbox) for outbox in seen] == [1, 1]
        assert seen[0] is not seen[1]

    def test_a_decorated_coroutine_function_too(self, tmp_path: Path) -> None:
        @capture(channels=["status"])
        async def runbook() -> int:
            async with candor.AsyncCommunicator(
                store=tmp_path / "c.db", base_dir=tmp_path
            ) as comms:
                await comms.open("API failing", api_outage(), "Requests fail.")
            return len(current_outbox())

        assert asyncio.run(runbook()) == 1

    def test_current_outbox_outside_a_capture_says_so(self) -> None:
        with pytest.raises(LookupError, match="no capture is active"):
            current_outbox()


class TestOutbox:
    def test_for_incident_and_unknown_channels(self, tmp_path: Path) -> None:
        with (
            capture(channels=["status"]) as outbox,
            candor.Communicator(store=tmp_path / "c.db", base_dir=tmp_path) as comms,
        ):
            first = comms.open("API failing", api_outage(), "Requests fail.")
            comms.open("Dashboard failing", api_outage(components=["Dashboard"]), "It fails.")
        only = outbox.for_incident(first.id)
        assert [m.incident_id for m in only] == [first.id]
        with pytest.raises(KeyError, match="channels: \\['status'\\]"):
            outbox.messages("mastodon")
        outbox.clear()
        assert len(outbox) == 0
        assert outbox.channels == ["status"]
