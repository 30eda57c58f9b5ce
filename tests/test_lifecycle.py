"""The story of an incident: every new state comes from the last through one door, checked once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor import (
    Impact,
    Incident,
    InputError,
    Policy,
    PromiseError,
    Scope,
    Status,
    TransitionError,
    Update,
    UpdateKind,
    WriteUp,
    lifecycle,
)
from candor.model import Promise, PromiseKind
from candor.vocabulary import Imported

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
POLICY = Policy()
SCOPE = Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012)
SECTIONS = WriteUp(summary="It broke.", what_happened="A bad deploy.", what_we_are_doing="Tests.")


def opened(at: datetime = START) -> Incident:
    return lifecycle.open_incident(
        POLICY, at, title="API down", scope=SCOPE, message="Requests fail.", incident_id="inc-1"
    )


def next_update(incident: Incident, **changes: object) -> Update:
    """A well-formed next update of ``incident``, with ``changes``."""
    seq = len(incident.updates) + 1
    fields: dict[str, object] = {
        "id": f"{incident.id}.{seq}",
        "incident_id": incident.id,
        "seq": seq,
        "kind": UpdateKind.UPDATE,
        "status": incident.status,
        "impact": incident.impact,
        "scope": incident.scope,
        "message": "Still on it.",
        "created_at": START + timedelta(minutes=10 * seq),
    }
    fields.update(changes)
    return Update(**fields)  # type: ignore[arg-type]


class TestAppend:
    def test_an_update_of_another_incident_is_refused(self) -> None:
        incident = opened()
        with pytest.raises(InputError) as caught:
            incident.append(next_update(incident, incident_id="inc-2", id="inc-2.2"))
        assert "inc-1.2" in str(caught.value)

    @pytest.mark.parametrize("seq", [1, 3, 7])
    def test_an_update_out_of_sequence_is_refused(self, seq: int) -> None:
        incident = opened()
        with pytest.raises(InputError):
            incident.append(next_update(incident, seq=seq, id=f"inc-1.{seq}"))

    def test_a_second_open_is_refused(self) -> None:
        incident = opened()
        with pytest.raises(TransitionError):
            incident.append(next_update(incident, kind=UpdateKind.OPEN))

    def test_resolving_through_a_plain_update_is_refused(self) -> None:
        incident = opened()
        with pytest.raises(TransitionError):
            incident.append(next_update(incident, status=Status.RESOLVED))

    def test_a_holding_update_may_not_move_the_status(self) -> None:
        incident = opened()
        with pytest.raises(TransitionError):
            incident.append(
                next_update(incident, kind=UpdateKind.HOLDING, status=Status.IDENTIFIED)
            )

    def test_the_new_state_takes_the_update_and_one_more_version(self) -> None:
        incident = opened()
        wider = Scope(components=["API", "Dashboard"], affected_fraction=0.5)
        update = next_update(
            incident, status=Status.IDENTIFIED, scope=wider, impact=Impact.CRITICAL, cause="DNS"
        )
        grown = incident.append(update)
        assert grown.version == incident.version + 1
        assert grown.status is Status.IDENTIFIED
        assert grown.scope == wider
        assert grown.impact is Impact.CRITICAL
        assert grown.cause == "DNS"
        assert grown.updated_at == update.created_at
        assert grown.updates[:-1] == incident.updates
        assert grown.updates[-1].previous_status is Status.INVESTIGATING
        assert incident.version == 1  # the old state is untouched

    def test_the_new_state_is_validated_as_a_whole(self) -> None:
        incident = opened()
        naive = incident.model_copy(update={"title": ""})
        with pytest.raises(InputError) as caught:
            naive.append(next_update(naive))
        assert caught.value.field == "incident.title"


class TestPromisedBy:
    """Every update records the time it was promised by, however it was made."""

    def test_a_plain_update_records_the_time_the_last_one_promised(self) -> None:
        incident = opened()
        grown = lifecycle.change(
            incident, POLICY, START + timedelta(minutes=40), kind=UpdateKind.UPDATE, message="x"
        )
        assert grown.updates[-1].promised_by == incident.next_update_by

    def test_a_holding_update_records_it_too(self) -> None:
        incident = opened()
        held = lifecycle.hold(incident, POLICY, START + timedelta(minutes=28))
        assert held.updates[-1].promised_by == incident.next_update_by
        assert held.updates[-1].message == lifecycle.HOLDING_MESSAGE
        assert held.next_update_by == START + timedelta(minutes=58)

    def test_the_write_up_records_the_date_the_resolution_gave(self) -> None:
        due = START + timedelta(days=3)
        resolved = lifecycle.change(
            opened(), POLICY, START + timedelta(hours=1), kind=UpdateKind.RESOLVE,
            message="Fixed.", postmortem_by=due,
        )  # fmt: skip
        written = lifecycle.write_up(resolved, START + timedelta(days=1), SECTIONS)
        assert written.updates[-1].promised_by == due

    def test_a_reopening_after_a_resolution_was_promised_nothing(self) -> None:
        resolved = lifecycle.change(
            opened(), POLICY, START + timedelta(hours=1), kind=UpdateKind.RESOLVE, message="Ok."
        )
        reopened = lifecycle.change(
            resolved, POLICY, START + timedelta(hours=2), kind=UpdateKind.REOPEN, message="Back."
        )
        assert reopened.updates[-1].promised_by is None
        assert reopened.resolved_at is None

    def test_the_first_update_was_promised_nothing(self) -> None:
        assert opened().updates[0].promised_by is None


class TestTransitions:
    def test_an_incident_starts_only_from_an_open_numbered_one(self) -> None:
        first = opened().updates[0]
        with pytest.raises(InputError):
            Incident.start(first.model_copy(update={"kind": UpdateKind.UPDATE}), title="x")
        with pytest.raises(InputError):
            Incident.start(first.model_copy(update={"seq": 2, "id": "inc-1.2"}), title="x")

    def test_the_write_up_needs_a_resolution_and_comes_once(self) -> None:
        with pytest.raises(PromiseError):
            lifecycle.write_up(opened(), START, SECTIONS)
        resolved = lifecycle.change(
            opened(), POLICY, START + timedelta(hours=1), kind=UpdateKind.RESOLVE, message="Ok."
        )
        written = lifecycle.write_up(resolved, START + timedelta(hours=2), SECTIONS)
        with pytest.raises(PromiseError):
            lifecycle.write_up(written, START + timedelta(hours=3), SECTIONS)

    def test_an_import_raises_the_impact_to_the_policy_floor(self) -> None:
        remote = Imported(
            remote_id="r1", title="API down", status=Status.IDENTIFIED, impact=Impact.MINOR,
            components=("API",), message="Broken.", started_at=START + timedelta(hours=1),
        )  # fmt: skip
        incident = lifecycle.import_remote(remote, "inc-9", POLICY, START)
        assert incident.impact is Impact.MAJOR  # an outage is at least major
        assert incident.started_at == START  # never in the future
        assert incident.version == 1
        assert incident.updates[0].status is Status.IDENTIFIED

    def test_closing_with_the_write_up_owed_needs_a_reason(self) -> None:
        resolved = lifecycle.change(
            opened(), POLICY, START + timedelta(hours=1), kind=UpdateKind.RESOLVE, message="Ok.",
            postmortem_by=START + timedelta(days=2),
        )  # fmt: skip
        owed = [
            Promise(
                incident_id=resolved.id, update_id=resolved.updates[-1].id,
                kind=PromiseKind.POSTMORTEM, due_at=START + timedelta(days=2),
            )
        ]  # fmt: skip
        with pytest.raises(PromiseError):
            lifecycle.close(resolved, owed, START + timedelta(hours=2), reason=None, by="ana")
        closed = lifecycle.close(
            resolved, owed, START + timedelta(hours=2), reason="Moved to the quarterly review",
            by="ana",
        )  # fmt: skip
        assert closed.closure is not None
        assert closed.closure.by == "ana"
        assert len(closed.closure.overridden) == 1


# One step of a random story: what to do, and with which status where one is asked for.
_STEP = st.tuples(
    st.sampled_from(["update", "resolve", "reopen", "hold", "write_up"]),
    st.sampled_from([Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]),
)


class TestAnyStory:
    @settings(max_examples=150, deadline=None)
    @given(st.lists(_STEP, max_size=12))
    def test_every_story_keeps_the_timeline_invariants(
        self, steps: list[tuple[str, Status]]
    ) -> None:
        incident = opened()
        for minutes, (step, status) in enumerate(steps, start=1):
            now = START + timedelta(minutes=minutes)
            before = incident
            try:
                if step == "hold":
                    incident = lifecycle.hold(incident, POLICY, now)
                elif step == "write_up":
                    incident = lifecycle.write_up(incident, now, SECTIONS)
                else:
                    kind = UpdateKind(step)
                    resolving = kind is UpdateKind.RESOLVE
                    incident = lifecycle.change(
                        incident, POLICY, now, kind=kind, message="News.",
                        status=None if resolving else status,
                        postmortem_by=now + timedelta(days=2) if resolving else None,
                    )  # fmt: skip
            except (TransitionError, PromiseError):
                continue  # a move the story may not make; the incident stays as it was
            last, previous = incident.updates[-1], before.updates[-1]
            assert incident.version == before.version + 1 == len(incident.updates)
            assert [u.seq for u in incident.updates] == list(range(1, incident.version + 1))
            assert last.previous_status is before.status
            assert incident.status is last.status
            assert (incident.resolved_at is not None) == (incident.status is Status.RESOLVED)
            if last.kind is UpdateKind.POSTMORTEM:
                assert last.promised_by == before.postmortem_by
            else:
                assert last.promised_by == previous.next_update_by
            assert (incident.next_update_by is None) == (incident.status is Status.RESOLVED)
