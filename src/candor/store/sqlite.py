"""The embedded default store: one SQLite file, safe for several threads and processes.

Every operation opens its own connection, in WAL mode so readers never block the
writer, and every write runs inside ``BEGIN IMMEDIATE`` so two writers, in one
process or in two, take turns instead of interleaving. The version check of
:meth:`SQLiteStore.save` runs inside that transaction, which is what makes it
safe: of two writers that read the same version, the second to take the lock
finds the version moved and gets a :class:`~candor.errors.ConflictError`.

The timeline (table ``updates``) is append-only: triggers abort any UPDATE or
DELETE on it, whoever issues them.

The outbox's state changes (claims, receipts, failures) commit with
``synchronous = NORMAL``: in WAL mode that survives the process being killed at
any instant, and only a power loss could undo the last few of them, which at
worst sends a message again under the same idempotency key. Saving an update
keeps the full fsync.
"""

from __future__ import annotations

import builtins
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    Update,
    UpdateKind,
)
from candor.store.base import promises_made_by
from candor.vocabulary import (
    Message,
    OutboxFailure,
    OutboxItem,
    OutboxSent,
    OutboxTransition,
    Receipt,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

# Each migration takes the schema from version ``i`` to ``i + 1`` (its index plus one);
# PRAGMA user_version records how many have run. Append, never edit: files in the
# field were made by the old entries. Statements are listed one by one because
# ``executescript`` would commit the migration transaction half way.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL CHECK (version >= 1),
            status TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX incidents_created_at ON incidents (created_at)",
        """
        CREATE TABLE updates (
            id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents (id),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (incident_id, seq)
        )
        """,
        """
        CREATE TRIGGER updates_are_never_changed BEFORE UPDATE ON updates
        BEGIN
            SELECT RAISE(ABORT, 'the timeline is append-only: an update cannot be changed');
        END
        """,
        """
        CREATE TRIGGER updates_are_never_deleted BEFORE DELETE ON updates
        BEGIN
            SELECT RAISE(ABORT, 'the timeline is append-only: an update cannot be deleted');
        END
        """,
        """
        CREATE TABLE promises (
            incident_id TEXT NOT NULL REFERENCES incidents (id),
            update_id TEXT NOT NULL REFERENCES updates (id),
            kind TEXT NOT NULL,
            due_at TEXT NOT NULL,
            kept_at TEXT,
            kept_by TEXT REFERENCES updates (id),
            PRIMARY KEY (update_id, kind)
        )
        """,
        "CREATE INDEX promises_open ON promises (incident_id, kind) WHERE kept_at IS NULL",
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents (id),
            update_id TEXT NOT NULL REFERENCES updates (id),
            seq INTEGER NOT NULL,
            channel TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            message TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            remote_id TEXT,
            remote_url TEXT,
            thread_root TEXT,
            UNIQUE (update_id, channel)
        )
        """,
        "CREATE INDEX outbox_pending ON outbox (state, id)",
        "CREATE INDEX outbox_incident ON outbox (incident_id, channel)",
    ),
    # 2: the outbox becomes a state machine (in_flight under a claim and a lease,
    # retry with a due time). SQLite cannot change a CHECK constraint in place,
    # so the table is rebuilt; rows that had failed attempts become 'retry'.
    (
        """
        CREATE TABLE outbox_v2 (
            id INTEGER PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents (id),
            update_id TEXT NOT NULL REFERENCES updates (id),
            seq INTEGER NOT NULL,
            channel TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            message TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'in_flight', 'sent', 'retry', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            remote_id TEXT,
            remote_url TEXT,
            thread_root TEXT,
            next_attempt_at TEXT,
            maybe_sent INTEGER NOT NULL DEFAULT 0,
            claim_token TEXT,
            lease_until TEXT,
            failed_at TEXT,
            UNIQUE (update_id, channel)
        )
        """,
        """
        INSERT INTO outbox_v2 (id, incident_id, update_id, seq, channel, idempotency_key,
            message, state, attempts, last_error, created_at, sent_at, remote_id, remote_url,
            thread_root)
        SELECT id, incident_id, update_id, seq, channel, idempotency_key, message,
            CASE WHEN state = 'pending' AND attempts > 0 THEN 'retry' ELSE state END,
            attempts, last_error, created_at, sent_at, remote_id, remote_url, thread_root
        FROM outbox
        """,
        "DROP TABLE outbox",
        "ALTER TABLE outbox_v2 RENAME TO outbox",
        "CREATE INDEX outbox_owed ON outbox (id) WHERE state IN ('pending', 'in_flight', 'retry')",
        "CREATE INDEX outbox_incident ON outbox (incident_id, channel)",
    ),
    # 3: the promise ledger. Closing the books on an incident, the write-up's action
    # items with their status, and the reminders a watcher acted on (the first to
    # insert a reminder's key acts; any other watcher sees it done).
    (
        """
        CREATE TABLE closures (
            incident_id TEXT PRIMARY KEY REFERENCES incidents (id),
            data TEXT NOT NULL,
            closed_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE action_items (
            incident_id TEXT NOT NULL REFERENCES incidents (id),
            number INTEGER NOT NULL CHECK (number >= 1),
            text TEXT NOT NULL,
            status TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (incident_id, number)
        )
        """,
        """
        CREATE TABLE reminders (
            key TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            acted_at TEXT NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(_MIGRATIONS)

_OUTBOX_COLUMNS = (
    "id, incident_id, update_id, seq, channel, idempotency_key, message, state, attempts,"
    " last_error, created_at, next_attempt_at, maybe_sent, claim_token"
)
"""The schema version this code writes; a file with a higher one is refused."""


def _when(value: datetime) -> str:
    # One fixed shape (UTC, microseconds, +00:00) so that text order is time order.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _when_or_none(value: datetime | None) -> str | None:
    return None if value is None else _when(value)


def _parse_when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class SQLiteStore:
    """Incidents, timeline, promises and outbox in one SQLite file.

    The file and its folder are created when missing, and the schema is brought
    up to date when the store is opened. ``busy_timeout`` is how many seconds an
    operation waits for another writer before giving up with a StoreError.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._closed = False
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: builtins.list[sqlite3.Connection] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the store {self.path}: {exc}") from None
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
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,  # only so that close() may close it
            )
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        self._local.held = (os.getpid(), connection)
        with self._lock:
            self._connections.append(connection)
        return connection

    def _error(self, exc: sqlite3.Error) -> StoreError:
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            return StoreError(f"{self.path} is not a SQLite database: {exc}")
        return StoreError(f"the store {self.path} failed: {exc}")

    @contextmanager
    def _transaction(self, *, write: bool, fsync: bool = True) -> Iterator[sqlite3.Connection]:
        # Writes take the write lock up front (IMMEDIATE), so that a read-then-write
        # such as the version check can never be overtaken by another writer.
        # Reads use a deferred transaction: one consistent snapshot for all
        # their SELECTs, without blocking anyone (WAL). ``fsync=False`` is for
        # the outbox's state changes (see the module docstring).
        with self._connect() as connection:
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
            try:
                connection.execute("PRAGMA journal_mode = WAL").fetchone()
            except sqlite3.DatabaseError as exc:
                raise self._error(exc) from None
            found: int = connection.execute("PRAGMA user_version").fetchone()[0]
            if found == SCHEMA_VERSION:
                return
            self._check_version(found)
            connection.execute("BEGIN IMMEDIATE")
            try:
                # Read again under the lock: another process may have migrated meanwhile.
                found = connection.execute("PRAGMA user_version").fetchone()[0]
                self._check_version(found)
                for migration in _MIGRATIONS[found:]:
                    for statement in migration:
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except BaseException:
                connection.rollback()
                raise
            connection.execute("COMMIT")

    def _check_version(self, found: int) -> None:
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {found}, newer than the version "
                f"{SCHEMA_VERSION} this candor knows: upgrade candor to use it"
            )

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
                self._insert_incident(db, incident)
            else:
                if row is None:
                    raise IncidentNotFound(incident.id)
                if row[0] != expected_version:
                    raise ConflictError(incident.id, expected_version, row[0])
                new_updates = incident.updates[-1:]
            for update in new_updates:
                self._append(db, update)
            if expected_version is not None:
                self._update_incident(db, incident)
            for item in outbox:
                self._insert_outbox(db, item)

    def _insert_incident(self, db: sqlite3.Connection, incident: Incident) -> None:
        db.execute(
            "INSERT INTO incidents (id, version, status, data, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                incident.id,
                incident.version,
                incident.status.value,
                _incident_json(incident),
                _when(incident.created_at),
                _when(incident.updated_at),
            ),
        )

    def _update_incident(self, db: sqlite3.Connection, incident: Incident) -> None:
        db.execute(
            "UPDATE incidents SET version = ?, status = ?, data = ?, updated_at = ? WHERE id = ?",
            (
                incident.version,
                incident.status.value,
                _incident_json(incident),
                _when(incident.updated_at),
                incident.id,
            ),
        )

    def _append(self, db: sqlite3.Connection, update: Update) -> None:
        """Add one update to the timeline, keep the promises it keeps, record those it makes."""
        try:
            db.execute(
                "INSERT INTO updates (id, incident_id, seq, data, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    update.id,
                    update.incident_id,
                    update.seq,
                    update.model_dump_json(),
                    _when(update.created_at),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"update {update.id} (seq {update.seq}) of incident {update.incident_id} "
                f"cannot join the timeline: {exc}"
            ) from None
        # An update keeps the next-update promise; the published write-up keeps the
        # write-up promise instead.
        kept = (
            PromiseKind.POSTMORTEM
            if update.kind is UpdateKind.POSTMORTEM
            else PromiseKind.NEXT_UPDATE
        )
        db.execute(
            "UPDATE promises SET kept_at = ?, kept_by = ?"
            " WHERE incident_id = ? AND kind = ? AND kept_at IS NULL",
            (_when(update.created_at), update.id, update.incident_id, kept.value),
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
                        _when(update.created_at),
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
                    _when(promise.due_at),
                    _when_or_none(promise.kept_at),
                    promise.kept_by,
                ),
            )

    def _insert_outbox(self, db: sqlite3.Connection, item: OutboxItem) -> None:
        receipt = item.receipt if item.state is DeliveryState.SENT else None
        try:
            db.execute(
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
                    _when(item.created_at),
                    _when(item.created_at) if receipt is not None else None,
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
        narrower, parameters = _narrowed(incident_id, channels)
        query = (
            f"SELECT {_OUTBOX_COLUMNS}, lease_until FROM outbox"
            " WHERE state IN ('pending', 'in_flight', 'retry')" + narrower
        )
        moment = _when(now)
        until = _when(now + lease)
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
                    f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (row[0],)
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
                assignments, values = _outbox_change(transition)
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
        updates = db.execute(
            "SELECT id, data FROM updates WHERE incident_id = ? ORDER BY seq", (incident_id,)
        ).fetchall()
        deliveries = db.execute(
            "SELECT id, channel, update_id, seq, state, attempts, last_error, remote_id,"
            " remote_url, sent_at, next_attempt_at, thread_root FROM outbox WHERE incident_id = ?"
            " ORDER BY seq, channel",
            (incident_id,),
        ).fetchall()
        items = db.execute(
            "SELECT number, text, status, updated_at FROM action_items WHERE incident_id = ?"
            " ORDER BY number",
            (incident_id,),
        ).fetchall()
        closure = db.execute(
            "SELECT data FROM closures WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        with self._reading("incident", incident_id):
            fields = json.loads(data)
            fields["updates"] = [self._update(row[0], row[1]) for row in updates]
            fields["deliveries"] = [self._delivery(row) for row in deliveries]
            fields["action_items"] = [
                {"number": row[0], "text": row[1], "status": row[2], "updated_at": row[3]}
                for row in items
            ]
            fields["closure"] = json.loads(closure[0]) if closure is not None else None
            return Incident.model_validate(fields)

    def _update(self, update_id: str, data: str) -> dict[str, Any]:
        with self._reading("update", update_id):
            fields: dict[str, Any] = json.loads(data)
            return fields

    def _delivery(self, row: Sequence[Any]) -> Delivery:
        with self._reading("outbox row", row[0]):
            return Delivery(
                channel=row[1],
                update_id=row[2],
                seq=row[3],
                state=row[4],
                attempts=row[5],
                last_error=row[6],
                remote_id=row[7],
                remote_url=row[8],
                sent_at=_parse_when(row[9]),
                next_attempt_at=_parse_when(row[10]) if row[4] == "retry" else None,
                thread_root=row[11],
            )

    @contextmanager
    def _reading(self, what: str, key: object) -> Iterator[None]:
        # Whatever the file holds, a reader gets a StoreError naming the row,
        # not a JSON or pydantic traceback from deep inside.
        try:
            yield
        except StoreError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(
                f"the store {self.path} holds a corrupt {what} {key!r}: {reason}"
            ) from None

    def promises(self, *, open_only: bool = True) -> builtins.list[Promise]:
        """Promises made by updates, soonest due first; only those still open by default."""
        query = "SELECT incident_id, update_id, kind, due_at, kept_at, kept_by FROM promises"
        if open_only:
            query += " WHERE kept_at IS NULL"
        query += " ORDER BY due_at, rowid"
        with self._transaction(write=False) as db:
            rows = db.execute(query).fetchall()
        made = []
        for row in rows:
            with self._reading("promise", f"{row[1]}/{row[2]}"):
                made.append(
                    Promise(
                        incident_id=row[0],
                        update_id=row[1],
                        kind=row[2],
                        due_at=_parse_when(row[3]),
                        kept_at=_parse_when(row[4]),
                        kept_by=row[5],
                    )
                )
        return made

    def pending(self, *, incident_id: str | None = None) -> builtins.list[OutboxItem]:
        """Outbox rows still owed (pending, in flight, retry), oldest first."""
        query = (
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE state IN ('pending', 'in_flight', 'retry')"
        )
        parameters: tuple[str, ...] = ()
        if incident_id is not None:
            query += " AND incident_id = ?"
            parameters = (incident_id,)
        with self._transaction(write=False) as db:
            rows = db.execute(query + " ORDER BY id", parameters).fetchall()
        return [self._outbox_item(row) for row in rows]

    def _outbox_item(self, row: Sequence[Any]) -> OutboxItem:
        with self._reading("outbox row", row[0]):
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
                next_attempt_at=_parse_when(row[11]) if state is DeliveryState.RETRY else None,
                maybe_sent=bool(row[12]),
                claim=row[13] if state is DeliveryState.IN_FLIGHT else None,
            )

    def requeue_failed(
        self,
        *,
        now: datetime,
        incident_id: str | None = None,
        channels: Collection[str] | None = None,
    ) -> builtins.list[OutboxItem]:
        """Owe again the failed rows no later sent update supersedes; see :class:`Store`."""
        narrower, parameters = _narrowed(incident_id, channels)
        query = (
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox AS failed WHERE state = 'failed'"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS later WHERE later.state = 'sent'"
            " AND later.incident_id = failed.incident_id AND later.channel = failed.channel"
            " AND later.seq > failed.seq)" + narrower
        )
        with self._transaction(write=True) as db:
            rows = db.execute(query + " ORDER BY id", parameters).fetchall()
            db.executemany(
                "UPDATE outbox SET state = 'retry', next_attempt_at = ?, failed_at = NULL"
                " WHERE id = ? AND state = 'failed'",
                [(_when(now), row[0]) for row in rows],
            )
        return [
            self._outbox_item((*row[:7], "retry", *row[8:11], _when(now), *row[12:]))
            for row in rows
        ]

    def receipts(self, incident_id: str, channel: str) -> builtins.list[Receipt]:
        """Receipts of the incident's delivered updates on a channel, oldest first."""
        with self._transaction(write=False) as db:
            rows = db.execute(
                "SELECT remote_id, remote_url, thread_root FROM outbox"
                " WHERE incident_id = ? AND channel = ? AND state = 'sent' ORDER BY seq, id",
                (incident_id, channel),
            ).fetchall()
        return [
            Receipt(channel=channel, remote_id=row[0], url=row[1], thread_root=row[2])
            for row in rows
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
                    (incident_id, closure.model_dump_json(), _when(closure.closed_at)),
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
                (status.value, _when(at), incident_id, number),
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
                (key, holder, _when(at)),
            ).rowcount
        return bool(inserted)

    def close(self) -> None:
        """Close every connection the store holds, and refuse further use."""
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


def _narrowed(
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


def _outbox_change(transition: OutboxTransition) -> tuple[str, tuple[Any, ...]]:
    """The SET clause and its values that apply one transition to its outbox row."""
    if isinstance(transition, OutboxSent):
        receipt = transition.receipt
        return (
            "state = 'sent', sent_at = ?, remote_id = ?, remote_url = ?, thread_root = ?,"
            " attempts = attempts + ?, next_attempt_at = NULL, claim_token = NULL,"
            " lease_until = NULL",
            (
                _when(transition.at),
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
            (transition.error, transition.attempts, _when(transition.at)),
        )
    return (
        "state = 'retry', last_error = ?, attempts = attempts + ?, next_attempt_at = ?,"
        " maybe_sent = MAX(maybe_sent, ?), claim_token = NULL, lease_until = NULL",
        (
            transition.error,
            transition.attempts,
            _when(transition.next_attempt_at or transition.at),
            int(transition.maybe_sent),
        ),
    )


def _incident_json(incident: Incident) -> str:
    # The timeline and deliveries have tables of their own; the row holds the rest.
    return incident.model_dump_json(exclude={"updates", "deliveries", "action_items", "closure"})
