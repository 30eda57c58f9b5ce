"""The embedded default store: one SQLite file, safe for several threads and processes.

Every operation opens its own connection, in WAL mode so readers never block the
writer, and every write runs inside ``BEGIN IMMEDIATE`` so two writers, in one
process or in two, take turns instead of interleaving. The version check of
:meth:`SQLiteStore.save` runs inside that transaction, which is what makes it
safe: of two writers that read the same version, the second to take the lock
finds the version moved and gets a :class:`~candor.errors.ConflictError`.

The timeline (table ``updates``) is append-only: triggers abort any UPDATE or
DELETE on it, whoever issues them.

The schema and its migrations are in :mod:`candor.store._sqlite_migrations`,
the mapping between rows and models in :mod:`candor.store._sqlite_rows`.

The outbox's state changes (claims, receipts, failures) commit with
``synchronous = NORMAL``: in WAL mode that survives the process being killed at
any instant, and only a power loss could undo the last few of them, which at
worst sends a message again under the same idempotency key. Saving an update
keeps the full fsync.

This module is a little over 500 lines: each method is one transaction of the
Store protocol, and the schema and the row mapping already live apart.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from candor.errors import ConflictError, IncidentNotFound, InputError, StoreError
from candor.model import (
    ActionItem,
    ActionStatus,
    Closure,
    Incident,
    Promise,
    Update,
)
from candor.store import _sqlite_people as people
from candor.store import _sqlite_rows as rows
from candor.store._sqlite_migrations import SCHEMA_VERSION, check_schema, migrate
from candor.vocabulary import (
    OutboxFailure,
    OutboxItem,
    OutboxSent,
    OutboxTransition,
    Receipt,
    Recipient,
    RecipientOutcome,
    Subscriber,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "unwritable"]

_OWED = "('pending', 'in_flight', 'retry')"
"""The outbox states of a row still owed to its channel, as SQL."""


def unwritable(path: Path, *, folder: bool = False) -> bool:
    """Whether ``path`` (a file, or its folder) exists and may not be written.

    By its permission bits, not only by what this process may do: root may
    write a ``chmod 444`` file, but its owner said it is not to be written, so
    candor opens it read-only. A file that does not exist is not unwritable (it
    is created), nor is a file in a folder candor cannot write (SQLite needs the
    folder for its journal): that is the folder's own check.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return True
    if not os.access(path, os.W_OK):
        return True
    if folder:
        return False
    return unwritable(path.parent, folder=True)


class SQLiteStore:
    """Incidents, timeline, promises and outbox in one SQLite file.

    The file and its folder are created when missing, and the schema is brought
    up to date when the store is opened. ``busy_timeout`` is how many seconds an
    operation waits for another writer before giving up with a StoreError.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 10.0,
        read_only: bool | None = None,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._closed = False
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: builtins.list[sqlite3.Connection] = []
        self.read_only = unwritable(self.path) if read_only is None else read_only
        """Opened read-only: every read works, every write is a StoreError saying so."""
        if self.read_only:
            if not self.path.is_file():
                raise StoreError(f"the store {self.path} does not exist (it was opened read-only)")
            # A folder candor cannot write cannot hold the WAL's index (-shm) either: the
            # file is read as it stands, as nothing can change it through candor meanwhile.
            self._immutable = unwritable(self.path.parent, folder=True)
        else:
            self._immutable = False
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the store {self.path}: {exc}"
                ) from None
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connections and transactions ------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One connection per thread, kept between operations: opening a SQLite
        # connection costs about a millisecond (the WAL index, the schema), which
        # is more than the transaction itself, and delivery makes two per row.
        # sqlite3 connections must not be shared between threads, so each thread
        # (the caller's, asyncio.to_thread's pool, the courier's store thread) has
        # its own; close() closes them all. A forked child never reuses its
        # parent's connection.
        if self._closed:
            raise StoreError(f"the store {self.path} is closed")
        connection = self._connection()
        try:
            yield connection
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def _connection(self) -> sqlite3.Connection:
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            connection: sqlite3.Connection = held[1]
            return connection
        try:
            connection = sqlite3.connect(
                self._uri() if self.read_only else self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,  # only so that close() may close it
                uri=self.read_only,
            )
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        self._local.held = (os.getpid(), connection)
        with self._lock:
            self._connections.append(connection)
        return connection

    def _uri(self) -> str:
        mode = "ro&immutable=1" if self._immutable else "ro"
        return f"{self.path.resolve().as_uri()}?mode={mode}"

    def _error(self, exc: sqlite3.Error) -> StoreError:
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            return StoreError(f"{self.path} is not a SQLite database: {exc}")
        if "readonly" in str(exc) or "read-only" in str(exc):
            return self._refusal()
        return StoreError(f"the store {self.path} failed: {exc}")

    def _refusal(self) -> StoreError:
        why = "opened read-only" if self.read_only else "read-only"
        return StoreError(
            f"the store {self.path} is {why}: candor can read it (list, show, overdue, "
            "report) but not record anything in it"
        )

    @contextmanager
    def _transaction(self, *, write: bool, fsync: bool = True) -> Iterator[sqlite3.Connection]:
        # Writes take the write lock up front (IMMEDIATE), so that a read-then-write
        # such as the version check can never be overtaken by another writer.
        # Reads use a deferred transaction: one consistent snapshot for all
        # their SELECTs, without blocking anyone (WAL). ``fsync=False`` is for
        # the outbox's state changes (see the module docstring).
        if write and self.read_only:
            raise self._refusal()
        with self._connect() as connection:
            if not self.read_only:
                connection.execute(f"PRAGMA synchronous = {'FULL' if fsync else 'NORMAL'}")
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.execute("COMMIT")

    def _migrate(self) -> None:
        with self._connect() as connection:
            if self.read_only:
                check_schema(connection, self.path)
            else:
                migrate(connection, self.path)

    # -- writing ---------------------------------------------------------------

    def save(
        self,
        incident: Incident,
        *,
        expected_version: int | None,
        outbox: Sequence[OutboxItem],
    ) -> None:
        """Record the incident's newest update, its promises and outbox, all or nothing.

        With ``expected_version`` None the incident must be new and its whole
        timeline is written; otherwise the stored version must equal
        ``expected_version`` (ConflictError if not, IncidentNotFound if there is no
        such incident) and only ``incident.updates[-1]`` is appended.
        """
        if not incident.updates:
            raise InputError("incident.updates", (), "save records an update; there is none")
        if expected_version is not None and incident.version <= expected_version:
            raise InputError(
                "incident.version",
                incident.version,
                f"must be newer than the version it was changed from ({expected_version})",
            )
        with self._transaction(write=True) as db:
            row = db.execute(
                "SELECT version FROM incidents WHERE id = ?", (incident.id,)
            ).fetchone()
            if expected_version is None:
                if row is not None:
                    # Nobody expected it to exist: version 0 stands for "not yet created".
                    raise ConflictError(incident.id, 0, row[0])
                new_updates: Sequence[Update] = incident.updates
                rows.insert_incident(db, incident)
            else:
                if row is None:
                    raise IncidentNotFound(incident.id)
                if row[0] != expected_version:
                    raise ConflictError(incident.id, expected_version, row[0])
                new_updates = incident.updates[-1:]
            for update in new_updates:
                rows.append(db, update)
            if expected_version is not None:
                rows.update_incident(db, incident)
            for item in outbox:
                item_id = rows.insert_outbox(db, item)
                if item.recipients:
                    people.insert_recipients(db, item_id, item)

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
        """Claim the head row of each (incident, channel) that may go now; see :class:`Store`."""
        narrower, parameters = rows.narrowed(incident_id, channels)
        query = (
            f"SELECT {rows.OUTBOX_COLUMNS}, lease_until FROM outbox WHERE state IN {_OWED}"
            + narrower
        )
        moment = rows.when(now)
        until = rows.when(now + lease)
        claimed = []
        with self._transaction(write=True, fsync=False) as db:
            heads: dict[tuple[str, str], tuple[Any, ...]] = {}
            for row in db.execute(query + " ORDER BY id", parameters).fetchall():
                heads.setdefault((row[1], row[4]), row)
            for row in heads.values():
                state, next_attempt_at, lease_until = row[7], row[11], row[-1]
                if state == "in_flight":
                    if lease_until is not None and lease_until > moment:
                        continue  # another process is delivering it right now
                    # Its process died mid-attempt: that attempt counts, and may have landed.
                    db.execute(
                        "UPDATE outbox SET attempts = attempts + 1, maybe_sent = 1, last_error ="
                        " 'the process delivering it stopped before recording the outcome'"
                        " WHERE id = ?",
                        (row[0],),
                    )
                elif (
                    state == "retry"
                    and due_only
                    and next_attempt_at is not None
                    and next_attempt_at > moment
                ):
                    continue  # waiting for its time; the rows behind it wait too
                db.execute(
                    "UPDATE outbox SET state = 'in_flight', claim_token = ?, lease_until = ?"
                    " WHERE id = ?",
                    (token, until, row[0]),
                )
                fresh = db.execute(
                    f"SELECT {rows.OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (row[0],)
                ).fetchone()
                claimed.append(fresh)
        return [self._outbox_item(row) for row in sorted(claimed, key=lambda row: row[0])]

    def record_sent(
        self, item_id: int, receipt: Receipt, *, at: datetime, attempts: int = 1
    ) -> None:
        """Mark an outbox row delivered, with what the service said (its receipt)."""
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
        """Count failed attempts; ``final`` marks the row failed for good, else it retries."""
        self.record_many(
            [
                OutboxFailure(
                    item_id=item_id,
                    error=error,
                    final=final,
                    at=at,
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    maybe_sent=maybe_sent,
                )
            ]
        )

    def record_many(self, transitions: Sequence[OutboxTransition]) -> None:
        """Record many rows' outcomes in one transaction, all or none; see :class:`Store`."""
        if not transitions:
            return
        with self._transaction(write=True, fsync=False) as db:
            for transition in transitions:
                assignments, values = rows.outbox_change(transition)
                # "state != 'sent'": the first receipt stands; a late outcome changes nothing.
                changed = db.execute(
                    f"UPDATE outbox SET {assignments} WHERE id = ? AND state != 'sent'",
                    (*values, transition.item_id),
                ).rowcount
                if changed == 0 and (
                    db.execute(
                        "SELECT 1 FROM outbox WHERE id = ?", (transition.item_id,)
                    ).fetchone()
                    is None
                ):
                    raise StoreError(
                        f"the store {self.path} has no outbox row with id {transition.item_id}"
                    )

    # -- reading ---------------------------------------------------------------

    def get(self, incident_id: str) -> Incident:
        """The incident with its timeline and deliveries; IncidentNotFound if there is none."""
        with self._transaction(write=False) as db:
            row = db.execute("SELECT data FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None:
                raise IncidentNotFound(incident_id)
            return self._incident(db, incident_id, row[0])

    def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        """Incidents, newest first, each with its timeline and deliveries."""
        query = "SELECT id, data FROM incidents"
        if open_only:
            query += " WHERE status != 'resolved'"
        query += " ORDER BY created_at DESC, rowid DESC"
        with self._transaction(write=False) as db:
            return [self._incident(db, row[0], row[1]) for row in db.execute(query).fetchall()]

    def _incident(self, db: sqlite3.Connection, incident_id: str, data: str) -> Incident:
        closure = db.execute(
            "SELECT data FROM closures WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        return rows.read_incident(
            self.path,
            incident_id,
            data,
            updates=db.execute(
                "SELECT id, data FROM updates WHERE incident_id = ? ORDER BY seq", (incident_id,)
            ).fetchall(),
            deliveries=db.execute(
                f"SELECT {rows.DELIVERY_COLUMNS} FROM outbox WHERE incident_id = ?"
                " ORDER BY seq, channel",
                (incident_id,),
            ).fetchall(),
            action_items=db.execute(
                "SELECT number, text, status, updated_at FROM action_items WHERE incident_id = ?"
                " ORDER BY number",
                (incident_id,),
            ).fetchall(),
            closure=closure[0] if closure is not None else None,
        )

    def promises(self, *, open_only: bool = True) -> builtins.list[Promise]:
        """Promises made by updates, soonest due first; only those still open by default."""
        query = f"SELECT {rows.PROMISE_COLUMNS} FROM promises"
        if open_only:
            query += " WHERE kept_at IS NULL"
        query += " ORDER BY due_at, rowid"
        with self._transaction(write=False) as db:
            found = db.execute(query).fetchall()
        return [rows.promise(self.path, row) for row in found]

    def pending(self, *, incident_id: str | None = None) -> builtins.list[OutboxItem]:
        """Outbox rows still owed (pending, in flight, retry), oldest first."""
        query = f"SELECT {rows.OUTBOX_COLUMNS} FROM outbox WHERE state IN {_OWED}"
        parameters: tuple[str, ...] = ()
        if incident_id is not None:
            query += " AND incident_id = ?"
            parameters = (incident_id,)
        with self._transaction(write=False) as db:
            found = db.execute(query + " ORDER BY id", parameters).fetchall()
        return [self._outbox_item(row) for row in found]

    def _outbox_item(self, row: Sequence[Any]) -> OutboxItem:
        return rows.outbox_item(self.path, row)

    def requeue_failed(
        self,
        *,
        now: datetime,
        incident_id: str | None = None,
        channels: Collection[str] | None = None,
    ) -> builtins.list[OutboxItem]:
        """Owe again the failed rows no later sent update supersedes; see :class:`Store`."""
        narrower, parameters = rows.narrowed(incident_id, channels)
        query = (
            f"SELECT {rows.OUTBOX_COLUMNS} FROM outbox AS failed WHERE state = 'failed'"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS later WHERE later.state = 'sent'"
            " AND later.incident_id = failed.incident_id AND later.channel = failed.channel"
            " AND later.seq > failed.seq)" + narrower
        )
        with self._transaction(write=True) as db:
            found = db.execute(query + " ORDER BY id", parameters).fetchall()
            db.executemany(
                "UPDATE outbox SET state = 'retry', next_attempt_at = ?, failed_at = NULL"
                " WHERE id = ? AND state = 'failed'",
                [(rows.when(now), row[0]) for row in found],
            )
        return [
            self._outbox_item((*row[:7], "retry", *row[8:11], rows.when(now), *row[12:]))
            for row in found
        ]

    def receipts(self, incident_id: str, channel: str) -> builtins.list[Receipt]:
        """Receipts of the incident's delivered updates on a channel, oldest first."""
        with self._transaction(write=False) as db:
            found = db.execute(
                "SELECT remote_id, remote_url, thread_root FROM outbox"
                " WHERE incident_id = ? AND channel = ? AND state = 'sent' ORDER BY seq, id",
                (incident_id, channel),
            ).fetchall()
        return [
            Receipt(channel=channel, remote_id=row[0], url=row[1], thread_root=row[2])
            for row in found
        ]

    # -- the promise ledger ----------------------------------------------------

    def close_incident(self, incident_id: str, closure: Closure) -> None:
        """Record that the books are closed on an incident; StoreError if they already are."""
        with self._transaction(write=True) as db:
            if (
                db.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone()
                is None
            ):
                raise IncidentNotFound(incident_id)
            try:
                db.execute(
                    "INSERT INTO closures (incident_id, data, closed_at) VALUES (?, ?, ?)",
                    (incident_id, closure.model_dump_json(), rows.when(closure.closed_at)),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"incident {incident_id} is already closed") from None

    def set_action_item(
        self, incident_id: str, number: int, status: ActionStatus, *, at: datetime
    ) -> ActionItem:
        """Change one action item's status; InputError if the write-up has no such item."""
        with self._transaction(write=True) as db:
            changed = db.execute(
                "UPDATE action_items SET status = ?, updated_at = ?"
                " WHERE incident_id = ? AND number = ?",
                (status.value, rows.when(at), incident_id, number),
            ).rowcount
            if not changed:
                raise InputError(
                    "number", number, f"incident {incident_id}'s write-up has no such action item"
                )
            row = db.execute(
                "SELECT text FROM action_items WHERE incident_id = ? AND number = ?",
                (incident_id, number),
            ).fetchone()
        return ActionItem(number=number, text=row[0], status=status, updated_at=at)

    def claim_reminder(self, key: str, *, holder: str, at: datetime) -> bool:
        """True for the one caller that records ``key`` first: it acts; every other sees it done."""
        with self._transaction(write=True) as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO reminders (key, holder, acted_at) VALUES (?, ?, ?)",
                (key, holder, rows.when(at)),
            ).rowcount
        return bool(inserted)

    # -- subscribers and the recipient ledger (SubscriberStore) ---------------------

    def add_subscriber(self, subscriber: Subscriber) -> Subscriber:
        """Record a subscriber, or change their filters; see :class:`SubscriberStore`."""
        with self._transaction(write=True) as db:
            return people.add_subscriber(db, subscriber)

    def confirm_subscriber(self, address: str, *, at: datetime) -> Subscriber:
        """Mark the address confirmed; InputError if it is not subscribed."""
        with self._transaction(write=True) as db:
            return people.confirm(db, address, at)

    def remove_subscriber(self, address: str) -> bool:
        """Forget the address and withdraw it from every row still owed, at once."""
        with self._transaction(write=True) as db:
            return people.remove(db, address)

    def subscribers(self, *, confirmed_only: bool = False) -> builtins.list[Subscriber]:
        """Every subscriber, in the order they subscribed."""
        with self._transaction(write=False) as db:
            return people.subscribers(db, confirmed_only=confirmed_only)

    def told(self, incident_id: str, channel: str) -> builtins.list[str]:
        """The subscribers the channel was to tell of the incident for any earlier update."""
        with self._transaction(write=False) as db:
            return people.told(db, incident_id, channel)

    def recipients(self, item_id: int) -> builtins.list[Recipient]:
        """The recipient ledger of one outbox row."""
        with self._transaction(write=False) as db:
            return people.ledger(db, item_id)

    def advance_recipients(
        self,
        item_id: int,
        *,
        token: str,
        settled: Sequence[RecipientOutcome],
        take: int,
    ) -> builtins.list[str]:
        """Record ``settled`` and hand out up to ``take`` owed recipients, in one transaction."""
        with self._transaction(write=True, fsync=False) as db:
            return people.advance(db, item_id, token=token, settled=settled, take=take)

    def close(self) -> None:
        """Close every connection the store holds, and refuse further use."""
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
