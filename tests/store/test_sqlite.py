"""The embedded SQLite store: the store contract, then what only a SQLite file can show."""

from __future__ import annotations

import json
import multiprocessing
import queue
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from candor.errors import ConfigError, ConflictError, StoreError
from candor.model import DeliveryState
from candor.store import SQLiteStore, Store, open_store
from candor.store._sqlite_migrations import MIGRATIONS
from candor.store.sqlite import SCHEMA_VERSION
from candor.testing import StoreContract

T0 = StoreContract.start
LEASE = StoreContract.lease
make_update = StoreContract.make_update
make_incident = StoreContract.make_incident
next_version = StoreContract.next_version
outbox_for = StoreContract.outbox_for
open_incident = StoreContract.open_incident


class TestSQLiteStoreContract(StoreContract):
    """Everything a Store promises, kept by one SQLite file (two handles: two stores on it)."""

    def make_store(self, tmp_path: Path) -> Store:
        return SQLiteStore(tmp_path / "data" / "candor.db")

    def another_store(self, store: Store) -> Store:
        assert isinstance(store, SQLiteStore)
        return SQLiteStore(store.path)


# -- looking behind the store's back -------------------------------------------


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


class TestFile:
    def test_the_file_and_its_folder_are_created(self, path: Path) -> None:
        assert not path.parent.exists()
        SQLiteStore(path)
        assert path.is_file()

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


class TestTimelineTriggers:
    """The timeline refuses changes whoever makes them, not only through the store."""

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


class TestProcesses:
    """Two processes on one file: the version check and the claims hold between them."""

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
