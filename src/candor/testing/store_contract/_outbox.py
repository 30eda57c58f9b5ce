"""The store contract: the outbox as a state machine, claims and leases, requeueing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from candor.errors import StoreError
from candor.model import DeliveryState
from candor.testing.store_contract._suite import LEASE, T0, THREADS, Suite
from candor.typing import Store
from candor.vocabulary import OutboxFailure, OutboxSent, Receipt

__all__ = ["OutboxTests"]


class OutboxTests(Suite):
    """Rows owed, in flight under a lease, sent with their first receipt, retried, failed."""

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

        store.record_sent(item.id, receipt, at=T0 + timedelta(seconds=3), attempts=2)

        assert store.pending() == []
        assert store.receipts("inc-1", "mastodon") == [receipt]
        (delivery,) = store.get("inc-1").deliveries
        assert delivery.state is DeliveryState.SENT
        assert delivery.attempts == 2
        assert delivery.sent_at == T0 + timedelta(seconds=3)
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

        later = T0 + timedelta(minutes=1)
        store.record_failure(
            item.id, "HTTP 503 from Slack", final=False, at=T0, next_attempt_at=later
        )

        (still,) = store.pending()
        assert (still.id, still.state, still.attempts) == (item.id, DeliveryState.RETRY, 1)
        assert still.last_error == "HTTP 503 from Slack"
        assert still.next_attempt_at == later
        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.next_attempt_at) == (DeliveryState.RETRY, later)

        store.record_failure(item.id, "HTTP 401: invalid_auth", final=True, at=T0)

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
        failed_at = T0 + timedelta(minutes=10)
        store.record_failure(item_id, "timed out", final=False, at=failed_at)

        (item,) = store.pending()
        assert item.next_attempt_at == failed_at
        assert store.claim(token="a", now=failed_at - timedelta(seconds=1), lease=LEASE) == []
        (again,) = store.claim(token="a", now=failed_at, lease=LEASE)
        assert again.id == item_id

    def test_maybe_sent_once_recorded_stays(self, store: Store) -> None:
        """Once an attempt may have reached the service, a later failure does not forget it."""
        self.open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        assert item.id is not None

        store.record_failure(item.id, "timed out", final=False, at=T0, maybe_sent=True)
        store.record_failure(item.id, "HTTP 503", final=False, at=T0, maybe_sent=False)

        (still,) = store.pending()
        assert (still.maybe_sent, still.attempts, still.last_error) == (True, 2, "HTTP 503")

    def test_recording_an_unknown_row_raises_store_error(self, store: Store) -> None:
        """An outcome for a row the store does not have: StoreError naming the row's id."""
        with pytest.raises(StoreError, match="42"):
            store.record_sent(42, Receipt(channel="x"), at=T0)
        with pytest.raises(StoreError, match="42"):
            store.record_failure(42, "HTTP 500", final=True, at=T0)
        with pytest.raises(StoreError, match="42"):
            store.record_many([OutboxFailure(item_id=42, error="HTTP 500", final=False, at=T0)])

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
                    item_id=slack.id, receipt=Receipt(channel="slack", remote_id="1"), at=T0
                ),
                OutboxFailure(item_id=email.id, error="HTTP 400", final=True, at=T0),
                OutboxFailure(
                    item_id=sms.id, error="HTTP 503", final=False, at=T0, maybe_sent=True
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
                    OutboxSent(item_id=item.id, receipt=Receipt(channel="slack"), at=T0),
                    OutboxSent(item_id=42, receipt=Receipt(channel="slack"), at=T0),
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
                at=T0,
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
        assert store.claim(token="a", now=T0, lease=LEASE, due_only=False) == []
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

        claimed = store.claim(token="a", now=T0, lease=LEASE)

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
        (first,) = store.claim(token="a", now=T0, lease=LEASE)

        almost = T0 + LEASE - timedelta(microseconds=1)
        assert store.claim(token="b", now=almost, lease=LEASE) == []
        assert store.claim(token="b", now=almost, lease=LEASE, due_only=False) == []
        assert first.seq == 1

    def test_a_claim_whose_lease_ran_out_is_taken_over_as_maybe_sent(self, store: Store) -> None:
        """The process holding it died: the attempt counts, and may have reached the service."""
        self.open_incident(store, "inc-1", "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)

        (again,) = store.claim(token="b", now=T0 + LEASE, lease=LEASE)

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
        (first,) = store.claim(token="a", now=T0, lease=LEASE)
        assert first.id is not None
        due = T0 + timedelta(minutes=5)
        store.record_failure(first.id, "HTTP 429", final=False, at=T0, next_attempt_at=due)

        assert store.claim(token="a", now=T0 + timedelta(minutes=4), lease=LEASE) == []
        (forced,) = store.claim(token="a", now=T0, lease=LEASE, due_only=False)
        assert forced.id == first.id
        store.record_failure(first.id, "HTTP 429", final=False, at=T0, next_attempt_at=due)
        (claimed,) = store.claim(token="a", now=due, lease=LEASE)
        assert (claimed.id, claimed.attempts) == (first.id, 2)

    def test_once_the_head_is_sent_the_next_update_is_the_head(self, store: Store) -> None:
        """A receipt ends the claim and frees the channel for the next update."""
        incident = self.open_incident(store, "inc-1", "slack")
        self.advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)
        assert first.id is not None
        store.record_sent(first.id, Receipt(channel="slack", remote_id="1"), at=T0)

        (second,) = store.claim(token="a", now=T0, lease=LEASE)

        assert second.seq == 2

    def test_a_row_failed_for_good_does_not_block_the_updates_after_it(self, store: Store) -> None:
        """A refused update is skipped on its channel; the next one goes."""
        incident = self.open_incident(store, "inc-1", "slack")
        self.advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)
        assert first.id is not None
        store.record_failure(first.id, "HTTP 400: too long", final=True, at=T0)

        (second,) = store.claim(token="a", now=T0, lease=LEASE)

        assert second.seq == 2

    def test_claims_can_be_limited_to_an_incident_and_to_channels(self, store: Store) -> None:
        """``incident_id`` and ``channels`` narrow what is claimed; the rest stays owed."""
        self.open_incident(store, "inc-1", "slack", "email")
        self.open_incident(store, "inc-2", "slack")

        only = store.claim(token="a", now=T0, lease=LEASE, incident_id="inc-1", channels=["email"])

        assert [(i.incident_id, i.channel) for i in only] == [("inc-1", "email")]
        assert store.claim(token="a", now=T0, lease=LEASE, channels=[]) == []
        rest = store.claim(token="a", now=T0, lease=LEASE)
        assert [(i.incident_id, i.channel) for i in rest] == [
            ("inc-1", "slack"),
            ("inc-2", "slack"),
        ]

    def test_a_late_outcome_never_undoes_a_receipt(self, store: Store) -> None:
        """A row sent keeps its first receipt, whatever is recorded for it afterwards."""
        self.open_incident(store, "inc-1", "slack")
        (item,) = store.claim(token="a", now=T0, lease=LEASE)
        assert item.id is not None
        store.record_sent(item.id, Receipt(channel="slack", remote_id="first"), at=T0)

        store.record_failure(item.id, "timed out", final=False, at=T0)
        store.record_failure(item.id, "HTTP 400", final=True, at=T0)
        store.record_sent(item.id, Receipt(channel="slack", remote_id="second"), at=T0)
        store.record_many([OutboxFailure(item_id=item.id, error="HTTP 500", final=False, at=T0)])

        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.remote_id, delivery.attempts) == (
            DeliveryState.SENT,
            "first",
            1,
        )
        assert store.pending() == []

    def test_threads_claiming_at_once_never_take_the_same_row(self, store: Store) -> None:
        """Many claimers at once: every head is claimed, and no row by two of them."""
        self._claim_race(store, [store] * THREADS)

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
                    got = [i.id for i in handle.claim(token=token, now=T0, lease=LEASE)]
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
                store.record_sent(item_id, Receipt(channel=channel, remote_id="r"), at=T0)
            else:
                store.record_failure(item_id, "HTTP 401: bad token", final=True, at=T0)

        settle("slack", sent=False)  # update 1 failed, then update 2 sent: 1 is out of date
        settle("slack", sent=True)
        settle("email", sent=False)  # both failed: email catches up from update 1
        settle("email", sent=False)
        settle("slack", sent=False, incident_id="inc-2")
        later = T0 + timedelta(hours=1)

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
        (head,) = store.claim(token="a", now=later, lease=LEASE, incident_id="inc-1")
        assert (head.seq, head.channel) == (1, "email")
        assert store.requeue_failed(now=later, channels=["email"]) == []
        (other,) = store.requeue_failed(now=later, channels=["slack"])
        assert other.incident_id == "inc-2"

    def test_requeue_finds_nothing_when_nothing_failed(self, store: Store) -> None:
        """Rows pending, in flight or sent are left as they are."""
        incident = self.open_incident(store, "inc-1", "slack", "email", "sms")
        self.advance(store, incident, "slack")
        slack = self._claim_one(store, "slack")
        store.record_sent(slack, Receipt(channel="slack"), at=T0)
        self._claim_one(store, "email")
        owed = store.pending()

        assert store.requeue_failed(now=T0) == []
        assert store.pending() == owed
