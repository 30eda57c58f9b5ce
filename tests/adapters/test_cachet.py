"""Cachet's components: set at the open, restored at resolution even when a reset fails.

The fake answers as Cachet 3's API reference documents it (one ``component_id`` on a
new incident, component statuses set by ``PUT /api/components/{id}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import api_outage

import candor
from candor.adapters.base import Channel
from candor.adapters.cachet import CachetAdapter
from candor.testing import Clock
from candor.testing.fakes import FakeCachet

TOKEN = "cachet-token-0123456789"
OPERATIONAL, MAJOR_OUTAGE = 1, 4


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeCachet:
    return FakeCachet(token=TOKEN, clock=clock, rate_limit=None)


@pytest.fixture
def comms(tmp_path: Path, clock: Clock, fake: FakeCachet) -> Iterator[candor.Communicator]:
    channel = Channel(
        name="cachet",
        adapter="cachet",
        settings={"base_url": FakeCachet.base_url, "token": TOKEN, "components": {"API": 1}},
    )
    with candor.Communicator(
        [channel],
        store=tmp_path / "candor.db",
        clock=clock,
        sleep=clock.sleep,
        client=fake.client(),
        base_dir=tmp_path,
    ) as made:
        yield made


def open_incident(comms: candor.Communicator) -> candor.Incident:
    return comms.open("API failing in eu-west", api_outage(), "Requests to the API fail.")


def resolve(comms: candor.Communicator, incident: candor.Incident) -> candor.Incident:
    return comms.resolve(
        incident.id, message="Requests succeed again.", changed="We replaced the certificate."
    )


def states(incident: candor.Incident) -> list[str]:
    return [d.state.value for d in incident.deliveries]


class TestTheOpen:
    def test_sets_the_component_to_an_outage(
        self, comms: candor.Communicator, fake: FakeCachet
    ) -> None:
        open_incident(comms)
        assert fake.components[1]["status"] == MAJOR_OUTAGE

    def test_a_lost_answer_is_adopted_and_the_component_still_set(
        self, comms: candor.Communicator, clock: Clock, fake: FakeCachet
    ) -> None:
        fake.timeout_next()  # Cachet made the incident; the client never heard
        incident = open_incident(comms)
        clock.advance(minutes=5)
        comms.deliver_pending()
        assert len(fake.incidents) == 1
        assert states(comms.get(incident.id)) == ["sent"]
        assert fake.components[1]["status"] == MAJOR_OUTAGE


class TestTheResetAtResolution:
    @pytest.mark.parametrize(
        ("status", "retry_after"),
        [(503, None), (502, None), (429, 30), (503, 30), (408, None)],
    )
    def test_a_reset_that_failed_once_is_retried_not_posted_again(
        self,
        comms: candor.Communicator,
        clock: Clock,
        fake: FakeCachet,
        status: int,
        retry_after: int | None,
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=10)
        fake.fail_next(status=status, retry_after=retry_after, method="PUT", path="/api/components")
        resolved = resolve(comms, incident)
        assert states(resolved)[-1] == "retry"  # owed, and reported so
        assert fake.components[1]["status"] == MAJOR_OUTAGE
        clock.advance(minutes=10)
        comms.deliver_pending()
        (cachet_id,) = fake.incidents
        assert [u["status"] for u in fake.updates[cachet_id]] == [4]  # one resolution, not two
        assert fake.components[1]["status"] == OPERATIONAL
        assert states(comms.get(incident.id)) == ["sent", "sent"]

    def test_a_refused_reset_is_reported_naming_the_component(
        self, comms: candor.Communicator, clock: Clock, fake: FakeCachet
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=10)
        fake.fail_next(status=403, method="PUT", path="/api/components")
        resolved = resolve(comms, incident)
        (cachet_id,) = fake.incidents
        assert len(fake.updates[cachet_id]) == 1
        last = resolved.deliveries[-1]
        assert last.state.value == "failed"
        assert "component 1" in (last.last_error or "")
        assert "was posted" in (last.last_error or "")


def test_the_documented_rate_limit_is_300_a_minute() -> None:
    """https://docs.cachethq.io/api-reference/rate-limiting: 300 requests a minute."""
    assert CachetAdapter.capabilities.rate_limit == 300 / 60
