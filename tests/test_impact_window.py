"""When impact started and ended: the published window is the real one, everywhere."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

import candor
from candor import InputError, lifecycle
from candor.demo import run_demo
from candor.scorecard import scorecard
from candor.testing import Clock, MemoryAdapter
from tests.conftest import START, api_outage

# The CLI runs in an empty folder of its own, never in the checkout (its store, its site).
from tests.test_cli import _in_empty_folder, run, run_json  # noqa: F401


def opened(comms: candor.Communicator, clock: Clock, **extra: object) -> candor.Incident:
    return comms.open(
        "API failing in eu-west",
        api_outage(),
        "Requests to the API in eu-west return 503 errors.",
        **extra,  # type: ignore[arg-type]
    )


def resolved(
    comms: candor.Communicator, incident: candor.Incident, **extra: object
) -> candor.Incident:
    return comms.resolve(
        incident.id,
        message="Requests to the API in eu-west succeed again.",
        cause="an expired TLS certificate on our API gateway",
        **extra,  # type: ignore[arg-type]
    )


class TestEndedAt:
    def test_the_resolution_records_when_the_impact_ended(
        self, comms: candor.Communicator, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        incident = opened(comms, clock)
        clock.advance(minutes=40)
        fixed = clock.now
        clock.advance(minutes=35)
        done = resolved(comms, incident, ended_at=fixed)
        assert done.ended_at == fixed
        assert done.impact_ended_at == fixed
        assert done.resolved_at == clock.now
        assert done.updates[-1].ended_at == fixed
        assert comms.get(incident.id).impact_ended_at == fixed
        text = long_channel.texts[-1]
        assert f"from {START:%H:%M} UTC to {fixed:%H:%M} UTC" in text
        assert f"{clock.now:%H:%M} UTC" not in text.split("\n")[0]

    def test_without_it_the_impact_ended_with_the_resolution(
        self, comms: candor.Communicator, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        incident = opened(comms, clock)
        clock.advance(minutes=30)
        done = resolved(comms, incident)
        assert done.ended_at is None
        assert done.impact_ended_at == done.resolved_at == clock.now
        assert f"to {clock.now:%H:%M} UTC" in long_channel.texts[-1]

    def test_started_at_backdates_an_incident_noticed_late(
        self, comms: candor.Communicator, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        began = START - timedelta(minutes=50)
        incident = opened(comms, clock, started_at=began)
        assert incident.started_at == began
        clock.advance(minutes=20)
        resolved(comms, incident, ended_at=START + timedelta(minutes=10))
        assert (
            f"from {began:%H:%M} UTC to {START + timedelta(minutes=10):%H:%M} UTC"
            in (long_channel.texts[-1])
        )

    @pytest.mark.parametrize(
        ("offset", "said"),
        [
            (timedelta(minutes=-5), "before the incident started"),
            (timedelta(minutes=45), "in the future"),
        ],
    )
    def test_an_end_outside_the_window_is_refused_and_nothing_is_recorded(
        self, comms: candor.Communicator, clock: Clock, offset: timedelta, said: str
    ) -> None:
        incident = opened(comms, clock)
        clock.advance(minutes=30)
        with pytest.raises(InputError, match=said) as raised:
            resolved(comms, incident, ended_at=START + offset)
        assert raised.value.field == "ended_at"
        assert comms.get(incident.id).status is candor.Status.INVESTIGATING

    def test_only_a_resolution_says_when_it_ended(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms, clock)
        clock.advance(minutes=5)
        with pytest.raises(InputError, match="resolve"):
            lifecycle.change(
                incident, candor.Policy(), clock.now, kind=candor.UpdateKind.UPDATE,
                message="Still failing.", ended_at=START,
            )  # fmt: skip

    def test_reopening_clears_the_end(self, comms: candor.Communicator, clock: Clock) -> None:
        incident = opened(comms, clock)
        clock.advance(minutes=30)
        resolved(comms, incident, ended_at=START + timedelta(minutes=10))
        clock.advance(minutes=5)
        again = comms.reopen(incident.id, message="Requests to the API in eu-west fail again.")
        assert again.ended_at is None
        assert again.impact_ended_at is None

    def test_the_scorecard_reports_the_impact_window(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms, clock)
        clock.advance(minutes=75)
        done = resolved(comms, incident, ended_at=START + timedelta(minutes=52))
        card = scorecard(done, [], clock.now)
        assert card.impact_ended_at == START + timedelta(minutes=52)
        assert card.impact_duration == timedelta(minutes=52)
        assert "impact: 52 min" in card.text()


class TestThePublishedWindow:
    def test_the_demo_page_ends_the_window_when_the_fix_held(self, tmp_path: Path) -> None:
        """The demo says the fix held from the rollback: its window ends there, not later."""
        made = run_demo(tmp_path / "demo", quiet=True)
        page = made["incident"].read_text(encoding="utf-8")
        rolled_back = re.search(r"rolled back the configuration change at (\d\d:\d\d) UTC", page)
        assert rolled_back is not None
        window = re.search(r"from (\d\d:\d\d) UTC to (\d\d:\d\d) UTC", page)
        assert window is not None
        assert window.group(2) == rolled_back.group(1)
        assert "Impact ended" in page
        incidents = json.loads(
            (made["summary"].parent / "incidents.json").read_text(encoding="utf-8")
        )["incidents"]
        assert incidents[0]["resolved_at"][11:16] == rolled_back.group(1)
        feed = made["feed"].read_text(encoding="utf-8")
        assert f"to {rolled_back.group(1)} UTC" in feed


class TestCommandLine:
    def test_ended_at_and_started_at_from_the_shell(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from datetime import UTC, datetime

        now = datetime.now(UTC).replace(microsecond=0)
        began = (now - timedelta(hours=2)).isoformat()
        ended = (now - timedelta(minutes=30)).isoformat()
        incident = run_json(
            capsys, "open", "API failing", "-c", "API", "--fraction", "0.1",
            "-m", "Requests to the API fail with HTTP 503.", "--started-at", began,
        )  # fmt: skip
        assert incident["started_at"].startswith(began[:19])
        done = run_json(
            capsys, "resolve", incident["id"], "-m", "Requests to the API succeed again.",
            "--cause", "an expired TLS certificate on our API gateway", "--ended-at", ended,
        )  # fmt: skip
        assert done["ended_at"].startswith(ended[:19])
        shown = run(capsys, "show", incident["id"]).out
        assert "impact ended" in shown

    def test_a_bad_end_is_one_line_naming_the_option(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident = run_json(
            capsys, "open", "API failing", "-c", "API", "--fraction", "0.1",
            "-m", "Requests to the API fail with HTTP 503.",
        )  # fmt: skip
        err = run(
            capsys, "resolve", incident["id"], "-m", "Requests to the API succeed again.",
            "--cause", "an expired TLS certificate", "--ended-at", "yesterday", code=1,
        ).err  # fmt: skip
        assert "ended_at" in err
        assert "ISO 8601" in err
