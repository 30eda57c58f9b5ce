"""Instatus after an ambiguous failure: one incident, no duplicate update, the truth recorded.

The fake answers as Instatus documents it (an incident's updates under ``updates``);
a fake that answered with the adapter's own reading let duplicates through unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import api_outage

import candor
from candor.adapters.base import Channel
from candor.testing import Clock
from candor.testing.fakes import FakeInstatus

KEY = "instatus-key-0123456789"


@pytest.fixture
def fake(clock: Clock) -> FakeInstatus:
    return FakeInstatus(api_key=KEY, clock=clock, rate_limit=None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def comms(tmp_path: Path, clock: Clock, fake: FakeInstatus) -> Iterator[candor.Communicator]:
    channel = Channel(
        name="instatus",
        adapter="instatus",
        settings={"page_id": fake.page_id, "api_key": KEY, "components": {"API": "cmp-api"}},
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


def remote_ids(incident: candor.Incident) -> list[str | None]:
    return [d.remote_id for d in incident.deliveries]


class TestALostAnswerToACreate:
    def test_leaves_exactly_one_incident(
        self, comms: candor.Communicator, clock: Clock, fake: FakeInstatus
    ) -> None:
        fake.timeout_next()  # Instatus makes the incident; the answer never arrives
        open_incident(comms)
        clock.advance(minutes=5)
        comms.deliver_pending()
        assert len(fake.incidents) == 1

    def test_candor_records_the_incident_instatus_has(
        self, comms: candor.Communicator, clock: Clock, fake: FakeInstatus
    ) -> None:
        fake.timeout_next()
        incident = open_incident(comms)
        clock.advance(minutes=5)
        (outcome,) = comms.deliver_pending()
        assert outcome.state.value == "sent"
        (remote,) = fake.incidents
        assert remote_ids(comms.get(incident.id)) == [remote]
        clock.advance(minutes=5)
        comms.update(incident.id, status="identified", message="We found the cause.")
        assert len(fake.incidents) == 1
        assert [u["status"] for u in fake.incidents[remote]["updates"]] == [
            "INVESTIGATING",
            "IDENTIFIED",
        ]

    def test_found_past_the_first_page_of_incidents(
        self, comms: candor.Communicator, clock: Clock, fake: FakeInstatus
    ) -> None:
        """Instatus pages its incidents (50 a page by default): the adapter reads them all."""
        fake.timeout_next()
        incident = open_incident(comms)
        for n in range(120):  # other incidents, opened by hand meanwhile
            fake.incidents[f"other{n}"] = {
                "id": f"other{n}", "name": f"Other {n}", "status": "INVESTIGATING",
                "started": None, "resolved": None, "components": [],
                "updates": [{"id": f"u{n}", "message": "Looking.", "status": "INVESTIGATING"}],
            }  # fmt: skip
        clock.advance(minutes=5)
        comms.deliver_pending()
        assert len([i for i in fake.incidents if i.startswith("inc")]) == 1
        assert remote_ids(comms.get(incident.id))[0] in fake.incidents

    def test_a_resolved_namesake_is_not_adopted(
        self, comms: candor.Communicator, clock: Clock, fake: FakeInstatus
    ) -> None:
        """Last week's incident with the same title and text is not this one."""
        old = open_incident(comms)
        comms.resolve(old.id, message="Requests succeed again.", changed="We fixed it.")
        clock.advance(days=7)
        fake.drop_next()  # lost before Instatus saw it: nothing to adopt
        open_incident(comms)
        clock.advance(minutes=5)
        comms.deliver_pending()
        assert len(fake.incidents) == 2
        assert [i["status"] for i in fake.incidents.values()].count("RESOLVED") == 1


class TestALostAnswerToAnUpdate:
    def test_posts_no_duplicate(
        self, comms: candor.Communicator, clock: Clock, fake: FakeInstatus
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=5)
        fake.timeout_next()
        comms.update(incident.id, status="identified", message="We found the cause.")
        clock.advance(minutes=5)
        comms.deliver_pending()
        (remote,) = fake.incidents.values()
        assert len(remote["updates"]) == 2

    def test_candor_records_the_update_instatus_has(
        self, comms: candor.Communicator, clock: Clock, fake: FakeInstatus
    ) -> None:
        incident = open_incident(comms)
        clock.advance(minutes=5)
        fake.timeout_next()
        comms.update(incident.id, status="identified", message="We found the cause.")
        clock.advance(minutes=5)
        (outcome,) = comms.deliver_pending()
        assert outcome.state.value == "sent"
        (remote,) = fake.incidents.values()
        assert remote_ids(comms.get(incident.id)) == [remote["id"], remote["updates"][1]["id"]]


def test_an_update_already_receipted_is_not_adopted_again(tmp_path: Path) -> None:
    """The same words posted earlier are that update's: the new one is posted, not adopted."""
    import asyncio

    from candor.adapters.base import Receipt
    from candor.adapters.instatus import InstatusAdapter
    from candor.testing.contract import AdapterContract

    fake = FakeInstatus(api_key=KEY, rate_limit=None)
    channel = Channel(
        name="instatus", adapter="instatus", settings={"page_id": fake.page_id, "api_key": KEY}
    )
    adapter = InstatusAdapter(channel, client=fake.client(), base_dir=tmp_path)
    contract = AdapterContract()
    contract.channel = "instatus"  # type: ignore[misc]
    message, context = contract.message(adapter, contract.incident())
    first = asyncio.run(adapter.post(message, context))  # the incident
    root = Receipt(channel="instatus", remote_id=first.remote_id, thread_root=first.remote_id)
    later = context.model_copy(update={"previous": (root,)})
    earlier = asyncio.run(adapter.post(message, later))  # an update, same words
    assert asyncio.run(adapter.reconcile(message, later)) is not None
    after = context.model_copy(update={"previous": (root, earlier)})
    assert asyncio.run(adapter.reconcile(message, after)) is None
