"""An update may go to only some channels, on the record, and the ending still reaches all.

``channels=[...]`` (``--channel NAME`` on the command line) names the only
channels an update goes to; the choice is recorded on the update, later updates
keep it unless they make another, and a resolution reaches every channel that
carried any update of the incident.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import candor
from candor.cli import main
from candor.testing import Clock, MemoryAdapter, reset
from tests.conftest import api_outage, memory_adapter

MESSAGE = "Requests to the API in eu-west return 503 errors."


@pytest.fixture
def ops() -> MemoryAdapter:
    return memory_adapter("ops")


@pytest.fixture
def three(
    tmp_path: Path,
    clock: Clock,
    long_channel: MemoryAdapter,
    short_channel: MemoryAdapter,
    ops: MemoryAdapter,
) -> Iterator[candor.Communicator]:
    channels = [
        candor.Channel(name="page", adapter=long_channel),
        candor.Channel(name="social", adapter=short_channel),
        candor.Channel(name="ops", adapter=ops, audience="internal"),
    ]
    with candor.Communicator(
        channels, store=tmp_path / "candor.db", clock=clock, base_dir=tmp_path
    ) as communicator:
        yield communicator


def delivered(incident: candor.Incident, seq: int) -> set[str]:
    return {d.channel for d in incident.deliveries if d.seq == seq}


class TestChoosing:
    def test_an_update_goes_only_to_the_channels_named_and_records_them(
        self, three: candor.Communicator, short_channel: MemoryAdapter
    ) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE, channels=["page", "ops"])
        assert delivered(incident, 1) == {"page", "ops"}
        assert incident.updates[0].channels == ("page", "ops")
        assert short_channel.posted == []
        assert three.get(incident.id).updates[0].channels == ("page", "ops")  # stored

    def test_later_updates_keep_the_choice_unless_they_make_another(
        self, three: candor.Communicator, clock: Clock
    ) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE, channels=["page"])
        clock.advance(minutes=5)
        incident = three.update(incident.id, status="identified", message="Found it.")
        assert delivered(incident, 2) == {"page"}
        clock.advance(minutes=5)
        incident = three.update(incident.id, message="Fixing.", channels=["page", "social"])
        assert delivered(incident, 3) == {"page", "social"}

    def test_without_a_choice_every_channel_hears_it(self, three: candor.Communicator) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE)
        assert delivered(incident, 1) == {"page", "social", "ops"}
        assert incident.updates[0].channels is None

    def test_an_unknown_channel_is_named_and_nothing_is_recorded(
        self, three: candor.Communicator
    ) -> None:
        with pytest.raises(candor.InputError, match=r"pager.*configured: page, social, ops"):
            three.open("API failing", api_outage(), MESSAGE, channels=["pager"])
        with pytest.raises(candor.InputError, match="channel names"):
            three.open("API failing", api_outage(), MESSAGE, channels="page")  # type: ignore[arg-type]
        assert three.list() == []

    def test_preview_shows_only_the_chosen_channels(self, three: candor.Communicator) -> None:
        messages = three.preview(
            title="API failing", scope=api_outage(), message=MESSAGE, channels=["social"]
        )
        assert [m.channel for m in messages] == ["social"]


class TestTheEndingReachesEveryChannelThatCarriedIt:
    def test_the_resolution_goes_to_every_channel_any_update_went_to(
        self, three: candor.Communicator, clock: Clock, ops: MemoryAdapter
    ) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE, channels=["page"])
        clock.advance(minutes=5)
        incident = three.update(incident.id, message="Telling the team.", channels=["ops"])
        clock.advance(minutes=5)
        incident = three.resolve(incident.id, message="Requests succeed again.")
        assert delivered(incident, 3) == {"page", "ops"}
        assert "social" not in {d.channel for d in incident.deliveries}

    def test_a_resolution_that_leaves_out_a_channel_that_carried_it_is_refused(
        self, three: candor.Communicator, clock: Clock
    ) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE, channels=["page", "social"])
        clock.advance(minutes=5)
        with pytest.raises(candor.PromiseError, match="social carried this incident"):
            three.resolve(incident.id, message="Requests succeed again.", channels=["page"])
        assert three.get(incident.id).status is candor.Status.INVESTIGATING

    def test_a_resolution_may_reach_more_channels_than_carried_it(
        self, three: candor.Communicator, clock: Clock
    ) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE, channels=["page"])
        clock.advance(minutes=5)
        incident = three.resolve(incident.id, message="Fixed.", channels=["page", "social"])
        assert delivered(incident, 2) == {"page", "social"}

    def test_a_holding_update_and_the_write_up_keep_to_the_channels_that_carried_it(
        self, three: candor.Communicator, clock: Clock
    ) -> None:
        incident = three.open("API failing", api_outage(), MESSAGE, channels=["page"])
        clock.advance(minutes=29)
        incident = three.get(incident.id)
        held = candor.lifecycle.hold(incident, candor.Policy(), three.now())
        assert held.updates[-1].channels == ("page",)
        clock.advance(minutes=5)
        incident = three.resolve(incident.id, message="Fixed.", postmortem_by="2026-11-30")
        clock.advance(hours=1)
        incident = three.publish_postmortem(
            incident.id,
            summary="The API failed in eu-west.",
            what_happened="A certificate expired.",
            what_we_are_doing="We renew certificates automatically now.",
        )
        assert delivered(incident, 3) == {"page"}


class TestCommandLine:
    @pytest.fixture(autouse=True)
    def _folder(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CANDOR_CONFIG", raising=False)
        yield
        reset()

    def run_json(self, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
        main(["--json", *args])
        result: dict[str, object] = json.loads(capsys.readouterr().out)
        return result

    def test_channel_is_repeatable_and_recorded(self, capsys: pytest.CaptureFixture[str]) -> None:
        opened = self.run_json(
            capsys, "open", "API failing", "-c", "API", "-m", MESSAGE, "--channel", "status"
        )
        assert opened["delivery"] == {
            "sent": ["status"],
            "retrying": [],
            "failed": [],
            "unconfigured": [],
        }
        updated = self.run_json(
            capsys,
            "update",
            str(opened["id"]),
            "-m",
            "Found it.",
            "--channel",
            "status",
            "--channel",
            "console",
        )
        updates = updated["updates"]
        assert isinstance(updates, list)
        assert updates[0]["channels"] == ["status"]
        assert updates[1]["channels"] == ["status", "console"]
        resolved = self.run_json(capsys, "resolve", str(opened["id"]), "-m", "Fixed.")
        delivery = resolved["delivery"]
        assert isinstance(delivery, dict)
        assert sorted(delivery["sent"]) == ["console", "status"]
