"""The embedded SQLite store, against a real SQLite file."""

from __future__ import annotations

import json
import multiprocessing
import queue
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from candor.adapters.base import Form, Receipt
from candor.errors import ConfigError, ConflictError, IncidentNotFound, StoreError
from candor.model import (
    DeliveryState,
    Impact,
    Incident,
    PromiseKind,
    Scope,
    Status,
    Update,
    UpdateKind,
)
from candor.render import Message
from candor.store import OutboxItem, SQLiteStore, Store, open_store
from candor.store.base import OutboxFailure, OutboxSent
from candor.store.sqlite import SCHEMA_VERSION

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
SCOPE = Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012)
STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)


# -- building incidents ---------------------------------------------------------


def make_update(
    incident_id: str,
    seq: int,
    *,
    status: Status | None = None,
    message: str | None = None,
    update_id: str | None = None,
    postmortem_by: datetime | None = None,
) -> Update:
    """Update ``seq`` of an incident, 30 minutes after the one before, promising the next."""
    if status is None:
        status = STATUSES[min(seq - 1, len(STATUSES) - 1)]
    kind = UpdateKind.OPEN if seq == 1 else UpdateKind.UPDATE
    if status is Status.RESOLVED:
        kind = UpdateKind.RESOLVE
    created_at = T0 + timedelta(minutes=30 * (seq - 1))
    return Update(
        id=update_id or f"{incident_id}-u{seq}",
        incident_id=incident_id,
        seq=seq,
        kind=kind,
        status=status,
        impact=Impact.MAJOR,
        scope=SCOPE,
        message=message or f"Update {seq}: API requests in eu-west return 503 errors.",
        next_update_by=None if status is Status.RESOLVED else created_at + timedelta(minutes=30),
        postmortem_by=postmortem_by,
        created_at=created_at,
    )


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


def next_version(incident: Incident, **update_fields: Any) -> Incident:
    """``incident`` with one more update appended."""
    update = make_update(incident.id, len(incident.updates) + 1, **update_fields)
    return make_incident(incident.id, (*incident.updates, update))


def outbox_for(update: Update, *channels: str) -> list[OutboxItem]:
    """One outbox row per channel for ``update``."""
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


def open_incident(store: SQLiteStore, incident_id: str = "inc-1", *channels: str) -> Incident:
    """Save a new incident with its first update and return it as stored."""
    incident = make_incident(incident_id, (make_update(incident_id, 1),))
    store.save(incident, expected_version=None, outbox=outbox_for(incident.updates[0], *channels))
    return store.get(incident_id)


def advance(store: SQLiteStore, incident: Incident, *channels: str, **fields: Any) -> Incident:
    """Save the next update of ``incident`` against its version and return the stored result."""
    changed = next_version(incident, **fields)
    store.save(
        changed,
        expected_version=incident.version,
        outbox=outbox_for(changed.updates[-1], *channels),
    )
    return store.get(incident.id)


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection to the file, for looking behind the store's back."""
    return sqlite3.connect(path, isolation_level=None)


def count(path: Path, table: str) -> int:
    connection = raw(path)
    try:
        rows: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()
    return rows


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "candor.db"


@pytest.fixture
def store(path: Path) -> SQLiteStore:
    return SQLiteStore(path)


# -- the concurrent writer, run in a process of its own ------------------------


def write_next_version(
    path: str, incident_id: str, writer: str, barrier: Any, results: Any
) -> None:
    """Read the incident, wait until the other writer has read it too, then save the next version.

    Module-level so that a 'spawn' child can import it; reports through ``results``.
    """
    try:
        store = SQLiteStore(path)
        current = store.get(incident_id)
        barrier.wait(timeout=60)
        changed = next_version(
            current,
            message=f"Written by {writer}.",
            update_id=f"{incident_id}-u{len(current.updates) + 1}-{writer}",
        )
        try:
            store.save(
                changed,
                expected_version=current.version,
                outbox=outbox_for(changed.updates[-1], f"status-{writer}"),
            )
        except ConflictError as exc:
            results.put((writer, "conflict", exc.expected_version, exc.actual_version))
        else:
            results.put((writer, "saved", current.version, changed.version))
    except Exception as exc:  # reported, so the parent fails with the reason instead of hanging
        results.put((writer, "error", repr(exc), None))


# -- the tests -----------------------------------------------------------------


class TestRoundTrip:
    def test_the_store_satisfies_the_store_protocol(self, store: SQLiteStore) -> None:
        assert isinstance(store, Store)

    def test_an_incident_with_several_updates_comes_back_equal(self, store: SQLiteStore) -> None:
        updates = (
            make_update("inc-1", 1),
            make_update("inc-1", 2),
            make_update("inc-1", 3, postmortem_by=T0 + timedelta(days=3)),
        )
        incident = make_incident("inc-1", updates)
        store.save(incident, expected_version=None, outbox=outbox_for(updates[-1], "status"))

        loaded = store.get("inc-1")

        assert loaded.model_dump(exclude={"deliveries"}) == incident.model_dump(
            exclude={"deliveries"}
        )
        assert [u.seq for u in loaded.updates] == [1, 2, 3]
        assert [(d.channel, d.update_id, d.state) for d in loaded.deliveries] == [
            ("status", "inc-1-u3", DeliveryState.PENDING)
        ]

    def test_the_file_and_its_folder_are_created(self, path: Path) -> None:
        assert not path.parent.exists()
        SQLiteStore(path)
        assert path.is_file()

    def test_updates_are_returned_in_seq_order_and_deliveries_by_seq_then_channel(
        self, store: SQLiteStore
    ) -> None:
        incident = open_incident(store, "inc-1", "slack", "email")
        incident = advance(store, incident, "mastodon", "email")

        assert [u.seq for u in incident.updates] == [1, 2]
        assert [(d.seq, d.channel) for d in incident.deliveries] == [
            (1, "email"),
            (1, "slack"),
            (2, "email"),
            (2, "mastodon"),
        ]

    def test_list_is_newest_first_and_open_only_leaves_out_resolved(
        self, store: SQLiteStore
    ) -> None:
        older = make_incident("older", (make_update("older", 1),))
        newer = make_incident(
            "newer",
            (make_update("newer", 1),),
            created_at=T0 + timedelta(hours=1),
            updated_at=T0 + timedelta(hours=1),
        )
        store.save(older, expected_version=None, outbox=[])
        store.save(newer, expected_version=None, outbox=[])
        advance(store, store.get("older"), status=Status.RESOLVED)

        assert [i.id for i in store.list()] == ["newer", "older"]
        assert [i.id for i in store.list(open_only=True)] == ["newer"]
        assert len(store.list()[1].updates) == 2

    def test_corrupt_stored_json_raises_store_error(self, store: SQLiteStore, path: Path) -> None:
        open_incident(store, "inc-1", "status")
        connection = raw(path)
        connection.execute("UPDATE incidents SET data = '{\"id\": ' WHERE id = 'inc-1'")
        connection.close()

        with pytest.raises(StoreError, match="corrupt incident 'inc-1'"):
            store.get("inc-1")

    def test_a_stored_value_the_model_refuses_raises_store_error(
        self, store: SQLiteStore, path: Path
    ) -> None:
        open_incident(store, "inc-1", "status")
        connection = raw(path)
        connection.execute("UPDATE outbox SET message = '{\"channel\": 1}'")
        connection.close()

        with pytest.raises(StoreError, match="corrupt outbox row"):
            store.pending()

    def test_a_closed_store_refuses_to_work(self, store: SQLiteStore) -> None:
        store.close()
        with pytest.raises(StoreError, match="closed"):
            store.list()


class TestTimeline:
    def test_a_raw_update_of_the_timeline_is_aborted(self, store: SQLiteStore, path: Path) -> None:
        open_incident(store)
        connection = raw(path)
        try:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute("UPDATE updates SET data = '{}'")
        finally:
            connection.close()

    def test_a_raw_delete_from_the_timeline_is_aborted(
        self, store: SQLiteStore, path: Path
    ) -> None:
        open_incident(store)
        connection = raw(path)
        try:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute("DELETE FROM updates")
        finally:
            connection.close()
        assert count(path, "updates") == 1

    def test_a_second_update_with_the_same_seq_is_refused(self, store: SQLiteStore) -> None:
        incident = open_incident(store)
        clash = make_incident(
            "inc-1",
            (make_update("inc-1", 1, update_id="other"),),
            version=2,
        )
        with pytest.raises(StoreError, match="cannot join the timeline"):
            store.save(clash, expected_version=incident.version, outbox=[])
        assert store.get("inc-1") == incident


class TestConnection:
    def test_wal_mode_and_busy_timeout_are_set(self, path: Path) -> None:
        store = SQLiteStore(path, busy_timeout=2.5)
        with store._connect() as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
            assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1

    def test_the_file_itself_is_in_wal_mode(self, store: SQLiteStore, path: Path) -> None:
        connection = raw(path)
        try:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            connection.close()

    def test_threads_can_share_one_store(self, store: SQLiteStore) -> None:
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                incident = open_incident(store, f"inc-{n}", "status")
                advance(store, incident, "status")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        assert sorted(i.id for i in store.list()) == sorted(f"inc-{n}" for n in range(8))
        assert len(store.pending()) == 16


class TestMigrations:
    def test_a_new_file_gets_the_current_schema_version(
        self, store: SQLiteStore, path: Path
    ) -> None:
        connection = raw(path)
        try:
            assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        finally:
            connection.close()
        assert SCHEMA_VERSION >= 1

    def test_reopening_a_file_keeps_what_it_holds(self, store: SQLiteStore, path: Path) -> None:
        incident = open_incident(store, "inc-1", "status")
        assert SQLiteStore(path).get("inc-1") == incident

    def test_a_file_with_a_newer_schema_is_refused(self, path: Path) -> None:
        SQLiteStore(path)
        connection = raw(path)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        connection.close()

        with pytest.raises(StoreError) as caught:
            SQLiteStore(path)
        message = str(caught.value)
        assert str(path) in message
        assert f"version {SCHEMA_VERSION + 1}" in message
        assert f"version {SCHEMA_VERSION} " in message

    def test_a_version_1_file_is_migrated_and_keeps_its_outbox(self, path: Path) -> None:
        from candor.store._sqlite_migrations import MIGRATIONS

        path.parent.mkdir(parents=True)
        incident = make_incident("inc-1", (make_update("inc-1", 1),))
        update = incident.updates[0]
        rows = outbox_for(update, "never-tried", "tried-twice", "sent", "refused")
        connection = raw(path)
        for statement in MIGRATIONS[0]:
            connection.execute(statement)
        connection.execute("PRAGMA user_version = 1")
        connection.execute(
            "INSERT INTO incidents VALUES (?, 1, 'investigating', ?, ?, ?)",
            (
                "inc-1",
                incident.model_dump_json(exclude={"updates", "deliveries"}),
                T0.isoformat(),
                T0.isoformat(),
            ),
        )
        connection.execute(
            "INSERT INTO updates VALUES (?, 'inc-1', 1, ?, ?)",
            (update.id, update.model_dump_json(), T0.isoformat()),
        )
        for row, (state, attempts) in zip(
            rows, [("pending", 0), ("pending", 2), ("sent", 1), ("failed", 1)], strict=True
        ):
            connection.execute(
                "INSERT INTO outbox (incident_id, update_id, seq, channel, idempotency_key,"
                " message, state, attempts, created_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)",
                (
                    "inc-1",
                    update.id,
                    row.channel,
                    row.idempotency_key,
                    row.message.model_dump_json(),
                    state,
                    attempts,
                    T0.isoformat(),
                ),
            )
        connection.close()

        store = SQLiteStore(path)

        states = {d.channel: (d.state, d.attempts) for d in store.get("inc-1").deliveries}
        assert states == {
            "never-tried": (DeliveryState.PENDING, 0),
            "tried-twice": (DeliveryState.RETRY, 2),
            "sent": (DeliveryState.SENT, 1),
            "refused": (DeliveryState.FAILED, 1),
        }
        claimed = store.claim(token="a", now=T0, lease=LEASE)
        assert {i.channel for i in claimed} == {"never-tried", "tried-twice"}
        assert {i.idempotency_key for i in claimed} == {
            rows[0].idempotency_key,
            rows[1].idempotency_key,
        }
        connection = raw(path)
        try:
            assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        finally:
            connection.close()

    def test_a_file_that_is_not_a_database_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.db"
        path.write_text("These are not the tables you are looking for.\n" * 100)

        with pytest.raises(StoreError, match="not a SQLite database") as caught:
            SQLiteStore(path)
        assert str(path) in str(caught.value)


class TestVersionCheck:
    def test_a_stale_expected_version_raises_conflict_and_writes_nothing(
        self, store: SQLiteStore, path: Path
    ) -> None:
        first = open_incident(store, "inc-1", "status")
        advance(store, first, "status")
        updates, outbox, promises = (count(path, t) for t in ("updates", "outbox", "promises"))

        stale = next_version(first, message="Written against version 1.")
        with pytest.raises(ConflictError) as caught:
            store.save(stale, expected_version=1, outbox=outbox_for(stale.updates[-1], "status"))

        assert (caught.value.incident_id, caught.value.expected_version) == ("inc-1", 1)
        assert caught.value.actual_version == 2
        assert (count(path, "updates"), count(path, "outbox")) == (updates, outbox)
        assert count(path, "promises") == promises
        assert store.get("inc-1").updates[-1].message != "Written against version 1."

    def test_creating_an_incident_that_exists_raises_conflict(self, store: SQLiteStore) -> None:
        open_incident(store, "inc-1")
        with pytest.raises(ConflictError):
            store.save(
                make_incident("inc-1", (make_update("inc-1", 1),)),
                expected_version=None,
                outbox=[],
            )

    def test_an_unknown_id_raises_incident_not_found(self, store: SQLiteStore) -> None:
        with pytest.raises(IncidentNotFound) as caught:
            store.get("nope")
        assert caught.value.incident_id == "nope"

    def test_saving_against_an_unknown_id_raises_incident_not_found(
        self, store: SQLiteStore
    ) -> None:
        incident = make_incident("nope", (make_update("nope", 1), make_update("nope", 2)))
        with pytest.raises(IncidentNotFound):
            store.save(incident, expected_version=1, outbox=[])
        assert store.list() == []

    def test_a_failure_part_way_rolls_the_whole_save_back(
        self, store: SQLiteStore, path: Path
    ) -> None:
        incident = open_incident(store, "inc-1", "status")
        changed = next_version(incident)
        twice = outbox_for(changed.updates[-1], "status") * 2  # the same idempotency key twice

        with pytest.raises(StoreError, match="outbox row"):
            store.save(changed, expected_version=incident.version, outbox=twice)

        assert store.get("inc-1") == incident
        assert count(path, "outbox") == 1
        assert [p.update_id for p in store.promises()] == ["inc-1-u1"]

    def test_two_processes_racing_on_one_version_one_wins_and_nothing_is_lost(
        self, store: SQLiteStore, path: Path
    ) -> None:
        incident = open_incident(store, "inc-1", "status")
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(2)
        results = context.Queue()
        writers = [
            context.Process(
                target=write_next_version,
                args=(str(path), "inc-1", name, barrier, results),
            )
            for name in ("alpha", "beta")
        ]
        for writer in writers:
            writer.start()
        try:
            outcomes = sorted(results.get(timeout=120) for _ in writers)
        except queue.Empty:
            pytest.fail("a writer process neither saved nor conflicted within 120 seconds")
        finally:
            for writer in writers:
                writer.join(timeout=30)
                if writer.is_alive():
                    writer.terminate()
                    writer.join(timeout=10)
            results.close()
            results.join_thread()

        assert [outcome[1] for outcome in outcomes].count("saved") == 1, outcomes
        assert [outcome[1] for outcome in outcomes].count("conflict") == 1, outcomes
        (winner,) = (o[0] for o in outcomes if o[1] == "saved")
        (loser,) = (o for o in outcomes if o[1] == "conflict")
        assert loser[2:] == (incident.version, incident.version + 1)

        stored = store.get("inc-1")
        assert stored.version == incident.version + 1
        assert [u.id for u in stored.updates] == ["inc-1-u1", f"inc-1-u2-{winner}"]
        assert stored.updates[-1].message == f"Written by {winner}."
        assert [p.update_id for p in store.promises()] == [f"inc-1-u2-{winner}"]
        assert {d.channel for d in stored.deliveries} == {"status", f"status-{winner}"}
        assert all(w.exitcode == 0 for w in writers)


class TestPromises:
    def test_an_update_promises_the_next_one_and_the_write_up(self, store: SQLiteStore) -> None:
        incident = open_incident(store, "inc-1")
        advance(store, incident, status=Status.RESOLVED, postmortem_by=T0 + timedelta(days=3))

        made = store.promises(open_only=False)

        assert [(p.update_id, p.kind) for p in made] == [
            ("inc-1-u1", PromiseKind.NEXT_UPDATE),
            ("inc-1-u2", PromiseKind.POSTMORTEM),
        ]

    def test_the_next_update_keeps_the_open_next_update_promise(self, store: SQLiteStore) -> None:
        incident = open_incident(store, "inc-1")
        assert [p.update_id for p in store.promises()] == ["inc-1-u1"]

        advance(store, incident)

        kept = store.promises(open_only=False)[0]
        assert (kept.update_id, kept.kept_by) == ("inc-1-u1", "inc-1-u2")
        assert kept.kept_at == T0 + timedelta(minutes=30)
        assert [p.update_id for p in store.promises()] == ["inc-1-u2"]

    def test_a_new_incident_with_a_history_keeps_its_own_earlier_promises(
        self, store: SQLiteStore
    ) -> None:
        updates = tuple(make_update("inc-1", seq) for seq in (1, 2, 3))
        store.save(make_incident("inc-1", updates), expected_version=None, outbox=[])

        assert [p.update_id for p in store.promises()] == ["inc-1-u3"]
        assert [p.kept_by for p in store.promises(open_only=False)] == [
            "inc-1-u2",
            "inc-1-u3",
            None,
        ]

    def test_promises_are_ordered_by_due_time(self, store: SQLiteStore) -> None:
        # Saved first, but its first update comes 30 minutes later, and so does its promise.
        late = make_incident("late", (make_update("late", 2),))
        store.save(late, expected_version=None, outbox=[])
        open_incident(store, "early")

        assert [p.incident_id for p in store.promises()] == ["early", "late"]

    def test_the_write_up_promise_is_not_kept_by_a_later_update(self, store: SQLiteStore) -> None:
        incident = open_incident(store, "inc-1")
        incident = advance(store, incident, postmortem_by=T0 + timedelta(days=3))
        advance(store, incident)

        assert {p.kind for p in store.promises()} == {
            PromiseKind.NEXT_UPDATE,
            PromiseKind.POSTMORTEM,
        }


class TestOutbox:
    def test_a_pending_row_is_recorded_sent_with_its_receipt(self, store: SQLiteStore) -> None:
        open_incident(store, "inc-1", "mastodon")
        (item,) = store.pending()
        assert item.id is not None
        receipt = Receipt(
            channel="mastodon",
            remote_id="111",
            url="https://hachyderm.io/@acme/111",
            thread_root="111",
        )

        store.record_sent(item.id, receipt, at=T0 + timedelta(seconds=3))

        assert store.pending() == []
        assert store.receipts("inc-1", "mastodon") == [receipt]
        (delivery,) = store.get("inc-1").deliveries
        assert delivery.state is DeliveryState.SENT
        assert delivery.attempts == 1
        assert delivery.sent_at == T0 + timedelta(seconds=3)
        assert (delivery.remote_id, delivery.remote_url) == ("111", receipt.url)

    def test_a_failure_that_is_not_final_waits_to_retry_then_a_final_one_fails_it(
        self, store: SQLiteStore
    ) -> None:
        open_incident(store, "inc-1", "slack")
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
        assert store.receipts("inc-1", "slack") == []

    def test_recording_an_unknown_row_raises_store_error(self, store: SQLiteStore) -> None:
        with pytest.raises(StoreError, match="no outbox row with id 42"):
            store.record_sent(42, Receipt(channel="x"), at=T0)

    def test_many_outcomes_are_recorded_together(self, store: SQLiteStore) -> None:
        open_incident(store, "inc-1", "slack", "email", "sms")
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

    def test_recording_many_with_an_unknown_row_records_none_of_them(
        self, store: SQLiteStore
    ) -> None:
        open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        assert item.id is not None

        with pytest.raises(StoreError, match="no outbox row with id 42"):
            store.record_many(
                [
                    OutboxSent(item_id=item.id, receipt=Receipt(channel="slack"), at=T0),
                    OutboxSent(item_id=42, receipt=Receipt(channel="slack"), at=T0),
                ]
            )

        assert [i.id for i in store.pending()] == [item.id]

    def test_pending_rows_come_oldest_first_so_no_update_overtakes_another(
        self, store: SQLiteStore
    ) -> None:
        first = open_incident(store, "inc-1", "slack", "email")
        other = open_incident(store, "inc-2", "slack")
        advance(store, first, "slack", "email")
        advance(store, other, "slack")

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
        ids = [i.id for i in store.pending() if i.id is not None]
        assert ids == sorted(ids)

    def test_a_pending_row_keeps_its_message_and_key(self, store: SQLiteStore) -> None:
        incident = open_incident(store, "inc-1", "slack")
        (item,) = store.pending()
        expected = outbox_for(incident.updates[0], "slack")[0]

        assert item.model_dump(exclude={"id"}) == expected.model_dump(exclude={"id"})

    def test_receipts_are_per_channel_and_oldest_first(self, store: SQLiteStore) -> None:
        incident = open_incident(store, "inc-1", "slack", "email")
        advance(store, incident, "slack", "email")
        for item in store.pending():
            assert item.id is not None
            store.record_sent(
                item.id,
                Receipt(channel=item.channel, remote_id=f"{item.channel}-{item.seq}"),
                at=T0,
            )

        assert [r.remote_id for r in store.receipts("inc-1", "slack")] == ["slack-1", "slack-2"]
        assert [r.remote_id for r in store.receipts("inc-1", "email")] == ["email-1", "email-2"]


LEASE = timedelta(minutes=2)


class TestClaims:
    """The outbox as a state machine: claims, leases, due times, order per channel."""

    def test_a_claim_takes_the_head_of_each_channel_and_marks_it_in_flight(
        self, store: SQLiteStore
    ) -> None:
        incident = open_incident(store, "inc-1", "slack", "email")
        advance(store, incident, "slack", "email")

        claimed = store.claim(token="a", now=T0, lease=LEASE)

        assert [(i.seq, i.channel, i.state, i.claim) for i in claimed] == [
            (1, "slack", DeliveryState.IN_FLIGHT, "a"),
            (1, "email", DeliveryState.IN_FLIGHT, "a"),
        ]
        assert {d.state for d in store.get("inc-1").deliveries if d.seq == 1} == {
            DeliveryState.IN_FLIGHT
        }

    def test_a_row_in_flight_under_a_live_lease_is_claimed_by_nobody_else(
        self, store: SQLiteStore
    ) -> None:
        incident = open_incident(store, "inc-1", "slack")
        advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)

        # Neither the row itself nor update 2 behind it (update 2 never overtakes update 1).
        assert store.claim(token="b", now=T0 + timedelta(minutes=1), lease=LEASE) == []
        assert first.seq == 1

    def test_a_claim_whose_lease_ran_out_is_taken_over_as_maybe_sent(
        self, store: SQLiteStore
    ) -> None:
        open_incident(store, "inc-1", "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)

        (again,) = store.claim(token="b", now=T0 + LEASE, lease=LEASE)

        assert (again.id, again.claim, again.attempts, again.maybe_sent) == (
            first.id,
            "b",
            1,
            True,
        )
        assert "stopped before recording" in (again.last_error or "")

    def test_a_retry_waits_for_its_time_and_holds_back_the_rows_behind_it(
        self, store: SQLiteStore
    ) -> None:
        incident = open_incident(store, "inc-1", "slack")
        advance(store, incident, "slack")
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

    def test_once_the_head_is_sent_the_next_update_is_the_head(self, store: SQLiteStore) -> None:
        incident = open_incident(store, "inc-1", "slack")
        advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)
        assert first.id is not None
        store.record_sent(first.id, Receipt(channel="slack", remote_id="1"), at=T0)

        (second,) = store.claim(token="a", now=T0, lease=LEASE)

        assert second.seq == 2

    def test_a_row_failed_for_good_does_not_block_the_updates_after_it(
        self, store: SQLiteStore
    ) -> None:
        incident = open_incident(store, "inc-1", "slack")
        advance(store, incident, "slack")
        (first,) = store.claim(token="a", now=T0, lease=LEASE)
        assert first.id is not None
        store.record_failure(first.id, "HTTP 400: too long", final=True, at=T0)

        (second,) = store.claim(token="a", now=T0, lease=LEASE)

        assert second.seq == 2

    def test_claims_can_be_limited_to_an_incident_and_to_channels(self, store: SQLiteStore) -> None:
        open_incident(store, "inc-1", "slack", "email")
        open_incident(store, "inc-2", "slack")

        only = store.claim(token="a", now=T0, lease=LEASE, incident_id="inc-1", channels=["email"])

        assert [(i.incident_id, i.channel) for i in only] == [("inc-1", "email")]
        rest = store.claim(token="a", now=T0, lease=LEASE)
        assert [(i.incident_id, i.channel) for i in rest] == [
            ("inc-1", "slack"),
            ("inc-2", "slack"),
        ]

    def test_a_late_outcome_never_undoes_a_receipt(self, store: SQLiteStore) -> None:
        open_incident(store, "inc-1", "slack")
        (item,) = store.claim(token="a", now=T0, lease=LEASE)
        assert item.id is not None
        store.record_sent(item.id, Receipt(channel="slack", remote_id="first"), at=T0)

        store.record_failure(item.id, "timed out", final=False, at=T0)
        store.record_sent(item.id, Receipt(channel="slack", remote_id="second"), at=T0)

        (delivery,) = store.get("inc-1").deliveries
        assert (delivery.state, delivery.remote_id) == (DeliveryState.SENT, "first")

    def test_failed_rows_no_later_receipt_supersedes_are_owed_again_due_now(
        self, store: SQLiteStore
    ) -> None:
        incident = open_incident(store, "inc-1", "slack", "email")
        advance(store, incident, "slack", "email")
        open_incident(store, "inc-2", "slack")

        def settle(channel: str, *, sent: bool, incident_id: str = "inc-1") -> None:
            (item,) = store.claim(
                token="a", now=T0, lease=LEASE, incident_id=incident_id, channels=[channel]
            )
            assert item.id is not None
            if sent:
                store.record_sent(item.id, Receipt(channel=channel, remote_id="r"), at=T0)
            else:
                store.record_failure(item.id, "HTTP 401: bad token", final=True, at=T0)

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

    def test_two_processes_claiming_at_once_never_take_the_same_row(self, path: Path) -> None:
        store = SQLiteStore(path)
        for number in range(20):
            open_incident(store, f"inc-{number}", "slack", "email")
        code = (
            "import sys, json, datetime as d\n"
            "from candor.store.sqlite import SQLiteStore\n"
            "s = SQLiteStore(sys.argv[1])\n"
            "t = d.datetime(2026, 11, 22, 14, tzinfo=d.UTC)\n"
            "got = []\n"
            "for _ in range(20):\n"
            "    got += [i.id for i in s.claim(token=sys.argv[2], now=t,"
            " lease=d.timedelta(minutes=2), channels=[sys.argv[3]])]\n"
            "print(json.dumps(got))\n"
        )
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(path), f"p{n}", channel],
                stdout=subprocess.PIPE,
                text=True,
            )
            for n, channel in enumerate(["slack", "slack", "email", "email"])
        ]
        taken: list[int] = []
        for run in runs:
            out, _ = run.communicate(timeout=60)
            taken += json.loads(out)
        assert sorted(taken) == sorted(i.id for i in store.pending() if i.id is not None)
        assert len(taken) == len(set(taken)) == 40


class TestOpenStore:
    def test_a_relative_sqlite_url_is_resolved_against_base_dir(self, tmp_path: Path) -> None:
        store = open_store("sqlite:///state/candor.db", base_dir=tmp_path)
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "state" / "candor.db"
        assert store.path.is_file()

    def test_an_absolute_sqlite_url_is_used_as_it_is(self, tmp_path: Path) -> None:
        target = tmp_path / "abs" / "candor.db"
        store = open_store(f"sqlite:///{target}", base_dir=tmp_path / "elsewhere")
        assert isinstance(store, SQLiteStore)
        assert store.path == target

    def test_a_plain_path_is_a_sqlite_file(self, tmp_path: Path) -> None:
        store = open_store("candor.db", base_dir=tmp_path)
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "candor.db"

    def test_without_base_dir_a_relative_path_is_under_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        store = open_store("sqlite:///candor.db")
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "candor.db"

    @pytest.mark.parametrize("url", ["postgresql://candor@db/candor", "postgres://db/candor"])
    def test_postgresql_is_not_available_yet(self, url: str) -> None:
        with pytest.raises(StoreError, match="PostgreSQL store is not available yet"):
            open_store(url)

    @pytest.mark.parametrize(
        "url", ["mysql://db/candor", "sqlite://candor.db", "sqlite:///", "", "sqlite:///:memory:"]
    )
    def test_anything_else_is_a_config_error_naming_the_key(self, url: str) -> None:
        with pytest.raises(ConfigError) as caught:
            open_store(url)
        assert caught.value.key == "store.url"
        if url not in {"", "sqlite:///:memory:"}:
            assert repr(url) in str(caught.value)

    def test_importing_candor_store_does_not_load_sqlite(self) -> None:
        code = "import sys, candor.store; print('sqlite3' in sys.modules)"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert result.stdout.strip() == "False"


class TestPromiseLedgerTables:
    def test_a_reminder_is_claimed_by_one_holder_only(self, tmp_path: Path) -> None:
        from datetime import UTC, datetime

        from candor.store.sqlite import SQLiteStore

        at = datetime(2026, 11, 22, tzinfo=UTC)
        with SQLiteStore(tmp_path / "a.db") as one, SQLiteStore(tmp_path / "a.db") as two:
            assert one.claim_reminder("inc-1/u1/next_update/*/due_soon", holder="a", at=at)
            assert not two.claim_reminder("inc-1/u1/next_update/*/due_soon", holder="b", at=at)
            assert two.claim_reminder("inc-1/u1/next_update/*/broken", holder="b", at=at)
