"""Between the SQLite store's rows and candor's models: times as text, rows read and written.

:class:`~candor.store.sqlite.SQLiteStore` holds the connections and the
transactions; the functions here run inside them. Whatever a file holds, a
reader gets a StoreError naming the row it could not read, never a JSON or
pydantic traceback from deep inside (:func:`reading`).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from candor.errors import StoreError
from candor.model import (
    ActionStatus,
    Delivery,
    DeliveryState,
    Incident,
    Promise,
    PromiseKind,
    Update,
    UpdateKind,
)
from candor.store.base import promises_made_by
from candor.vocabulary import Message, OutboxItem, OutboxSent, OutboxTransition

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

OUTBOX_COLUMNS = (
    "id, incident_id, update_id, seq, channel, idempotency_key, message, state, attempts,"
    " last_error, created_at, next_attempt_at, maybe_sent, claim_token"
)
"""The columns :func:`outbox_item` reads, in its order."""

DELIVERY_COLUMNS = (
    "id, channel, update_id, seq, state, attempts, last_error, remote_id, remote_url, sent_at,"
    " next_attempt_at, thread_root"
)
"""The columns :func:`delivery` reads, in its order."""

PROMISE_COLUMNS = "incident_id, update_id, kind, due_at, kept_at, kept_by"
"""The columns :func:`promise` reads, in its order."""


def when(value: datetime) -> str:
    """A time as the store writes it."""
    # One fixed shape (UTC, microseconds, +00:00) so that text order is time order.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def when_or_none(value: datetime | None) -> str | None:
    return None if value is None else when(value)


def parse_when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@contextmanager
def reading(path: Path, what: str, key: object) -> Iterator[None]:
    """Turn a value the models refuse into a StoreError naming the store, the row and why."""
    try:
        yield
    except StoreError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"the store {path} holds a corrupt {what} {key!r}: {reason}") from None


# -- reading ------------------------------------------------------------------


def read_incident(
    path: Path,
    incident_id: str,
    data: str,
    *,
    updates: Sequence[Sequence[Any]],
    deliveries: Sequence[Sequence[Any]],
    action_items: Sequence[Sequence[Any]],
    closure: str | None,
) -> Incident:
    """The incident from its row's ``data`` and the rows of the tables beside it."""
    with reading(path, "incident", incident_id):
        fields = json.loads(data)
        fields["updates"] = [_update(path, row[0], row[1]) for row in updates]
        fields["deliveries"] = [delivery(path, row) for row in deliveries]
        fields["action_items"] = [
            {"number": row[0], "text": row[1], "status": row[2], "updated_at": row[3]}
            for row in action_items
        ]
        fields["closure"] = json.loads(closure) if closure is not None else None
        return Incident.model_validate(fields)


def _update(path: Path, update_id: str, data: str) -> dict[str, Any]:
    with reading(path, "update", update_id):
        fields: dict[str, Any] = json.loads(data)
        return fields


def delivery(path: Path, row: Sequence[Any]) -> Delivery:
    """An outbox row (:data:`DELIVERY_COLUMNS`) as the incident shows it."""
    with reading(path, "outbox row", row[0]):
        return Delivery(
            channel=row[1],
            update_id=row[2],
            seq=row[3],
            state=row[4],
            attempts=row[5],
            last_error=row[6],
            remote_id=row[7],
            remote_url=row[8],
            sent_at=parse_when(row[9]),
            next_attempt_at=parse_when(row[10]) if row[4] == "retry" else None,
            thread_root=row[11],
        )


def outbox_item(path: Path, row: Sequence[Any]) -> OutboxItem:
    """An outbox row (:data:`OUTBOX_COLUMNS`) as delivery works with it."""
    with reading(path, "outbox row", row[0]):
        state = DeliveryState(row[7])
        return OutboxItem(
            id=row[0],
            incident_id=row[1],
            update_id=row[2],
            seq=row[3],
            channel=row[4],
            idempotency_key=row[5],
            message=Message.model_validate_json(row[6]),
            state=state,
            attempts=row[8],
            last_error=row[9],
            created_at=datetime.fromisoformat(row[10]),
            next_attempt_at=parse_when(row[11]) if state is DeliveryState.RETRY else None,
            maybe_sent=bool(row[12]),
            claim=row[13] if state is DeliveryState.IN_FLIGHT else None,
        )


def promise(path: Path, row: Sequence[Any]) -> Promise:
    """A ``promises`` row (:data:`PROMISE_COLUMNS`)."""
    with reading(path, "promise", f"{row[1]}/{row[2]}"):
        return Promise(
            incident_id=row[0],
            update_id=row[1],
            kind=row[2],
            due_at=parse_when(row[3]),
            kept_at=parse_when(row[4]),
            kept_by=row[5],
        )


# -- writing ------------------------------------------------------------------


def incident_json(incident: Incident) -> str:
    """What the ``incidents`` row holds: the timeline and deliveries have tables of their own."""
    return incident.model_dump_json(exclude={"updates", "deliveries", "action_items", "closure"})


def insert_incident(db: sqlite3.Connection, incident: Incident) -> None:
    db.execute(
        "INSERT INTO incidents (id, version, status, data, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            incident.id,
            incident.version,
            incident.status.value,
            incident_json(incident),
            when(incident.created_at),
            when(incident.updated_at),
        ),
    )


def update_incident(db: sqlite3.Connection, incident: Incident) -> None:
    db.execute(
        "UPDATE incidents SET version = ?, status = ?, data = ?, updated_at = ? WHERE id = ?",
        (
            incident.version,
            incident.status.value,
            incident_json(incident),
            when(incident.updated_at),
            incident.id,
        ),
    )


def append(db: sqlite3.Connection, update: Update) -> None:
    """Add one update to the timeline, keep the promises it keeps, record those it makes."""
    try:
        db.execute(
            "INSERT INTO updates (id, incident_id, seq, data, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                update.id,
                update.incident_id,
                update.seq,
                update.model_dump_json(),
                when(update.created_at),
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(
            f"update {update.id} (seq {update.seq}) of incident {update.incident_id} "
            f"cannot join the timeline: {exc}"
        ) from None
    if update.kind is UpdateKind.CORRECTION:
        return  # a correction changes an earlier update's text: it keeps and makes no promise
    # An update keeps the next-update promise; the published write-up keeps the
    # write-up promise instead.
    kept = (
        PromiseKind.POSTMORTEM if update.kind is UpdateKind.POSTMORTEM else PromiseKind.NEXT_UPDATE
    )
    db.execute(
        "UPDATE promises SET kept_at = ?, kept_by = ?"
        " WHERE incident_id = ? AND kind = ? AND kept_at IS NULL",
        (when(update.created_at), update.id, update.incident_id, kept.value),
    )
    if update.write_up is not None:
        for number, text in enumerate(update.write_up.action_items, start=1):
            db.execute(
                "INSERT INTO action_items (incident_id, number, text, status, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    update.incident_id,
                    number,
                    text,
                    ActionStatus.OPEN.value,
                    when(update.created_at),
                ),
            )
    for promise in promises_made_by(update):
        db.execute(
            "INSERT INTO promises (incident_id, update_id, kind, due_at, kept_at, kept_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                promise.incident_id,
                promise.update_id,
                promise.kind.value,
                when(promise.due_at),
                when_or_none(promise.kept_at),
                promise.kept_by,
            ),
        )


def insert_outbox(db: sqlite3.Connection, item: OutboxItem) -> int:
    """Insert the row; returns its id."""
    receipt = item.receipt if item.state is DeliveryState.SENT else None
    try:
        cursor = db.execute(
            "INSERT INTO outbox (incident_id, update_id, seq, channel, idempotency_key,"
            " message, state, attempts, last_error, created_at, sent_at, remote_id,"
            " remote_url, thread_root)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.incident_id,
                item.update_id,
                item.seq,
                item.channel,
                item.idempotency_key,
                item.message.model_dump_json(),
                item.state.value,
                item.attempts,
                item.last_error,
                when(item.created_at),
                when(item.created_at) if receipt is not None else None,
                receipt.remote_id if receipt is not None else None,
                receipt.url if receipt is not None else None,
                receipt.thread_root if receipt is not None else None,
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(
            f"outbox row for update {item.update_id} on channel {item.channel!r} "
            f"cannot be recorded: {exc}"
        ) from None
    assert cursor.lastrowid is not None
    return cursor.lastrowid


# -- changing the outbox -------------------------------------------------------


def narrowed(
    incident_id: str | None, channels: Collection[str] | None
) -> tuple[str, builtins.list[Any]]:
    """The ``AND`` clauses (and their values) limiting outbox rows to an incident, to channels."""
    clauses = ""
    parameters: builtins.list[Any] = []
    if incident_id is not None:
        clauses += " AND incident_id = ?"
        parameters.append(incident_id)
    if channels is not None:
        chosen = builtins.list(channels)
        clauses += f" AND channel IN ({', '.join('?' * len(chosen))})"
        parameters.extend(chosen)
    return clauses, parameters


def outbox_change(transition: OutboxTransition) -> tuple[str, tuple[Any, ...]]:
    """The SET clause and its values that apply one transition to its outbox row."""
    if isinstance(transition, OutboxSent):
        receipt = transition.receipt
        return (
            "state = 'sent', sent_at = ?, remote_id = ?, remote_url = ?, thread_root = ?,"
            " attempts = attempts + ?, next_attempt_at = NULL, claim_token = NULL,"
            " lease_until = NULL",
            (
                when(transition.at),
                receipt.remote_id,
                receipt.url,
                receipt.thread_root,
                transition.attempts,
            ),
        )
    if transition.final:
        return (
            "state = 'failed', last_error = ?, attempts = attempts + ?, failed_at = ?,"
            " next_attempt_at = NULL, claim_token = NULL, lease_until = NULL",
            (transition.error, transition.attempts, when(transition.at)),
        )
    return (
        "state = 'retry', last_error = ?, attempts = attempts + ?, next_attempt_at = ?,"
        " maybe_sent = MAX(maybe_sent, ?), claim_token = NULL, lease_until = NULL",
        (
            transition.error,
            transition.attempts,
            when(transition.next_attempt_at or transition.at),
            int(transition.maybe_sent),
        ),
    )
