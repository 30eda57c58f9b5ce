"""The store contract: the incident and its timeline, and optimistic concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from candor.errors import ConflictError, IncidentNotFound, InputError, StoreError
from candor.model import DeliveryState, Status
from candor.testing.store_contract._suite import T0, THREADS, Suite
from candor.typing import Store

__all__ = ["TimelineTests"]


class TimelineTests(Suite):
    """The timeline is append-only; a stale writer gets ConflictError and writes nothing."""

    # -- the incident and its timeline ----------------------------------------------------

    def test_is_a_store(self, store: Store) -> None:
        """It satisfies the Store protocol."""
        assert isinstance(store, Store)

    def test_an_incident_with_several_updates_comes_back_equal(self, store: Store) -> None:
        """What was saved is what is read: every field, every update, times to the microsecond."""
        updates = (
            self.make_update("inc-1", 1),
            self.make_update("inc-1", 2),
            self.make_update("inc-1", 3, postmortem_by=T0 + timedelta(days=3, microseconds=7)),
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
            created_at=T0 + timedelta(hours=1),
            updated_at=T0 + timedelta(hours=1),
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
        self._race(store, [store] * THREADS)

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
