"""Time that goes backwards: no time an update gives precedes the start or the update before.

The host's clock can step back (a correction, a second host whose clock is
behind): the timeline refuses the update with an error naming both times, and
nothing is recorded; the scorecard never shows a negative duration.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import candor
from candor import InputError, lifecycle
from candor.model import Update, UpdateKind
from candor.policy import Policy
from candor.scorecard import scorecard
from candor.testing import Clock
from tests.conftest import START, api_outage


def opened(comms: candor.Communicator, **extra: object) -> candor.Incident:
    return comms.open("API failing", api_outage(), "Requests to the API fail.", **extra)  # type: ignore[arg-type]


class TestTheFacadeRefusesTimeGoingBack:
    def test_a_resolution_before_the_start_is_refused_naming_both_times(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms)
        clock.set(START - timedelta(hours=3))  # the clock stepped back three hours
        with pytest.raises(InputError) as refused:
            comms.resolve(incident.id, message="Fixed.")
        text = str(refused.value)
        assert refused.value.field == "created_at"
        assert "2026-11-22 11:00:00 UTC" in text
        assert "2026-11-22 14:00:00 UTC" in text
        assert "before the incident's start" in text
        assert comms.get(incident.id) == incident

    def test_an_update_before_the_previous_update_is_refused(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms, started_at=START - timedelta(hours=1))
        clock.advance(minutes=20)
        comms.update(incident.id, message="Still failing.", status="identified")
        clock.set(START + timedelta(minutes=10))
        with pytest.raises(InputError) as refused:
            comms.update(incident.id, message="Better now.", status="monitoring")
        text = str(refused.value)
        assert "2026-11-22 14:10:00 UTC" in text
        assert "2026-11-22 14:20:00 UTC" in text
        assert f"previous update ({incident.id}.2)" in text
        assert comms.get(incident.id).version == 2

    def test_a_write_up_and_a_closing_before_the_resolution_are_refused(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms)
        clock.advance(hours=2)
        comms.resolve(incident.id, message="Fixed.", postmortem_by="2026-12-01")
        clock.set(START + timedelta(hours=1))
        with pytest.raises(InputError, match="before the time of the previous update"):
            comms.publish_postmortem(
                incident.id, summary="S.", what_happened="W.", what_we_are_doing="D."
            )
        with pytest.raises(InputError, match="before the last update"):
            comms.close_incident(incident.id, reason="no write-up after all")
        assert comms.get(incident.id).closure is None

    def test_the_same_moment_is_not_backwards(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms)
        updated = comms.update(incident.id, message="Still failing.")
        assert updated.updates[-1].created_at == updated.started_at


class TestTheTimelineRefusesTimeGoingBack:
    def test_a_start_after_the_first_update_is_refused(self) -> None:
        opened = lifecycle.open_incident(
            Policy(), START, title="API failing", scope=api_outage(), message="It fails."
        )
        first = opened.updates[0]
        with pytest.raises(InputError, match="before the incident's start"):
            candor.Incident.start(first, title="API failing", started_at=START + timedelta(1))

    def test_a_promise_before_its_update_is_refused(self) -> None:
        opened = lifecycle.open_incident(
            Policy(), START, title="API failing", scope=api_outage(), message="It fails."
        )
        late = Update(
            **{
                **opened.updates[0].model_dump(),
                "id": f"{opened.id}.2",
                "seq": 2,
                "kind": UpdateKind.UPDATE,
                "created_at": START + timedelta(minutes=5),
                "next_update_by": START + timedelta(minutes=1),
            }
        )
        with pytest.raises(InputError) as refused:
            opened.append(late)
        assert refused.value.field == "next_update_by"
        assert "14:01:00 UTC" in str(refused.value)
        assert "14:05:00 UTC" in str(refused.value)

    @settings(max_examples=60, deadline=None)
    @given(steps=st.lists(st.integers(min_value=-600, max_value=600), min_size=1, max_size=8))
    def test_every_recorded_timeline_runs_forward(self, steps: list[int]) -> None:
        """Whatever the clock does, what is recorded is in order and the scorecard not negative."""
        policy = Policy()
        incident = lifecycle.open_incident(
            policy,
            START,
            title="API failing",
            scope=api_outage(),
            message="It fails.",
            started_at=START - timedelta(minutes=5),
        )
        now = START
        for minutes in steps:
            now += timedelta(minutes=minutes)
            if now < incident.updated_at:
                with pytest.raises(InputError, match="cannot go backwards"):
                    lifecycle.change(
                        incident, policy, now, kind=UpdateKind.UPDATE, message="Still failing."
                    )
                continue
            incident = lifecycle.change(
                incident, policy, now, kind=UpdateKind.UPDATE, message="Still failing."
            )
        times = [incident.started_at, *(u.created_at for u in incident.updates)]
        assert times == sorted(times)
        card = scorecard(incident, [], max(now, incident.updated_at))
        assert card.longest_silence >= timedelta(0)


class TestTheScorecard:
    def test_a_first_delivery_stamped_before_the_start_is_not_a_negative_time(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = opened(comms)
        # A delivery stamped by a host whose clock is behind the one that opened it.
        skewed = tuple(
            d.model_copy(update={"sent_at": START - timedelta(minutes=7)})
            for d in incident.deliveries
        )
        card = scorecard(incident.with_deliveries(skewed), [], START + timedelta(hours=1))
        assert card.time_to_first_update == timedelta(0)
        line = card.text().splitlines()[1]
        assert "detection to first public update: 0 min" in line
