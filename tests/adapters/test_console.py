"""The console adapter prints each message under a header that says what it is."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from tests.conftest import api_outage

import candor
from candor.adapters.console import ConsoleAdapter
from candor.testing import Clock
from candor.vocabulary import DeliveryContext, Form, Message


class TestConsole:
    def test_prints_every_update_with_channel_status_and_incident(
        self, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        channels = [candor.Channel(name="ops", adapter="console")]
        with candor.Communicator(
            channels, store=tmp_path / "c.db", clock=clock, base_dir=tmp_path
        ) as comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
        out = capsys.readouterr().out
        assert f"── ops · investigating · API failing ({incident.id}, update 1)" in out
        assert "API is down in eu-west for 1.2% of our customers" in out

    def test_can_print_the_short_form_to_stderr(
        self, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        channels = [
            candor.Channel(
                name="ops", adapter="console", settings={"stream": "stderr", "form": "short"}
            )
        ]
        with candor.Communicator(
            channels, store=tmp_path / "c.db", clock=clock, base_dir=tmp_path
        ) as comms:
            comms.open("API failing", api_outage(), "Requests fail.")
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "Investigating: API is down" in captured.err

    def test_an_unknown_setting_names_the_channel_and_key(self, tmp_path: Path) -> None:
        channels = [candor.Channel(name="ops", adapter="console", settings={"colour": "red"})]
        with pytest.raises(candor.ConfigError) as caught:
            candor.Communicator(channels, store=tmp_path / "c.db", base_dir=tmp_path)
        assert (caught.value.channel, caught.value.key) == ("ops", "colour")

    def test_control_characters_already_recorded_are_printed_as_escapes(
        self, tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An older candor recorded ESC, BEL and NUL: the terminal gets escapes, not codes."""
        adapter = ConsoleAdapter(
            candor.Channel(name="ops", adapter="console"),
            client=httpx.AsyncClient(),
            base_dir=tmp_path,
        )
        with candor.Communicator(
            [candor.Channel(name="ops", adapter="memory")],
            store=tmp_path / "c.db",
            clock=clock,
            base_dir=tmp_path,
        ) as comms:
            incident = comms.open("API failing", api_outage(), "Requests fail.")
        update = incident.updates[0]
        message = Message(
            channel="ops",
            form=Form.LONG,
            title="API \x1b]0;owned\x07 down",
            text="Errors\x1b[2J\x1b[31m here\x00.\nSecond line.",
            incident_id=incident.id,
            update_id=update.id,
            seq=1,
            status=update.status,
        )
        context = DeliveryContext(
            channel="ops",
            incident=incident,
            update=update,
            idempotency_key="k",
            organization=candor.Organization(),
            now=clock.now,
        )
        asyncio.run(adapter.post(message, context))
        asyncio.run(adapter.client.aclose())
        out = capsys.readouterr().out
        for raw in ("\x1b", "\x07", "\x00"):
            assert raw not in out
        assert "API \\x1b]0;owned\\x07 down" in out
        assert "Errors\\x1b[2J\\x1b[31m here\\x00.\nSecond line." in out
