"""A store of your own, tested with candor's StoreContract.

``MemoryStore`` stands for a store you write (on your own database, say): it keeps
everything in the process's memory behind one lock, which makes every operation
one transaction. Subclassing ``StoreContract`` runs the whole suite the SQLite
store passes against it; ``another_store`` hands the suite a second store on the
same data, as a second process would open it.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import candor
from candor.errors import ConflictError, IncidentNotFound, InputError, StoreError
from candor.model import (
    ActionItem,
    ActionStatus,
    Closure,
    Delivery,
    DeliveryState,
    Incident,
    Promise,
    PromiseKind,
    UpdateKind,
)
from candor.store.base import promises_made_by
from candor.testing import StoreContract
from candor.vocabulary import OutboxFailure, OutboxItem, OutboxSent, OutboxTransition

OWED = (DeliveryState.PENDING, DeliveryState.IN_FLIGHT, DeliveryState.RETRY)


@dataclass
class Row:
    """One outbox row: the item as saved, and where it stands now."""

    item: OutboxItem
    state: DeliveryState
    attempts: int
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    maybe_sent: bool = False
    claim: str | None = None
    lease_until: datetime | None = None
    receipt: candor.Receipt | None = None
    sent_at: datetime | None = None

    def as_item(self) -> OutboxItem:
        return self.item.model_copy(
            update={
                "state": self.state,
                "attempts": self.attempts,
                "last_error": self.last_error,
                "next_attempt_at": self.next_attempt_at
                if self.state is DeliveryState.RETRY
                else None,
                "maybe_sent": self.maybe_sent,
                "claim": self.claim if self.state is DeliveryState.IN_FLIGHT else None,
                "receipt": None,
            }
        )


@dataclass
class Data:
    """What every handle on one memory store shares."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    incidents: dict[str, Incident] = field(default_factory=dict)
    promises: list[Promise] = field(default_factory=list)
    rows: dict[int, Row] = field(default_factory=dict)
    action_items: dict[str, list[ActionItem]] = field(default_factory=dict)
    closures: dict[str, Closure] = field(default_factory=dict)
    reminders: dict[str, str] = field(default_factory=dict)


class MemoryStore:
    """A store in memory: every operation holds the lock, so each is one transaction."""

    def __init__(self, data: Data | None = None) -> None:
        self.data = data if data is not None else Data()
        self._closed = False

    @contextmanager
    def _held(self) -> Iterator[Data]:
        if self._closed:
            raise StoreError("the memory store is closed")
        with self.data.lock:
            yield self.data

    def save(
        self, incident: Incident, *, expected_version: int | None, outbox: Sequence[OutboxItem]
    ) -> None:
        if not incident.updates:
            raise InputError("incident.updates", (), "save records an update; there is none")
        if expected_version is not None and incident.version <= expected_version:
            raise InputError("incident.version", incident.version, "must be newer")
        with self._held() as data:
            stored = data.incidents.get(incident.id)
            if expected_version is None:
                if stored is not None:
                    raise ConflictError(incident.id, 0, stored.version)
                new = incident.updates
            elif stored is None:
                raise IncidentNotFound(incident.id)
            elif stored.version != expected_version:
                raise ConflictError(incident.id, expected_version, stored.version)
            else:
                new = incident.updates[-1:]
            # Check everything before changing anything: all of it is written, or none.
            taken_ids = {u.id for i in data.incidents.values() for u in i.updates}
            taken_seqs = {u.seq for u in stored.updates} if stored is not None else set()
            for update in new:
                if update.id in taken_ids or update.seq in taken_seqs:
                    raise StoreError(f"update {update.id} (seq {update.seq}) cannot join")
                taken_ids.add(update.id)
                taken_seqs.add(update.seq)
            keys = {row.item.idempotency_key for row in data.rows.values()}
            places = {(row.item.update_id, row.item.channel) for row in data.rows.values()}
            for item in outbox:
                if item.idempotency_key in keys or (item.update_id, item.channel) in places:
                    raise StoreError(f"outbox row on channel {item.channel!r} exists already")
                keys.add(item.idempotency_key)
                places.add((item.update_id, item.channel))

            timeline = (stored.updates if stored is not None else ()) + tuple(new)
            data.incidents[incident.id] = incident.model_copy(
                update={"updates": timeline, "deliveries": (), "action_items": (), "closure": None}
            )
            for update in new:
                kept = (
                    PromiseKind.POSTMORTEM
                    if update.kind is UpdateKind.POSTMORTEM
                    else PromiseKind.NEXT_UPDATE
                )
                data.promises = [
                    p.model_copy(update={"kept_at": update.created_at, "kept_by": update.id})
                    if p.incident_id == update.incident_id and p.kind is kept and p.is_open
                    else p
                    for p in data.promises
                ]
                if update.write_up is not None:
                    data.action_items[incident.id] = [
                        ActionItem(number=n, text=text, updated_at=update.created_at)
                        for n, text in enumerate(update.write_up.action_items, start=1)
                    ]
                data.promises.extend(promises_made_by(update))
            for item in outbox:
                number = len(data.rows) + 1
                sent = item.receipt if item.state is DeliveryState.SENT else None
                data.rows[number] = Row(
                    item=item.model_copy(update={"id": number}),
                    state=item.state,
                    attempts=item.attempts,
                    last_error=item.last_error,
                    receipt=sent,
                    sent_at=item.created_at if sent is not None else None,
                )

    def get(self, incident_id: str) -> Incident:
        with self._held() as data:
            return self._incident(data, incident_id)

    def _incident(self, data: Data, incident_id: str) -> Incident:
        stored = data.incidents.get(incident_id)
        if stored is None:
            raise IncidentNotFound(incident_id)
        rows = [row for row in data.rows.values() if row.item.incident_id == incident_id]
        rows.sort(key=lambda row: (row.item.seq, row.item.channel))
        return stored.model_copy(
            update={
                "deliveries": tuple(_delivery(row) for row in rows),
                "action_items": tuple(data.action_items.get(incident_id, ())),
                "closure": data.closures.get(incident_id),
            }
        )

    def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        with self._held() as data:
            order = builtins.list(enumerate(data.incidents.values()))
            order.sort(key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
            return [
                self._incident(data, incident.id)
                for _, incident in order
                if incident.is_open or not open_only
            ]

    def promises(self, *, open_only: bool = True) -> builtins.list[Promise]:
        with self._held() as data:
            made = [p for p in data.promises if p.is_open or not open_only]
        return sorted(made, key=lambda p: p.due_at)

    def pending(self, *, incident_id: str | None = None) -> builtins.list[OutboxItem]:
        with self._held() as data:
            return [row.as_item() for row in _owed(data, incident_id, None)]

    def claim(
        self,
        *,
        token: str,
        now: datetime,
        lease: timedelta,
        incident_id: str | None = None,
        channels: Collection[str] | None = None,
        due_only: bool = True,
    ) -> builtins.list[OutboxItem]:
        claimed = []
        with self._held() as data:
            heads: dict[tuple[str, str], Row] = {}
            for row in _owed(data, incident_id, channels):
                heads.setdefault((row.item.incident_id, row.item.channel), row)
            for row in heads.values():
                if row.state is DeliveryState.IN_FLIGHT:
                    if row.lease_until is not None and row.lease_until > now:
                        continue
                    row.attempts += 1
                    row.maybe_sent = True
                    row.last_error = "the process delivering it stopped before recording"
                elif (
                    row.state is DeliveryState.RETRY
                    and due_only
                    and row.next_attempt_at is not None
                    and row.next_attempt_at > now
                ):
                    continue
                row.state, row.claim, row.lease_until = DeliveryState.IN_FLIGHT, token, now + lease
                claimed.append(row.as_item())
        return claimed

    def record_sent(
        self, item_id: int, receipt: candor.Receipt, *, at: datetime, attempts: int = 1
    ) -> None:
        self.record_many([OutboxSent(item_id=item_id, receipt=receipt, at=at, attempts=attempts)])

    def record_failure(
        self,
        item_id: int,
        error: str,
        *,
        final: bool,
        at: datetime,
        attempts: int = 1,
        next_attempt_at: datetime | None = None,
        maybe_sent: bool = False,
    ) -> None:
        failure = OutboxFailure(
            item_id=item_id,
            error=error,
            final=final,
            at=at,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            maybe_sent=maybe_sent,
        )
        self.record_many([failure])

    def record_many(self, transitions: Sequence[OutboxTransition]) -> None:
        with self._held() as data:
            for transition in transitions:
                if transition.item_id not in data.rows:
                    raise StoreError(f"no outbox row with id {transition.item_id}")
            for transition in transitions:
                row = data.rows[transition.item_id]
                if row.state is DeliveryState.SENT:
                    continue  # the first receipt stands
                row.attempts += transition.attempts
                row.claim = row.lease_until = None
                if isinstance(transition, OutboxSent):
                    row.state, row.receipt, row.sent_at = (
                        DeliveryState.SENT,
                        transition.receipt,
                        transition.at,
                    )
                elif transition.final:
                    row.state, row.last_error = DeliveryState.FAILED, transition.error
                else:
                    row.state, row.last_error = DeliveryState.RETRY, transition.error
                    row.next_attempt_at = transition.next_attempt_at or transition.at
                    row.maybe_sent = row.maybe_sent or transition.maybe_sent

    def requeue_failed(
        self,
        *,
        now: datetime,
        incident_id: str | None = None,
        channels: Collection[str] | None = None,
    ) -> builtins.list[OutboxItem]:
        with self._held() as data:
            again = []
            for row in _chosen(data, incident_id, channels):
                superseded = any(
                    later.state is DeliveryState.SENT
                    and later.item.incident_id == row.item.incident_id
                    and later.item.channel == row.item.channel
                    and later.item.seq > row.item.seq
                    for later in data.rows.values()
                )
                if row.state is DeliveryState.FAILED and not superseded:
                    row.state, row.next_attempt_at = DeliveryState.RETRY, now
                    again.append(row.as_item())
            return again

    def receipts(self, incident_id: str, channel: str) -> builtins.list[candor.Receipt]:
        with self._held() as data:
            sent = [
                row
                for row in data.rows.values()
                if row.item.incident_id == incident_id
                and row.item.channel == channel
                and row.receipt is not None
            ]
        return [row.receipt for row in sorted(sent, key=lambda r: r.item.seq) if row.receipt]

    def close_incident(self, incident_id: str, closure: Closure) -> None:
        with self._held() as data:
            if incident_id not in data.incidents:
                raise IncidentNotFound(incident_id)
            if incident_id in data.closures:
                raise StoreError(f"incident {incident_id} is already closed")
            data.closures[incident_id] = closure

    def set_action_item(
        self, incident_id: str, number: int, status: ActionStatus, *, at: datetime
    ) -> ActionItem:
        with self._held() as data:
            items = data.action_items.get(incident_id, [])
            if not 1 <= number <= len(items):
                raise InputError("number", number, f"{incident_id} has no such action item")
            items[number - 1] = changed = items[number - 1].model_copy(
                update={"status": status, "updated_at": at}
            )
            return changed

    def claim_reminder(self, key: str, *, holder: str, at: datetime) -> bool:
        with self._held() as data:
            if key in data.reminders:
                return False  # another watcher acts on it
            data.reminders[key] = holder
            return True

    def close(self) -> None:
        self._closed = True


def _chosen(data: Data, incident_id: str | None, channels: Collection[str] | None) -> list[Row]:
    return [
        row
        for _, row in sorted(data.rows.items())
        if (incident_id is None or row.item.incident_id == incident_id)
        and (channels is None or row.item.channel in channels)
    ]


def _owed(data: Data, incident_id: str | None, channels: Collection[str] | None) -> list[Row]:
    return [row for row in _chosen(data, incident_id, channels) if row.state in OWED]


def _delivery(row: Row) -> Delivery:
    receipt = row.receipt
    return Delivery(
        channel=row.item.channel,
        update_id=row.item.update_id,
        seq=row.item.seq,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        remote_id=receipt.remote_id if receipt else None,
        remote_url=receipt.url if receipt else None,
        thread_root=receipt.thread_root if receipt else None,
        sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at if row.state is DeliveryState.RETRY else None,
    )


class TestMemoryStore(StoreContract):
    def make_store(self, tmp_path: Path) -> candor.Store:
        return MemoryStore()

    def another_store(self, store: candor.Store) -> candor.Store:
        assert isinstance(store, MemoryStore)
        return MemoryStore(store.data)
