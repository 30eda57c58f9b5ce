"""The console adapter prints each message under a header that says what it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import api_outage

import candor
from candor.testing import Clock


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
