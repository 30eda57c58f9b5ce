"""Correcting a published update from the facade: recorded beside it, checked, sent once.

The corrected update keeps its text on the timeline; the correction records
what it should have said, why, who and when, changes no fact and no promise, and
goes only to the channels that were given the update. A process killed between
the commit and the delivery loses nothing and edits once.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

import candor
from candor._http.transport import FanoutTransport
from candor.delivery import DeliverySettings
from candor.errors import CheckError, IncidentNotFound, InputError
from candor.model import UpdateKind
from candor.testing import Clock, MemoryAdapter
from candor.testing.fakes import FakeMastodon
from candor.testing.fakes._base import serve
from tests.crash_at import CrashAt

WRONG = "A bad deploy in us-east broke routing; we are rolling it back."
RIGHT = "A bad deploy in eu-west broke routing; we are rolling it back."
WHY = "we named the wrong region"


def story(comms: candor.Communicator, clock: Clock) -> candor.Incident:
    incident = comms.open(
        "API errors in eu-west",
        {"components": ["API"], "regions": ["eu-west"]},
        "Requests to the API in eu-west fail with errors.",
    )
    clock.advance(minutes=10)
    return comms.update(incident.id, status="identified", message=WRONG)


class TestRecord:
    def test_the_original_text_is_kept_and_the_correction_says_why_who_and_when(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        before = story(comms, clock)
        clock.advance(minutes=3)
        after = comms.correct(before.id, update=2, message=RIGHT, reason=WHY)
        original, correction = after.updates[1], after.updates[2]
        assert original.message == WRONG
        assert correction.kind is UpdateKind.CORRECTION
        assert correction.message == RIGHT
        assert correction.correction is not None
        assert (correction.correction.seq, correction.correction.reason) == (2, WHY)
        assert correction.correction.by  # the actor, as for overrides
        assert correction.created_at == clock()
        assert after.as_corrected(original).message == RIGHT
        # The facts and the promise stand as they were.
        assert (after.status, after.scope, after.next_update_by) == (
            before.status,
            before.scope,
            before.next_update_by,
        )
        assert after.latest.id == original.id

    def test_a_correction_keeps_no_promise(self, comms: candor.Communicator, clock: Clock) -> None:
        before = story(comms, clock)
        assert before.next_update_by is not None
        comms.correct(before.id, update=2, message=RIGHT, reason=WHY)
        late = before.next_update_by + timedelta(minutes=5)
        broken = comms.overdue(late)
        assert [(r.incident_id, r.state.value) for r in broken] == [(before.id, "broken")]

    def test_the_next_update_follows_the_story_not_the_correction(
        self, comms: candor.Communicator, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        incident = story(comms, clock)
        comms.correct(incident.id, update=2, message=RIGHT, reason=WHY)
        clock.advance(minutes=5)
        after = comms.update(incident.id, message="Error rates are falling.")
        assert after.updates[-1].promised_by == incident.next_update_by
        assert {d.channel for d in after.deliveries if d.seq == 4} == set(comms.channels)

    def test_the_promise_policy_still_keeps_a_promise_after_a_correction(
        self, tmp_path: Path, clock: Clock, long_channel: MemoryAdapter
    ) -> None:
        policy = candor.Policy(on_due="holding_update")
        with candor.Communicator(
            [candor.Channel(name="page", adapter=long_channel)],
            store=tmp_path / "held.db",
            clock=clock,
            base_dir=tmp_path,
            policy=policy,
        ) as held:
            incident = story(held, clock)
            held.correct(incident.id, update=2, message=RIGHT, reason=WHY)
            assert incident.next_update_by is not None
            clock.set(incident.next_update_by - timedelta(minutes=1))
            actions = held.keep_promises()
            assert [a.action for a in actions] == ["holding_update"]
            after = held.get(incident.id)
        assert after.updates[-1].kind is UpdateKind.HOLDING
        assert after.updates[-1].promised_by == incident.next_update_by


class TestRefusals:
    @pytest.mark.parametrize("number", [0, 3, 99, -1])
    def test_an_unknown_update_number_is_named(
        self, comms: candor.Communicator, clock: Clock, number: int
    ) -> None:
        incident = story(comms, clock)
        with pytest.raises(InputError, match="numbered 1 to 2") as caught:
            comms.correct(incident.id, update=number, message=RIGHT, reason=WHY)
        assert caught.value.value == number
        assert comms.get(incident.id).version == incident.version

    def test_an_unknown_incident_is_named(self, comms: candor.Communicator) -> None:
        with pytest.raises(IncidentNotFound, match="inc-nope"):
            comms.correct("inc-nope", update=1, message=RIGHT, reason=WHY)

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_correction_says_why(
        self, comms: candor.Communicator, clock: Clock, reason: str
    ) -> None:
        incident = story(comms, clock)
        with pytest.raises(InputError, match="reason"):
            comms.correct(incident.id, update=2, message=RIGHT, reason=reason)

    def test_the_same_text_is_no_correction_nor_is_a_correction_corrected(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = story(comms, clock)
        with pytest.raises(InputError, match="already says this"):
            comms.correct(incident.id, update=2, message=WRONG, reason=WHY)
        comms.correct(incident.id, update=2, message=RIGHT, reason=WHY)
        with pytest.raises(InputError, match="correct update 2 instead"):
            comms.correct(incident.id, update=3, message="Something else.", reason=WHY)

    def test_the_corrected_text_is_checked_and_a_refusal_stores_nothing(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = story(comms, clock)
        fixed = "A bad deploy broke routing for some customers; we are rolling it back."
        with pytest.raises(CheckError, match="minimizing"):
            comms.correct(incident.id, update=2, message=fixed, reason=WHY)
        assert comms.get(incident.id).version == incident.version
        allowed = comms.correct(
            incident.id, update=2, message=fixed, reason=WHY, allow=["minimizing"]
        )
        override = allowed.updates[-1].override
        assert override is not None
        assert (override.codes, override.reason) == (("minimizing",), WHY)


class TestChannels:
    def test_only_the_channels_given_the_update_hear_its_correction(
        self, comms: candor.Communicator, clock: Clock
    ) -> None:
        incident = story(comms, clock)
        first = sorted(comms.channels)[0]
        clock.advance(minutes=1)
        narrowed = comms.update(incident.id, message=WRONG + " Still.", channels=[first])
        corrected = comms.correct(narrowed.id, update=3, message=RIGHT, reason=WHY)
        rows = [d.channel for d in corrected.deliveries if d.seq == 4]
        assert rows == [first]

    def test_the_async_facade_corrects_too(self, tmp_path: Path, clock: Clock) -> None:
        import asyncio

        async def run() -> candor.Incident:
            async with candor.AsyncCommunicator(
                [candor.Channel(name="memory", adapter=MemoryAdapter())],
                store=tmp_path / "a.db",
                clock=clock,
                base_dir=tmp_path,
            ) as comms:
                incident = await comms.open("API errors", {"components": ["API"]}, "API fails.")
                clock.advance(minutes=1)
                return await comms.correct(
                    incident.id, update=1, message="API calls fail with errors.", reason="vague"
                )

        corrected = asyncio.run(run())
        assert corrected.updates[-1].correction is not None
        assert [d.state.value for d in corrected.deliveries if d.seq == 2] == ["sent"]


TOKEN = "mastodon-crash-token"


@pytest.mark.parametrize("crash", ["committed:1", "sent:1"])
def test_a_kill_between_commit_and_delivery_loses_nothing_and_the_edit_lands(
    tmp_path: Path, crash: str
) -> None:
    """The correction and its outbox rows commit before any I/O: a process killed after the
    commit (or after the service answered the edit) leaves them owed; delivery later edits
    the status, and the thread still holds one status per update."""
    fake = FakeMastodon(access_token=TOKEN, rate_limit=None)
    settings = DeliverySettings(
        max_attempts=2, backoff=0.01, backoff_max=0.02, deadline=5, lease=60
    )
    with serve(fake) as base_url:
        channel = candor.Channel(
            name="mastodon",
            adapter="mastodon",
            settings={"base_url": base_url, "access_token": TOKEN},
        )

        def communicator(
            offset: timedelta = timedelta(0), client: httpx.AsyncClient | None = None
        ) -> candor.Communicator:
            return candor.Communicator(
                [channel],
                store=tmp_path / "candor.db",
                base_dir=tmp_path,
                delivery=settings,
                clock=lambda: datetime.now(UTC) + offset,
                client=client,
            )

        with communicator() as comms:
            opened = comms.open("API errors", {"components": ["API"]}, "The API fails.")
            comms.update(opened.id, status="identified", message=WRONG)
        pid = os.fork()
        if pid == 0:  # the child: correct, and be killed on the way
            try:
                killer = CrashAt(crash)
                killer.configure()
                watched = httpx.AsyncClient(transport=killer.transport(FanoutTransport()))
                with communicator(client=watched) as comms:
                    comms.correct(opened.id, update=2, message=RIGHT, reason=WHY)
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status)
        with communicator(timedelta(minutes=10)) as comms:
            recorded = comms.get(opened.id)
            assert recorded.updates[-1].correction is not None
            assert recorded.updates[1].message == WRONG
            (row,) = [d for d in recorded.deliveries if d.seq == 3]
            assert row.state.value != "sent"
            comms.deliver_pending(force=True)
            done = comms.get(opened.id)
            comms.deliver_pending(force=True)
    assert [d.state.value for d in done.deliveries] == ["sent"] * 3
    assert len(fake.statuses) == 2
    assert fake.edits
    assert all(RIGHT in edit["after"] for edit in fake.edits)
    second = list(fake.statuses)[1]
    assert RIGHT in fake.sources[second]
