"""The SQLite store's subscribers and recipient ledger: the SQL of :class:`SubscriberStore`.

Each function runs inside a transaction the store opened (``db``); the store's
methods are one transaction each. The ledger has one row per recipient of an
outbox row, in the order the recipients were decided (``position``).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from candor.errors import InputError
from candor.store._sqlite_rows import parse_when, when, when_or_none
from candor.vocabulary import (
    OutboxItem,
    Recipient,
    RecipientOutcome,
    RecipientState,
    Subscriber,
    email_address,
)

__all__ = [
    "add_subscriber",
    "advance",
    "confirm",
    "insert_recipients",
    "ledger",
    "remove",
    "subscribers",
    "told",
]

_SUBSCRIBER_COLUMNS = "address, components, regions, subscribed_at, source, confirmed_at"
_OWED = "('pending', 'in_flight', 'retry')"


def _subscriber(row: Sequence[Any]) -> Subscriber:
    return Subscriber(
        address=row[0],
        components=tuple(json.loads(row[1])),
        regions=tuple(json.loads(row[2])),
        subscribed_at=parse_when(row[3]),
        source=row[4],
        confirmed_at=parse_when(row[5]),
    )


def _one(db: sqlite3.Connection, address: str) -> Subscriber | None:
    row = db.execute(
        f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers WHERE address = ?", (address,)
    ).fetchone()
    return _subscriber(row) if row is not None else None


def add_subscriber(db: sqlite3.Connection, subscriber: Subscriber) -> Subscriber:
    """Insert the subscriber, or change the filters of the one already there (kept confirmed)."""
    db.execute(
        f"INSERT INTO subscribers ({_SUBSCRIBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (address) DO UPDATE SET components = excluded.components,"
        " regions = excluded.regions,"
        " confirmed_at = COALESCE(subscribers.confirmed_at, excluded.confirmed_at)",
        (
            subscriber.address,
            json.dumps(list(subscriber.components)),
            json.dumps(list(subscriber.regions)),
            when(subscriber.subscribed_at),
            subscriber.source,
            when_or_none(subscriber.confirmed_at),
        ),
    )
    stored = _one(db, subscriber.address)
    assert stored is not None
    return stored


def confirm(db: sqlite3.Connection, address: str, at: datetime) -> Subscriber:
    """Mark the address confirmed, keeping the first time; InputError when nobody has it."""
    address = email_address(address)
    db.execute(
        "UPDATE subscribers SET confirmed_at = COALESCE(confirmed_at, ?) WHERE address = ?",
        (when(at), address),
    )
    stored = _one(db, address)
    if stored is None:
        raise InputError("address", address, "is not subscribed (it may have unsubscribed)")
    return stored


def remove(db: sqlite3.Connection, address: str) -> bool:
    """Forget the subscriber and withdraw their ledger rows still owed and not in a connection."""
    address = email_address(address)
    removed = db.execute("DELETE FROM subscribers WHERE address = ?", (address,)).rowcount
    db.execute(
        "UPDATE recipients SET state = 'withdrawn', last_error = 'unsubscribed'"
        " WHERE address = ? AND subscriber = 1 AND state IN ('pending', 'retry')",
        (address,),
    )
    return bool(removed)


def subscribers(db: sqlite3.Connection, *, confirmed_only: bool) -> builtins.list[Subscriber]:
    query = f"SELECT {_SUBSCRIBER_COLUMNS} FROM subscribers"
    if confirmed_only:
        query += " WHERE confirmed_at IS NOT NULL"
    return [_subscriber(row) for row in db.execute(query + " ORDER BY subscribed_at, rowid")]


def told(db: sqlite3.Connection, incident_id: str, channel: str) -> builtins.list[str]:
    """The subscribers on the ledgers of the incident's rows on the channel, earliest first."""
    found = db.execute(
        "SELECT r.address FROM recipients AS r JOIN outbox AS o ON o.id = r.outbox_id"
        " WHERE o.incident_id = ? AND o.channel = ? AND r.subscriber = 1"
        " ORDER BY o.seq, r.position",
        (incident_id, channel),
    ).fetchall()
    return list(dict.fromkeys(row[0] for row in found))


def insert_recipients(db: sqlite3.Connection, outbox_id: int, item: OutboxItem) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO recipients (outbox_id, position, address, subscriber, state)"
        " VALUES (?, ?, ?, ?, 'pending')",
        [
            (outbox_id, position, recipient.address, int(recipient.subscriber))
            for position, recipient in enumerate(item.recipients)
        ],
    )


def ledger(db: sqlite3.Connection, item_id: int) -> builtins.list[Recipient]:
    found = db.execute(
        "SELECT address, subscriber, state, attempts, last_error, sent_at FROM recipients"
        " WHERE outbox_id = ? ORDER BY position",
        (item_id,),
    ).fetchall()
    return [
        Recipient(
            address=row[0],
            subscriber=bool(row[1]),
            state=RecipientState(row[2]),
            attempts=row[3],
            last_error=row[4],
            sent_at=parse_when(row[5]),
        )
        for row in found
    ]


def advance(
    db: sqlite3.Connection,
    item_id: int,
    *,
    token: str,
    settled: Sequence[RecipientOutcome],
    take: int,
) -> builtins.list[str]:
    """Record the settled recipients, then hand out up to ``take`` owed ones under ``token``."""
    for outcome in settled:
        if outcome.sent:
            state, error = RecipientState.SENT, None
        else:
            state = RecipientState.FAILED if outcome.final else RecipientState.RETRY
            error = outcome.error
        # A recipient already sent keeps it; one withdrawn meanwhile stays withdrawn.
        db.execute(
            "UPDATE recipients SET state = ?, last_error = ?, attempts = attempts + 1,"
            " sent_at = ? WHERE outbox_id = ? AND address = ? AND state NOT IN"
            " ('sent', 'withdrawn')",
            (
                state.value,
                error,
                when(outcome.at) if outcome.sent else None,
                item_id,
                outcome.address,
            ),
        )
    if take <= 0:
        return []
    found = db.execute(
        "SELECT address FROM recipients WHERE outbox_id = ? AND state IN " + _OWED + " AND"
        " (state = 'pending' OR token IS NULL OR token != ?) ORDER BY position LIMIT ?",
        (item_id, token, take),
    ).fetchall()
    addresses = [row[0] for row in found]
    db.executemany(
        "UPDATE recipients SET state = 'in_flight', token = ? WHERE outbox_id = ? AND address = ?",
        [(token, item_id, address) for address in addresses],
    )
    return addresses
