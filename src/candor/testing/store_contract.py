"""``StoreContract``: the behaviour every :class:`~candor.Store` keeps, whatever holds the data.

Subclass it in your own tests, in a class whose name starts with ``Test``, and
say how to make a fresh, empty store (keyring's backend tests work this way)::

    from candor.testing import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self, tmp_path):
            return MyStore(tmp_path / "data")

        def another_store(self, store):
            # optional: a second handle on the same data, as another process would open it
            return MyStore(store.folder)

Every test gets its own store from the ``store`` fixture, which calls
:meth:`StoreContract.make_store` and closes the store afterwards. A store that
needs a server rather than a folder can override the fixture itself::

    class TestServerStore(StoreContract):
        @pytest.fixture
        def store(self, database_url):  # a fixture of your own, giving an empty database
            made = ServerStore(database_url)
            yield made
            made.close()

The suite pins what :class:`~candor.Store` promises: the timeline is
append-only; a save against a stale version raises ConflictError and writes
nothing, and a save either writes everything (update, promises, outbox rows)
or nothing; the outbox is a state machine (pending, in flight under a claim and
a lease, sent with its first receipt, retry when due, failed) in which no
update overtakes an earlier one on a channel and a live claim is never taken
twice, also by several threads at once; ``requeue_failed`` owes again only
what no later update has superseded; the promise ledger (promises made and
kept, closures, action items, reminders claimed once). Tests that need
:meth:`StoreContract.another_store` are skipped, saying so, when it returns
None. What only one kind of store can show (files, triggers, migrations of
old data, several processes) belongs in that store's own tests, beside the
subclass. Needs pytest.

The builders (:meth:`~StoreContract.make_update`, :meth:`~StoreContract.make_incident`,
:meth:`~StoreContract.outbox_for`, :meth:`~StoreContract.open_incident`,
:meth:`~StoreContract.advance`) are there for your own store-specific tests too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from candor.errors import ConflictError, IncidentNotFound, InputError, StoreError
from candor.model import (
    ActionStatus,
    Closure,
    DeliveryState,
    Impact,
    Incident,
    PromiseKind,
    Scope,
    Status,
    Update,
    UpdateKind,
    WriteUp,
)
from candor.typing import Store
from candor.vocabulary import Form, Message, OutboxFailure, OutboxItem, OutboxSent, Receipt

__all__ = ["StoreContract"]

_T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
_SCOPE = Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012)
_STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)
_LEASE = timedelta(minutes=2)
_CADENCE = timedelta(minutes=30)
_THREADS = 4


class StoreContract:
    """The tests every Store passes. Subclasses implement :meth:`make_store`.

    Optional hook: :meth:`another_store` (a second handle on the same data).
    """

    #: When the incidents the builders make begin; update ``seq`` comes 30 minutes per step later.
    start: ClassVar[datetime] = _T0
    #: The lease the claim tests take.
    lease: ClassVar[timedelta] = _LEASE

    # -- hooks ----------------------------------------------------------------------------

    def make_store(self, tmp_path: Path) -> Store:
        """A new, empty store; ``tmp_path`` is this test's own folder."""
        raise NotImplementedError("a StoreContract subclass must implement make_store")

    def another_store(self, store: Store) -> Store | None:
        """A second store on the data ``store`` holds, as another process would open it.

        None (the default) when the store cannot be opened twice; the tests
        that need two handles are then skipped.
        """
        return None

    # -- machinery ------------------------------------------------------------------------

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """A fresh store from :meth:`make_store`, closed after the test."""
        made = self.make_store(tmp_path)
        yield made
        made.close()

    @pytest.fixture
    def second(self, store: Store) -> Iterator[Store]:
        """A second handle on ``store``'s data, from :meth:`another_store`."""
        other = self.another_store(store)
        if other is None:
            pytest.skip("implement another_store() to test two handles on one store")
        yield other
        other.close()

    # -- builders -------------------------------------------------------------------------

    @staticmethod
    def make_update(
        incident_id: str,
        seq: int,
        *,
        status: Status | None = None,
        kind: UpdateKind | None = None,
        message: str | None = None,
        update_id: str | None = None,
        postmortem_by: datetime | None = None,
        write_up: WriteUp | None = None,
    ) -> Update:
        """Update ``seq`` of an incident, 30 minutes after the one before, promising the next."""
        if status is None:
            status = _STATUSES[min(seq - 1, len(_STATUSES) - 1)]
        if kind is None:
            kind = UpdateKind.OPEN if seq == 1 else UpdateKind.UPDATE
            if status is Status.RESOLVED:
                kind = UpdateKind.RESOLVE
        created_at = _T0 + timedelta(minutes=30 * (seq - 1))
        return Update(
            id=update_id or f"{incident_id}-u{seq}",
            incident_id=incident_id,
            seq=seq,
            kind=kind,
            status=status,
            impact=Impact.MAJOR,
            scope=_SCOPE,
            message=message or f"Update {seq}: API requests in eu-west return 503 errors.",
            next_update_by=None
            if status is Status.RESOLVED
            else created_at + timedelta(minutes=30),
            postmortem_by=postmortem_by,
            write_up=write_up,
            created_at=created_at,
        )

    @staticmethod
    def make_incident(incident_id: str, updates: tuple[Update, ...], **changes: Any) -> Incident:
        """The incident as it stands after ``updates``; its version is the number of updates."""
        first, last = updates[0], updates[-1]
        fields: dict[str, Any] = {
            "id": incident_id,
            "title": "API requests failing in eu-west",
            "status": last.status,
            "impact": last.impact,
            "scope": last.scope,
            "started_at": first.created_at - timedelta(minutes=5),
            "created_at": first.created_at,
            "updated_at": last.created_at,
            "resolved_at": last.created_at if last.status is Status.RESOLVED else None,
            "next_update_by": last.next_update_by,
            "postmortem_by": last.postmortem_by,
            "version": len(updates),
            "updates": updates,
        }
        fields.update(changes)
        return Incident(**fields)

    @staticmethod
    def next_version(incident: Incident, **update_fields: Any) -> Incident:
        """``incident`` with one more update appended (fields as :meth:`make_update` takes)."""
        update = StoreContract.make_update(incident.id, len(incident.updates) + 1, **update_fields)
        return StoreContract.make_incident(incident.id, (*incident.updates, update))

    @staticmethod
    def outbox_for(update: Update, *channels: str) -> list[OutboxItem]:
        """One outbox row per channel for ``update``, in the order of ``channels``."""
        return [
            OutboxItem(
                incident_id=update.incident_id,
                update_id=update.id,
                seq=update.seq,
                channel=channel,
                idempotency_key=f"{update.incident_id}:{update.id}:{channel}",
                message=Message(
                    channel=channel,
                    form=Form.SHORT,
                    title="API requests failing in eu-west",
                    text=update.message,
                    incident_id=update.incident_id,
                    update_id=update.id,
                    seq=update.seq,
                    status=update.status,
                    next_update_by=update.next_update_by,
                ),
                created_at=update.created_at,
            )
            for channel in channels
        ]

    @staticmethod
    def open_incident(store: Store, incident_id: str = "inc-1", *channels: str) -> Incident:
        """Save a new incident with its first update, owed to ``channels``; return it as stored."""
        incident = StoreContract.make_incident(
            incident_id, (StoreContract.make_update(incident_id, 1),)
        )
        store.save(
            incident,
            expected_version=None,
            outbox=StoreContract.outbox_for(incident.updates[0], *channels),
        )
        return store.get(incident_id)

    @staticmethod
    def advance(store: Store, incident: Incident, *channels: str, **fields: Any) -> Incident:
        """Save the next update of ``incident`` against its version; return the stored result."""
        changed = StoreContract.next_version(incident, **fields)
        store.save(
            changed,
            expected_version=incident.version,
            outbox=StoreContract.outbox_for(changed.updates[-1], *channels),
        )
        return store.get(incident.id)

    def _claim_one(self, store: Store, channel: str, incident_id: str = "inc-1") -> int:
        (item,) = store.claim(
            token="a", now=_T0, lease=_LEASE, incident_id=incident_id, channels=[channel]
        )
        assert item.id is not None
        return item.id

    # -- the incident and its timeline ----------------------------------------------------

    def test_is_a_store(self, store: Store) -> None:
        """It satisfies the Store protocol."""
        assert isinstance(store, Store)

    def test_an_incident_with_several_updates_comes_back_equal(self, store: Store) -> None:
        """What was saved is what is read: every field, every update, times to the microsecond."""
        updates = (
            self.make_update("inc-1", 1),
            self.make_update("inc-1", 2),
            self.make_update("inc-1", 3, postmortem_by=_T0 + timedelta(days=3, microseconds=7)),
        )
        incident = self.make_incident("inc-1", updates, cause="A bad deploy of the router.")
        store.save(incident, expected_version=None, outbox=self.outbox_for(updates[-1], "status"))

        loaded = store.get("inc-1")

        assert loaded.model_dump(exclude={"deliveries"}) == incident.model_dump(
            exclude={"deliveries"}
        )
        assert [(d.channel, d.update_id, d.state) for d in loaded.deliveries] == [
            ("status", "inc-1-u3", DeliveryState.PENDING)
        ]

    def test_an_unknown_id_raises_incident_not_found(self, store: Store) -> None:
        """Reading an incident that is not there names it."""
        with pytest.raises(IncidentNotFound) as caught:
            store.get("nope")
        assert caught.value.incident_id == "nope"

    def test_updates_come_in_seq_order_and_deliveries_by_seq_then_channel(
        self, store: Store
    ) -> None:
        """The timeline reads in order; deliveries by update, then channel name."""
        incident = self.open_incident(store, "inc-1", "slack", "email")
        incident = self.advance(store, incident, "mastodon", "email")

        assert [u.seq for u in incident.updates] == [1, 2]
        assert [(d.seq, d.channel) for d in incident.deliveries] == [
            (1, "email"),
            (1, "slack"),
            (2, "email"),
            (2, "mastodon"),
        ]

    def test_list_is_newest_first_and_open_only_leaves_out_resolved(self, store: Store) -> None:
        """``list`` is newest first with whole timelines; ``open_only`` drops resolved ones."""
        older = self.make_incident("older", (self.make_update("older", 1),))
        newer = self.make_incident(
            "newer",
            (self.make_update("newer", 1),),
            created_at=_T0 + timedelta(hours=1),
            updated_at=_T0 + timedelta(hours=1),
        )
        store.save(older, expected_version=None, outbox=[])
        store.save(newer, expected_version=None, outbox=[])
        self.advance(store, store.get("older"), status=Status.RESOLVED)

        assert [i.id for i in store.list()] == ["newer", "older"]
        assert [i.id for i in store.list(open_only=True)] == ["newer"]
        assert len(store.list()[1].updates) == 2

    def test_a_change_appends_only_the_newest_update(self, store: Store) -> None:
        """The timeline is append-only: earlier updates stay as first stored, whatever is sent."""
        incident = self.open_incident(store, "inc-1")
        first = incident.updates[0]
        rewritten = first.model_copy(update={"message": "Nothing happened here."})
        changed = self.next_version(incident)
        changed = changed.model_copy(update={"updates": (rewritten, changed.updates[-1])})

        store.save(changed, expected_version=incident.version, outbox=[])

        stored = store.get("inc-1")
        assert stored.updates[0] == first
        assert [u.id for u in stored.updates] == ["inc-1-u1", "inc-1-u2"]

    def test_a_second_update_with_the_same_seq_is_refused(self, store: Store) -> None:
        """An update that would take an existing place in the timeline: StoreError naming it."""
        incident = self.open_incident(store)
        clash = self.make_incident(
            "inc-1", (self.make_update("inc-1", 1, update_id="other"),), version=2
        )
        with pytest.raises(StoreError, match="other"):
            store.save(clash, expected_version=incident.version, outbox=[])
        assert store.get("inc-1") == incident

    def test_an_update_id_is_never_used_twice(self, store: Store) -> None:
        """An update whose id the timeline has already: StoreError naming it, nothing written."""
        incident = self.open_incident(store)
        again = self.next_version(incident, update_id="inc-1-u1")
        with pytest.raises(StoreError, match="inc-1-u1"):
            store.save(again, expected_version=incident.version, outbox=[])
        assert store.get("inc-1") == incident

    def test_saving_without_an_update_is_an_input_error(self, store: Store) -> None:
        """``save`` records an update; an incident with none is refused, naming the field."""
        opened = self.make_incident("inc-1", (self.make_update("inc-1", 1),))
        bare = opened.model_copy(update={"updates": ()})
        with pytest.raises(InputError) as caught:
            store.save(bare, expected_version=None, outbox=[])
        assert caught.value.field == "incident.updates"
        assert store.list() == []

    def test_a_version_that_does_not_move_forward_is_an_input_error(self, store: Store) -> None:
        """The saved incident's version must be newer than the one it was changed from."""
        incident = self.open_incident(store)
        same = self.next_version(incident).model_copy(update={"version": incident.version})
        with pytest.raises(InputError) as caught:
            store.save(same, expected_version=incident.version, outbox=[])
        assert caught.value.field == "incident.version"
        assert store.get("inc-1") == incident

    def test_a_closed_store_refuses_to_work_and_closing_twice_is_harmless(
        self, store: Store
    ) -> None:
        """After ``close`` every operation raises StoreError; ``close`` again does nothing."""
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.list()
        store.close()

    # -- optimistic concurrency -----------------------------------------------------------

    def test_a_stale_expected_version_raises_conflict_and_writes_nothing(
        self, store: Store
    ) -> None:
        """A writer that read an older version gets ConflictError; nothing it sent is kept."""
        first = self.open_incident(store, "inc-1", "status")
        current = self.advance(store, first, "status")
        owed, promised = store.pending(), store.promises(open_only=False)

        stale = self.next_version(first, message="Written against version 1.")
        with pytest.raises(ConflictError) as caught:
            store.save(stale, expected_version=1, outbox=self.outbox_for(stale.updates[-1], "x"))

        assert (caught.value.incident_id, caught.value.expected_version) == ("inc-1", 1)
        assert caught.value.actual_version == 2
        assert store.get("inc-1") == current
        assert store.pending() == owed
        assert store.promises(open_only=False) == promised

    def test_creating_an_incident_that_exists_raises_conflict(self, store: Store) -> None:
        """A new incident (``expected_version=None``) with a taken id conflicts with version 0."""
        incident = self.open_incident(store, "inc-1")
        again = self.make_incident("inc-1", (self.make_update("inc-1", 1, message="Again."),))
        with pytest.raises(ConflictError) as caught:
            store.save(again, expected_version=None, outbox=[])
        assert (caught.value.expected_version, caught.value.actual_version) == (0, 1)
        assert store.get("inc-1") == incident

    def test_saving_against_an_unknown_id_raises_incident_not_found(self, store: Store) -> None:
        """A change to an incident the store never had raises IncidentNotFound, writing nothing."""
        incident = self.make_incident(
            "nope", (self.make_update("nope", 1), self.make_update("nope", 2))
        )
        with pytest.raises(IncidentNotFound):
            store.save(incident, expected_version=1, outbox=[])
        assert store.list() == []
        assert store.promises(open_only=False) == []

    def test_a_failure_part_way_rolls_the_whole_save_back(self, store: Store) -> None:
        """A save that fails on its last outbox row leaves no update, promise or row behind."""
        incident = self.open_incident(store, "inc-1", "status")
        changed = self.next_version(incident)
        twice = self.outbox_for(changed.updates[-1], "status") * 2  # one idempotency key twice

        with pytest.raises(StoreError, match="status"):  # the error names the channel
            store.save(changed, expected_version=incident.version, outbox=twice)

        assert store.get("inc-1") == incident
        assert [(i.seq, i.channel) for i in store.pending()] == [(1, "status")]
        assert [p.update_id for p in store.promises()] == ["inc-1-u1"]

    def test_threads_racing_on_one_version_one_wins_and_nothing_is_lost(self, store: Store) -> None:
        """Of writers that all read version 1, one saves; every other gets ConflictError."""
        self._race(store, [store] * _THREADS)

    def test_two_handles_racing_on_one_version_one_wins(self, store: Store, second: Store) -> None:
        """The version check holds between two handles on the data, as between two processes."""
        self._race(store, [store, second])

    def _race(self, store: Store, writers: list[Store]) -> None:
        incident = self.open_incident(store, "inc-1", "status")
        barrier = threading.Barrier(len(writers))
        outcomes: dict[int, str] = {}

        def write(number: int, handle: Store) -> None:
            try:
                current = handle.get("inc-1")
                barrier.wait(timeout=60)
                changed = self.next_version(
                    current, message=f"Written by {number}.", update_id=f"inc-1-u2-{number}"
                )
                handle.save(
                    changed,
                    expected_version=current.version,
                    outbox=self.outbox_for(changed.updates[-1], f"status-{number}"),
                )
            except ConflictError as exc:
                outcomes[number] = f"conflict {exc.expected_version} {exc.actual_version}"
            except BaseException as exc:  # reported, so the test fails with the reason
                outcomes[number] = f"error {exc!r}"
            else:
                outcomes[number] = "saved"

        threads = [
            threading.Thread(target=write, args=(number, handle))
            for number, handle in enumerate(writers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert sorted(outcomes.values()) == sorted(
            ["saved"] + ["conflict 1 2"] * (len(writers) - 1)
        ), outcomes
        (winner,) = (number for number, outcome in outcomes.items() if outcome == "saved")
        stored = store.get("inc-1")
        assert stored.version == incident.version + 1
        assert [u.id for u in stored.updates] == ["inc-1-u1", f"inc-1-u2-{winner}"]
        assert stored.updates[-1].message == f"Written by {winner}."
        assert [p.update_id for p in store.promises()] == [f"inc-1-u2-{winner}"]
        assert {d.channel for d in stored.deliveries} == {"status", f"status-{winner}"}

    def test_threads_can_share_one_store(self, store: Store) -> None:
        """One store serves many threads at once (delivery works from a thread pool)."""
        errors: list[BaseException] = []

        def work(number: int) -> None:
            try:
                incident = self.open_incident(store, f"inc-{number}", "status")
                self.advance(store, incident, "status")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert errors == []
        assert sorted(i.id for i in store.list()) == sorted(f"inc-{n}" for n in range(8))
        assert len(store.pending()) == 16

    def test_another_handle_sees_what_one_wrote(self, store: Store, second: Store) -> None:
        """Data saved through one handle is read, whole, through another."""
        incident = self.open_incident(store, "inc-1", "status")
        assert second.get("inc-1") == incident
        assert second.pending() == store.pending()

    # -- promises -------------------------------------------------------------------------

    def test_an_update_promises_the_next_one_and_the_write_up(self, store: Store) -> None:
        """``next_update_by`` and ``postmortem_by`` each make a promise, due then."""
        incident = self.open_incident(store, "inc-1")
        due = _T0 + timedelta(days=3)
        self.advance(store, incident, status=Status.RESOLVED, postmortem_by=due)

        made = store.promises(open_only=False)

        assert [(p.update_id, p.kind) for p in made] == [
            ("inc-1-u1", PromiseKind.NEXT_UPDATE),
            ("inc-1-u2", PromiseKind.POSTMORTEM),
        ]
        assert made[0].due_at == _T0 + timedelta(minutes=30)
        assert made[1].due_at == due

    def test_the_next_update_keeps_the_open_next_update_promise(self, store: Store) -> None:
        """A later update keeps the promise, when it was made and by which update."""
        incident = self.open_incident(store, "inc-1")
        assert [p.update_id for p in store.promises()] == ["inc-1-u1"]

        self.advance(store, incident)

        kept = store.promises(open_only=False)[0]
        assert (kept.update_id, kept.kept_by) == ("inc-1-u1", "inc-1-u2")
        assert kept.kept_at == _T0 + timedelta(minutes=30)
        assert [p.update_id for p in store.promises()] == ["inc-1-u2"]

    def test_a_new_incident_with_a_history_keeps_its_own_earlier_promises(
        self, store: Store
    ) -> None:
        """A whole timeline saved at once (an import) keeps each promise by the next update."""
        updates = tuple(self.make_update("inc-1", seq) for seq in (1, 2, 3))
        store.save(self.make_incident("inc-1", updates), expected_version=None, outbox=[])

        assert [p.update_id for p in store.promises()] == ["inc-1-u3"]
        assert [p.kept_by for p in store.promises(open_only=False)] == [
            "inc-1-u2",
            "inc-1-u3",
            None,
        ]

    def test_promises_are_ordered_by_due_time(self, store: Store) -> None:
        """Soonest due first, whichever was saved first."""
        late = self.make_incident("late", (self.make_update("late", 2),))
        store.save(late, expected_version=None, outbox=[])
        self.open_incident(store, "early")

        assert [p.incident_id for p in store.promises()] == ["early", "late"]

    def test_the_write_up_promise_is_not_kept_by_a_later_update(self, store: Store) -> None:
        """Only the write-up keeps the write-up promise; an ordinary update does not."""
        incident = self.open_incident(store, "inc-1")
        incident = self.advance(store, incident, postmortem_by=_T0 + timedelta(days=3))
        self.advance(store, incident)

        assert {p.kind for p in store.promises()} == {
            PromiseKind.NEXT_UPDATE,
            PromiseKind.POSTMORTEM,
        }

    def test_the_write_up_keeps_its_promise_and_records_its_action_items(
        self, store: Store
    ) -> None:
        """Publishing the write-up keeps the write-up promise and opens each action item."""
        incident = self.open_incident(store, "inc-1")
        incident = self.advance(
            store, incident, status=Status.RESOLVED, postmortem_by=_T0 + timedelta(days=3)
        )
        write_up = WriteUp(
            summary="Requests to the API in eu-west failed for 40 minutes.",
            what_happened="A router deploy dropped a route; we rolled it back.",
            what_we_are_doing="Deploys now wait for a canary in each region.",
            action_items=("Canary every router deploy", "Alert on dropped routes"),
        )
        written = self.advance(
            store,
            incident,
            status=Status.RESOLVED,
            kind=UpdateKind.POSTMORTEM,
            write_up=write_up,
        )

        assert store.promises() == []
        (kept,) = (p for p in store.promises(open_only=False) if p.kind is PromiseKind.POSTMORTEM)
        assert kept.kept_by == "inc-1-u3"
        assert written.updates[-1].write_up == write_up
        assert [(a.number, a.text, a.status) for a in written.action_items] == [
            (1, "Canary every router deploy", ActionStatus.OPEN),
            (2, "Alert on dropped routes", ActionStatus.OPEN),
        ]
        assert {a.updated_at for a in written.action_items} == {written.updates[-1].created_at}

    # -- the ledger: action items, closures, reminders ------------------------------------

    def _written_up(self, store: Store) -> Incident:
        incident = self.open_incident(store, "inc-1")
        incident = self.advance(store, incident, status=Status.RESOLVED)
        return self.advance(
            store,
            incident,
            status=Status.RESOLVED,
            kind=UpdateKind.POSTMORTEM,
            write_up=WriteUp(
                summary="Requests failed.",
                what_happened="A deploy broke routing.",
                what_we_are_doing="Canaries.",
                action_items=("Canary every deploy",),
            ),
        )

    def test_an_action_item_changes_status_and_says_when(self, store: Store) -> None:
        """``set_action_item`` returns the item as changed; the incident shows it."""
        self._written_up(store)
        at = _T0 + timedelta(days=2)

        item = store.set_action_item("inc-1", 1, ActionStatus.DONE, at=at)

        assert (item.number, item.text, item.status, item.updated_at) == (
            1,
            "Canary every deploy",
            ActionStatus.DONE,
            at,
        )
        assert store.get("inc-1").action_items == (item,)

    def test_an_action_item_the_write_up_does_not_have_is_an_input_error(
        self, store: Store
    ) -> None:
        """Asking for item 2 of a one-item write-up raises InputError and changes nothing."""
        incident = self._written_up(store)
        with pytest.raises(InputError) as caught:
            store.set_action_item("inc-1", 2, ActionStatus.DONE, at=_T0)
        assert (caught.value.field, caught.value.value) == ("number", 2)
        assert store.get("inc-1").action_items == incident.action_items

    def test_the_books_are_closed_once(self, store: Store) -> None:
        """A closure is recorded and read back; closing again raises StoreError, keeping it."""
        self._written_up(store)
        closure = Closure(
            closed_at=_T0 + timedelta(days=4), by="jo", reason="Done.", overridden=("a", "b")
        )

        store.close_incident("inc-1", closure)

        assert store.get("inc-1").closure == closure
        with pytest.raises(StoreError, match="inc-1"):
            store.close_incident("inc-1", Closure(closed_at=_T0 + timedelta(days=5)))
        assert store.get("inc-1").closure == closure

    def test_closing_an_unknown_incident_raises_incident_not_found(self, store: Store) -> None:
        """The books of an incident the store does not have cannot be closed."""
        with pytest.raises(IncidentNotFound) as caught:
            store.close_incident("nope", Closure(closed_at=_T0))
        assert caught.value.incident_id == "nope"

    def test_a_reminder_is_claimed_by_one_holder_only(self, store: Store) -> None:
        """The first to claim a reminder's key acts on it; everyone after sees it taken."""
        key = "inc-1/inc-1-u1/next_update/*/due_soon"
        assert store.claim_reminder(key, holder="a", at=_T0)
        assert not store.claim_reminder(key, holder="b", at=_T0)
        assert not store.claim_reminder(key, holder="a", at=_T0)
        assert store.claim_reminder("inc-1/inc-1-u1/next_update/*/broken", holder="b", at=_T0)

    def test_a_reminder_is_claimed_once_across_handles(self, store: Store, second: Store) -> None:
        """Two watchers on two hosts sharing the data warn once."""
        key = "inc-1/inc-1-u1/next_update/*/due_soon"
        assert store.claim_reminder(key, holder="a", at=_T0)
        assert not second.claim_reminder(key, holder="b", at=_T0)

    # -- the outbox -----------------------------------------------------------------------

    def test_a_pending_row_keeps_its_message_and_key(self, store: Store) -> None:
        """A row reads back as it was given, with an id the store chose."""
        incident = self.open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        expected = self.outbox_for(incident.updates[0], "slack")[0]

        assert isinstance(item.id, int)
        assert item.model_dump(exclude={"id"}) == expected.model_dump(exclude={"id"})

    def test_pending_rows_come_oldest_first_so_no_update_overtakes_another(
        self, store: Store
    ) -> None:
        """Rows still owed come in the order they were saved, each with its own id."""
        first = self.open_incident(store, "inc-1", "slack", "email")
        other = self.open_incident(store, "inc-2", "slack")
        self.advance(store, first, "slack", "email")
        self.advance(store, other, "slack")

        assert [(i.incident_id, i.seq, i.channel) for i in store.pending()] == [
            ("inc-1", 1, "slack"),
            ("inc-1", 1, "email"),
            ("inc-2", 1, "slack"),
            ("inc-1", 2, "slack"),
            ("inc-1", 2, "email"),
            ("inc-2", 2, "slack"),
        ]
        assert [(i.seq, i.channel) for i in store.pending(incident_id="inc-2")] == [
            (1, "slack"),
            (2, "slack"),
        ]
        ids = [i.id for i in store.pending()]
        assert len(set(ids)) == len(ids)

    def test_a_pending_row_is_recorded_sent_with_its_receipt(self, store: Store) -> None:
        """``record_sent`` ends the row: it is owed no more, and its receipt is kept."""
        self.open_incident(store, "inc-1", "mastodon")
        (item,) = store.pending()
        assert item.id is not None
        receipt = Receipt(
            channel="mastodon",
            remote_id="111",
            url="https://hachyderm.io/@acme/111",
            thread_root="111",
        )

        store.record_sent(item.id, receipt, at=_T0 + timedelta(seconds=3), attempts=2)

        assert store.pending() == []
        assert store.receipts("inc-1", "mastodon") == [receipt]
        (delivery,) = store.get("inc-1").deliveries
        assert delivery.state is DeliveryState.SENT
        assert delivery.attempts == 2
        assert delivery.sent_at == _T0 + timedelta(seconds=3)
        assert (delivery.remote_id, delivery.remote_url, delivery.thread_root) == (
            "111",
            receipt.url,
            "111",
        )

    def test_a_failure_that_is_not_final_waits_to_retry_then_a_final_one_fails_it(
        self, store: Store
    ) -> None:
        """A retry keeps its error and due time; a final failure counts the attempts and ends it."""
        self.open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        assert item.id is not None

        later = _T0 + timedelta(minutes=1)
        store.record_failure(
            item.id, "HTTP 503 from Slack", final=False, at=_T0, next_attempt_at=later
        )

        (still,) = store.pending()
        assert (still.id, still.state, still.attempts) == (item.id, DeliveryState.RETRY, 1)
        assert still.last_error == "HTTP 503 from Slack"
        assert still.next_attempt_at == later
        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.next_attempt_at) == (DeliveryState.RETRY, later)

        store.record_failure(item.id, "HTTP 401: invalid_auth", final=True, at=_T0)

        assert store.pending() == []
        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 2)
        assert delivery.last_error == "HTTP 401: invalid_auth"
        assert delivery.next_attempt_at is None
        assert store.receipts("inc-1", "slack") == []

    def test_a_retry_without_a_time_is_due_when_it_failed(self, store: Store) -> None:
        """With no ``next_attempt_at``, a retry is due at ``at``: not before, at once after."""
        self.open_incident(store, "inc-1", "slack")
        item_id = self._claim_one(store, "slack")
        failed_at = _T0 + timedelta(minutes=10)
        store.record_failure(item_id, "timed out", final=False, at=failed_at)

        (item,) = store.pending()
        assert item.next_attempt_at == failed_at
        assert store.claim(token="a", now=failed_at - timedelta(seconds=1), lease=_LEASE) == []
        (again,) = store.claim(token="a", now=failed_at, lease=_LEASE)
        assert again.id == item_id

    def test_maybe_sent_once_recorded_stays(self, store: Store) -> None:
        """Once an attempt may have reached the service, a later failure does not forget it."""
        self.open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        assert item.id is not None

        store.record_failure(item.id, "timed out", final=False, at=_T0, maybe_sent=True)
        store.record_failure(item.id, "HTTP 503", final=False, at=_T0, maybe_sent=False)

        (still,) = store.pending()
        assert (still.maybe_sent, still.attempts, still.last_error) == (True, 2, "HTTP 503")

    def test_recording_an_unknown_row_raises_store_error(self, store: Store) -> None:
        """An outcome for a row the store does not have: StoreError naming the row's id."""
        with pytest.raises(StoreError, match="42"):
            store.record_sent(42, Receipt(channel="x"), at=_T0)
        with pytest.raises(StoreError, match="42"):
            store.record_failure(42, "HTTP 500", final=True, at=_T0)
        with pytest.raises(StoreError, match="42"):
            store.record_many([OutboxFailure(item_id=42, error="HTTP 500", final=False, at=_T0)])

    def test_many_outcomes_are_recorded_together(self, store: Store) -> None:
        """``record_many`` does to each row what ``record_sent`` or ``record_failure`` would."""
        self.open_incident(store, "inc-1", "slack", "email", "sms")
        slack, email, sms = store.pending()
        assert slack.id is not None
        assert email.id is not None
        assert sms.id is not None

        store.record_many(
            [
                OutboxSent(
                    item_id=slack.id, receipt=Receipt(channel="slack", remote_id="1"), at=_T0
                ),
                OutboxFailure(item_id=email.id, error="HTTP 400", final=True, at=_T0),
                OutboxFailure(
                    item_id=sms.id, error="HTTP 503", final=False, at=_T0, maybe_sent=True
                ),
            ]
        )

        states = {d.channel: d.state for d in store.get("inc-1").deliveries}
        assert states == {
            "slack": DeliveryState.SENT,
            "email": DeliveryState.FAILED,
            "sms": DeliveryState.RETRY,
        }
        (retry,) = store.pending()
        assert (retry.channel, retry.maybe_sent) == ("sms", True)
        assert [r.remote_id for r in store.receipts("inc-1", "slack")] == ["1"]

    def test_recording_many_with_an_unknown_row_records_none_of_them(self, store: Store) -> None:
        """``record_many`` is all or nothing: one unknown row and no outcome is kept."""
        self.open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        assert item.id is not None

        with pytest.raises(StoreError, match="42"):
            store.record_many(
                [
                    OutboxSent(item_id=item.id, receipt=Receipt(channel="slack"), at=_T0),
                    OutboxSent(item_id=42, receipt=Receipt(channel="slack"), at=_T0),
                ]
            )

        assert store.pending() == [item]
        assert store.receipts("inc-1", "slack") == []

    def test_recording_nothing_changes_nothing(self, store: Store) -> None:
        """``record_many([])`` is allowed and does nothing."""
        self.open_incident(store, "inc-1", "slack")
        owed = store.pending()
        store.record_many([])
        assert store.pending() == owed

    def test_receipts_are_per_channel_and_oldest_first(self, store: Store) -> None:
        """``receipts`` lists one channel's delivered updates, in timeline order."""
        incident = self.open_incident(store, "inc-1", "slack", "email")
        self.advance(store, incident, "slack", "email")
        for item in reversed(store.pending()):  # recorded newest first; read oldest first
            assert item.id is not None
            store.record_sent(
                item.id,
                Receipt(channel=item.channel, remote_id=f"{item.channel}-{item.seq}"),
                at=_T0,
            )

        assert [r.remote_id for r in store.receipts("inc-1", "slack")] == ["slack-1", "slack-2"]
        assert [r.remote_id for r in store.receipts("inc-1", "email")] == ["email-1", "email-2"]
        assert store.receipts("inc-1", "sms") == []

    def test_a_row_saved_as_sent_keeps_its_receipt_and_is_not_owed(self, store: Store) -> None:
        """An imported row arrives ``sent``: its receipt is recorded in the same save."""
        update = self.make_update("inc-1", 1)
        receipt = Receipt(channel="status", remote_id="p-1", url="https://status.test/p-1")
        (row,) = self.outbox_for(update, "status")
        row = row.model_copy(update={"state": DeliveryState.SENT, "receipt": receipt})

        store.save(self.make_incident("inc-1", (update,)), expected_version=None, outbox=[row])

        assert store.pending() == []
        assert store.claim(token="a", now=_T0, lease=_LEASE, due_only=False) == []
        assert store.receipts("inc-1", "status") == [receipt]
        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.remote_id) == (DeliveryState.SENT, "p-1")

    # -- claims and leases ----------------------------------------------------------------

    def test_a_claim_takes_the_head_of_each_channel_and_marks_it_in_flight(
        self, store: Store
    ) -> None:
        """Only the oldest row owed per (incident, channel) is claimed, under the token."""
        incident = self.open_incident(store, "inc-1", "slack", "email")
        self.advance(store, incident, "slack", "email")

        claimed = store.claim(token="a", now=_T0, lease=_LEASE)

        assert [(i.seq, i.channel, i.state, i.claim) for i in claimed] == [
            (1, "slack", DeliveryState.IN_FLIGHT, "a"),
            (1, "email", DeliveryState.IN_FLIGHT, "a"),
        ]
        assert [(i.state, i.claim) for i in store.pending() if i.seq == 1] == [
            (DeliveryState.IN_FLIGHT, "a"),
            (DeliveryState.IN_FLIGHT, "a"),
        ]
        assert {d.state for d in store.get("inc-1").deliveries if d.seq == 1} == {
            DeliveryState.IN_FLIGHT
        }

    def test_a_row_in_flight_under_a_live_lease_is_claimed_by_nobody_else(
        self, store: Store
    ) -> None:
        """A live claim holds its row, and the rows behind it (update 2 never overtakes 1)."""
        incident = self.open_incident(store, "inc-1", "slack")
        self.advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=_T0, lease=_LEASE)

        almost = _T0 + _LEASE - timedelta(microseconds=1)
        assert store.claim(token="b", now=almost, lease=_LEASE) == []
        assert store.claim(token="b", now=almost, lease=_LEASE, due_only=False) == []
        assert first.seq == 1

    def test_a_claim_whose_lease_ran_out_is_taken_over_as_maybe_sent(self, store: Store) -> None:
        """The process holding it died: the attempt counts, and may have reached the service."""
        self.open_incident(store, "inc-1", "slack")
        (first,) = store.claim(token="a", now=_T0, lease=_LEASE)

        (again,) = store.claim(token="b", now=_T0 + _LEASE, lease=_LEASE)

        assert (again.id, again.claim, again.attempts, again.maybe_sent) == (
            first.id,
            "b",
            1,
            True,
        )
        assert again.last_error, "the row says why its attempt ended without an outcome"

    def test_a_retry_waits_for_its_time_and_holds_back_the_rows_behind_it(
        self, store: Store
    ) -> None:
        """A retry not yet due is not claimed, nor what follows it; ``due_only=False`` forces it."""
        incident = self.open_incident(store, "inc-1", "slack")
        self.advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=_T0, lease=_LEASE)
        assert first.id is not None
        due = _T0 + timedelta(minutes=5)
        store.record_failure(first.id, "HTTP 429", final=False, at=_T0, next_attempt_at=due)

        assert store.claim(token="a", now=_T0 + timedelta(minutes=4), lease=_LEASE) == []
        (forced,) = store.claim(token="a", now=_T0, lease=_LEASE, due_only=False)
        assert forced.id == first.id
        store.record_failure(first.id, "HTTP 429", final=False, at=_T0, next_attempt_at=due)
        (claimed,) = store.claim(token="a", now=due, lease=_LEASE)
        assert (claimed.id, claimed.attempts) == (first.id, 2)

    def test_once_the_head_is_sent_the_next_update_is_the_head(self, store: Store) -> None:
        """A receipt ends the claim and frees the channel for the next update."""
        incident = self.open_incident(store, "inc-1", "slack")
        self.advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=_T0, lease=_LEASE)
        assert first.id is not None
        store.record_sent(first.id, Receipt(channel="slack", remote_id="1"), at=_T0)

        (second,) = store.claim(token="a", now=_T0, lease=_LEASE)

        assert second.seq == 2

    def test_a_row_failed_for_good_does_not_block_the_updates_after_it(self, store: Store) -> None:
        """A refused update is skipped on its channel; the next one goes."""
        incident = self.open_incident(store, "inc-1", "slack")
        self.advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=_T0, lease=_LEASE)
        assert first.id is not None
        store.record_failure(first.id, "HTTP 400: too long", final=True, at=_T0)

        (second,) = store.claim(token="a", now=_T0, lease=_LEASE)

        assert second.seq == 2

    def test_claims_can_be_limited_to_an_incident_and_to_channels(self, store: Store) -> None:
        """``incident_id`` and ``channels`` narrow what is claimed; the rest stays owed."""
        self.open_incident(store, "inc-1", "slack", "email")
        self.open_incident(store, "inc-2", "slack")

        only = store.claim(
            token="a", now=_T0, lease=_LEASE, incident_id="inc-1", channels=["email"]
        )

        assert [(i.incident_id, i.channel) for i in only] == [("inc-1", "email")]
        assert store.claim(token="a", now=_T0, lease=_LEASE, channels=[]) == []
        rest = store.claim(token="a", now=_T0, lease=_LEASE)
        assert [(i.incident_id, i.channel) for i in rest] == [
            ("inc-1", "slack"),
            ("inc-2", "slack"),
        ]

    def test_a_late_outcome_never_undoes_a_receipt(self, store: Store) -> None:
        """A row sent keeps its first receipt, whatever is recorded for it afterwards."""
        self.open_incident(store, "inc-1", "slack")
        (item,) = store.claim(token="a", now=_T0, lease=_LEASE)
        assert item.id is not None
        store.record_sent(item.id, Receipt(channel="slack", remote_id="first"), at=_T0)

        store.record_failure(item.id, "timed out", final=False, at=_T0)
        store.record_failure(item.id, "HTTP 400", final=True, at=_T0)
        store.record_sent(item.id, Receipt(channel="slack", remote_id="second"), at=_T0)
        store.record_many([OutboxFailure(item_id=item.id, error="HTTP 500", final=False, at=_T0)])

        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.remote_id, delivery.attempts) == (
            DeliveryState.SENT,
            "first",
            1,
        )
        assert store.pending() == []

    def test_threads_claiming_at_once_never_take_the_same_row(self, store: Store) -> None:
        """Many claimers at once: every head is claimed, and no row by two of them."""
        self._claim_race(store, [store] * _THREADS)

    def test_two_handles_claiming_at_once_never_take_the_same_row(
        self, store: Store, second: Store
    ) -> None:
        """Claims are exclusive between two handles on the data, as between two processes."""
        self._claim_race(store, [store, second, store, second])

    def _claim_race(self, store: Store, claimers: list[Store]) -> None:
        for number in range(10):
            self.open_incident(store, f"inc-{number}", "slack", "email")
        barrier = threading.Barrier(len(claimers))
        taken: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def work(token: str, handle: Store) -> None:
            try:
                barrier.wait(timeout=60)
                for _ in range(10):
                    got = [i.id for i in handle.claim(token=token, now=_T0, lease=_LEASE)]
                    with lock:
                        taken.extend(i for i in got if i is not None)
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(f"t{number}", handle))
            for number, handle in enumerate(claimers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        assert errors == []
        assert len(taken) == len(set(taken)) == 20
        assert sorted(taken) == sorted(i.id for i in store.pending() if i.id is not None)

    # -- owing failed rows again ----------------------------------------------------------

    def test_failed_rows_no_later_receipt_supersedes_are_owed_again_due_now(
        self, store: Store
    ) -> None:
        """A channel catches up from the first update it missed; an out-of-date one stays failed."""
        incident = self.open_incident(store, "inc-1", "slack", "email")
        self.advance(store, incident, "slack", "email")
        self.open_incident(store, "inc-2", "slack")

        def settle(channel: str, *, sent: bool, incident_id: str = "inc-1") -> None:
            item_id = self._claim_one(store, channel, incident_id)
            if sent:
                store.record_sent(item_id, Receipt(channel=channel, remote_id="r"), at=_T0)
            else:
                store.record_failure(item_id, "HTTP 401: bad token", final=True, at=_T0)

        settle("slack", sent=False)  # update 1 failed, then update 2 sent: 1 is out of date
        settle("slack", sent=True)
        settle("email", sent=False)  # both failed: email catches up from update 1
        settle("email", sent=False)
        settle("slack", sent=False, incident_id="inc-2")
        later = _T0 + timedelta(hours=1)

        requeued = store.requeue_failed(now=later, incident_id="inc-1")

        assert [(i.incident_id, i.seq, i.channel, i.state) for i in requeued] == [
            ("inc-1", 1, "email", DeliveryState.RETRY),
            ("inc-1", 2, "email", DeliveryState.RETRY),
        ]
        assert all(i.attempts == 1 and i.next_attempt_at == later for i in requeued)
        assert all(i.last_error == "HTTP 401: bad token" for i in requeued)
        assert [(d.seq, d.channel, d.state) for d in store.get("inc-1").deliveries] == [
            (1, "email", DeliveryState.RETRY),
            (1, "slack", DeliveryState.FAILED),
            (2, "email", DeliveryState.RETRY),
            (2, "slack", DeliveryState.SENT),
        ]
        (head,) = store.claim(token="a", now=later, lease=_LEASE, incident_id="inc-1")
        assert (head.seq, head.channel) == (1, "email")
        assert store.requeue_failed(now=later, channels=["email"]) == []
        (other,) = store.requeue_failed(now=later, channels=["slack"])
        assert other.incident_id == "inc-2"

    def test_requeue_finds_nothing_when_nothing_failed(self, store: Store) -> None:
        """Rows pending, in flight or sent are left as they are."""
        incident = self.open_incident(store, "inc-1", "slack", "email", "sms")
        self.advance(store, incident, "slack")
        slack = self._claim_one(store, "slack")
        store.record_sent(slack, Receipt(channel="slack"), at=_T0)
        self._claim_one(store, "email")
        owed = store.pending()

        assert store.requeue_failed(now=_T0) == []
        assert store.pending() == owed
