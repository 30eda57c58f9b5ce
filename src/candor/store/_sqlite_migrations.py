"""The SQLite store's schema: its migrations, and bringing a file up to date when it is opened.

Each migration takes the schema from version ``i`` to ``i + 1`` (its index plus
one); ``PRAGMA user_version`` records how many have run. Append, never edit:
files in the field were made by the old entries. Statements are listed one by
one because ``executescript`` would commit the migration transaction half way.

The migrations run in one ``BEGIN IMMEDIATE`` transaction, so two processes
opening an old file at once take turns: the second finds it up to date. A file
whose version is higher than :data:`SCHEMA_VERSION` was written by a newer
candor and is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from candor.errors import StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "check_schema", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
    # 4: people told one by one. The subscribers, and the recipient ledger: one row per
    # recipient of an outbox row (its channel tells people separately, as email does),
    # decided when the update was committed.
    (
        """
        CREATE TABLE subscribers (
            address TEXT PRIMARY KEY COLLATE NOCASE,
            components TEXT NOT NULL,
            regions TEXT NOT NULL,
            subscribed_at TEXT NOT NULL,
            source TEXT NOT NULL,
            confirmed_at TEXT
        )
        """,
        """
        CREATE TABLE recipients (
            outbox_id INTEGER NOT NULL REFERENCES outbox (id),
            position INTEGER NOT NULL,
            address TEXT NOT NULL COLLATE NOCASE,
            subscriber INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN
                ('pending', 'in_flight', 'sent', 'retry', 'failed', 'withdrawn')),
            token TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at TEXT,
            PRIMARY KEY (outbox_id, address)
        )
        """,
        "CREATE INDEX recipients_owed ON recipients (outbox_id, position)"
        " WHERE state IN ('pending', 'in_flight', 'retry')",
        "CREATE INDEX recipients_address ON recipients (address)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code writes; a file with a higher one is refused."""


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Put the file in WAL mode and bring its schema up to :data:`SCHEMA_VERSION`.

    ``connection`` is in autocommit mode (``isolation_level=None``); ``path``
    names the file in errors. Raises StoreError when the file is not a SQLite
    database or was made by a newer candor; any other sqlite3.Error is left to
    the caller, which names the store.
    """
    try:
        connection.execute("PRAGMA journal_mode = WAL").fetchone()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StoreError(f"{path} is not a SQLite database: {exc}") from None
        raise
    found: int = connection.execute("PRAGMA user_version").fetchone()[0]
    if found == SCHEMA_VERSION:
        return
    _check_version(found, path)
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the lock: another process may have migrated meanwhile.
        found = connection.execute("PRAGMA user_version").fetchone()[0]
        _check_version(found, path)
        for migration in MIGRATIONS[found:]:
            for statement in migration:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        connection.rollback()
        raise
    connection.execute("COMMIT")


def check_schema(connection: sqlite3.Connection, path: Path) -> None:
    """For a file opened read-only: its schema must be this candor's, as nothing is migrated.

    Raises StoreError when it is not a SQLite database, is older (open it writable
    once to migrate it) or newer than :data:`SCHEMA_VERSION`.
    """
    try:
        found: int = connection.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StoreError(f"{path} is not a SQLite database: {exc}") from None
        raise
    _check_version(found, path)
    if found < SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {found} and is read-only: this candor needs version "
            f"{SCHEMA_VERSION}; open it once where it can be written, to migrate it"
        )


def _check_version(found: int, path: Path) -> None:
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {found}, newer than the version "
            f"{SCHEMA_VERSION} this candor knows: upgrade candor to use it"
        )
