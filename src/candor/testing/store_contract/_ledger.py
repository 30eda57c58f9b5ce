"""The store contract: promises made and kept, write-ups, action items, closures, reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candor.errors import IncidentNotFound, InputError, StoreError
from candor.model import ActionStatus, Closure, Incident, PromiseKind, Status, UpdateKind, WriteUp
from candor.testing.store_contract._suite import T0, Suite
from candor.typing import Store

__all__ = ["LedgerTests"]


class LedgerTests(Suite):
    """The promise ledger: what updates promised, what kept it, and the books closed once."""

    # -- promises -------------------------------------------------------------------------

    def test_an_update_promises_the_next_one_and_the_write_up(self, store: Store) -> None:
        """``next_update_by`` and ``postmortem_by`` each make a promise, due then."""
        incident = self.open_incident(store, "inc-1")
        due = T0 + timedelta(days=3)
        self.advance(store, incident, status=Status.RESOLVED, postmortem_by=due)

        made = store.promises(open_only=False)

        assert [(p.update_id, p.kind) for p in made] == [
            ("inc-1-u1", PromiseKind.NEXT_UPDATE),
            ("inc-1-u2", PromiseKind.POSTMORTEM),
        ]
        assert made[0].due_at == T0 + timedelta(minutes=30)
        assert made[1].due_at == due

    def test_the_next_update_keeps_the_open_next_update_promise(self, store: Store) -> None:
        """A later update keeps the promise, when it was made and by which update."""
        incident = self.open_incident(store, "inc-1")
        assert [p.update_id for p in store.promises()] == ["inc-1-u1"]

        self.advance(store, incident)

        kept = store.promises(open_only=False)[0]
        assert (kept.update_id, kept.kept_by) == ("inc-1-u1", "inc-1-u2")
        assert kept.kept_at == T0 + timedelta(minutes=30)
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
        incident = self.advance(store, incident, postmortem_by=T0 + timedelta(days=3))
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
            store, incident, status=Status.RESOLVED, postmortem_by=T0 + timedelta(days=3)
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
        at = T0 + timedelta(days=2)

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
            store.set_action_item("inc-1", 2, ActionStatus.DONE, at=T0)
        assert (caught.value.field, caught.value.value) == ("number", 2)
        assert store.get("inc-1").action_items == incident.action_items

    def test_the_books_are_closed_once(self, store: Store) -> None:
        """A closure is recorded and read back; closing again raises StoreError, keeping it."""
        self._written_up(store)
        closure = Closure(
            closed_at=T0 + timedelta(days=4), by="jo", reason="Done.", overridden=("a", "b")
        )

        store.close_incident("inc-1", closure)

        assert store.get("inc-1").closure == closure
        with pytest.raises(StoreError, match="inc-1"):
            store.close_incident("inc-1", Closure(closed_at=T0 + timedelta(days=5)))
        assert store.get("inc-1").closure == closure

    def test_closing_an_unknown_incident_raises_incident_not_found(self, store: Store) -> None:
        """The books of an incident the store does not have cannot be closed."""
        with pytest.raises(IncidentNotFound) as caught:
            store.close_incident("nope", Closure(closed_at=T0))
        assert caught.value.incident_id == "nope"

    def test_a_reminder_is_claimed_by_one_holder_only(self, store: Store) -> None:
        """The first to claim a reminder's key acts on it; everyone after sees it taken."""
        key = "inc-1/inc-1-u1/next_update/*/due_soon"
        assert store.claim_reminder(key, holder="a", at=T0)
        assert not store.claim_reminder(key, holder="b", at=T0)
        assert not store.claim_reminder(key, holder="a", at=T0)
        assert store.claim_reminder("inc-1/inc-1-u1/next_update/*/broken", holder="b", at=T0)

    def test_a_reminder_is_claimed_once_across_handles(self, store: Store, second: Store) -> None:
        """Two watchers on two hosts sharing the data warn once."""
        key = "inc-1/inc-1-u1/next_update/*/due_soon"
        assert store.claim_reminder(key, holder="a", at=T0)
        assert not second.claim_reminder(key, holder="b", at=T0)
