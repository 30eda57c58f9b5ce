"""A store that cannot be written can still be read: list, show, overdue, report.

Tests run as root in CI containers, where ``chmod 444`` does not stop a write.
So each test also checks that the file's bytes did not change: candor must
open the file read-only itself (by its permission bits, or ``mode=ro``), not
rely on the kernel refusing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from candor.cli import main
from candor.errors import StoreError
from candor.store import open_store
from candor.store.sqlite import SQLiteStore
from candor.testing import StoreContract, reset


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    # The CLI configures structlog to print to the stderr of the moment (this test's
    # capture); later tests must not log into that closed stream.
    yield
    reset()


def digest(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with the hash of its bytes, but SQLite's WAL index and log.

    A reader of a WAL-mode file creates those two beside it where the folder
    allows (its shared-memory index), without changing the file itself.
    """
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> tuple[str, str]:
    if code == 0:
        main(list(args))
    else:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        assert exited.value.code == code
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.fixture
def folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Path]:
    """A folder holding a candor.toml (console channel) and a store with one incident."""
    home = tmp_path / "ops"
    home.mkdir()
    (home / "candor.toml").write_text(
        '[[channels]]\nname = "console"\nadapter = "console"\n', encoding="utf-8"
    )
    monkeypatch.chdir(home)
    run(capsys, "open", "API down", "-c", "API", "-m", "Requests to the API fail.")
    yield home
    home.chmod(0o755)
    for path in home.iterdir():
        path.chmod(0o644)


def incident_id(capsys: pytest.CaptureFixture[str]) -> str:
    out, _ = run(capsys, "--json", "list")
    (incident,) = json.loads(out)
    return str(incident["id"])


def make_read_only(folder: Path, *, directory: bool) -> None:
    store = SQLiteStore(folder / "candor.db")
    store.close()  # the last connection to close checkpoints the WAL into the file
    for path in folder.iterdir():
        path.chmod(0o444)
    if directory:
        folder.chmod(0o555)


class TestReadOnlyFile:
    @pytest.mark.parametrize("directory", [False, True], ids=["file", "file-and-folder"])
    def test_reading_commands_work_and_change_nothing(
        self, folder: Path, capsys: pytest.CaptureFixture[str], directory: bool
    ) -> None:
        incident = incident_id(capsys)
        make_read_only(folder, directory=directory)
        before = digest(folder)

        assert incident in run(capsys, "list")[0]
        assert "API down" in run(capsys, "show", incident)[0]
        out, _ = run(capsys, "--json", "overdue", "--now", "2000-01-01T00:00:00+00:00")
        assert json.loads(out) == []
        assert json.loads(run(capsys, "--json", "report", incident)[0])["incident_id"] == incident

        assert digest(folder) == before
        if directory:
            assert {p.name for p in folder.iterdir()} == set(before)

    def test_a_write_is_a_clear_error_naming_the_file(
        self, folder: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident = incident_id(capsys)
        make_read_only(folder, directory=False)
        before = digest(folder)

        _, err = run(
            capsys, "update", incident, "--status", "identified", "-m", "Found it.", code=1
        )
        assert "Traceback" not in err
        assert str(folder / "candor.db") in err
        assert "read-only" in err
        assert digest(folder) == before


def as_the_kernel_sees_it(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``candor ARGS`` in a child process that the permission bits bind, root or not.

    Root ignores them through CAP_DAC_OVERRIDE: the child runs without it (and
    without CAP_DAC_READ_SEARCH), so a write to a ``444`` file fails there as it
    does for any other user.
    """
    command = [sys.executable, "-c", "from candor.cli import main; main()", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, and setpriv is not there to drop CAP_DAC_OVERRIDE")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.run(
        command, cwd=folder, capture_output=True, text=True, env=environment, check=False
    )


class TestWithoutPowerOverPermissions:
    @pytest.mark.parametrize("directory", [False, True], ids=["file", "file-and-folder"])
    def test_reading_commands_work_where_the_kernel_refuses_writes(
        self, folder: Path, capsys: pytest.CaptureFixture[str], directory: bool
    ) -> None:
        incident = incident_id(capsys)
        make_read_only(folder, directory=directory)
        for args in (
            ["list"],
            ["show", incident],
            ["overdue", "--now", "2000-01-01T00:00:00+00:00"],
            ["report", incident],
        ):
            done = as_the_kernel_sees_it(folder, *args)
            assert done.returncode == 0, (args, done.stderr)
            assert "Traceback" not in done.stderr
        refused = as_the_kernel_sees_it(folder, "resolve", incident, "-m", "Fixed.")
        assert refused.returncode == 1
        assert "read-only" in refused.stderr
        assert "Traceback" not in refused.stderr


class TestModeRo:
    def test_a_store_url_with_mode_ro_reads_and_refuses_writes(
        self, folder: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident = incident_id(capsys)
        SQLiteStore(folder / "candor.db").close()
        (folder / "candor.toml").write_text(
            '[store]\nurl = "sqlite:///candor.db?mode=ro"\n'
            '[[channels]]\nname = "console"\nadapter = "console"\n',
            encoding="utf-8",
        )
        before = digest(folder)

        assert incident in run(capsys, "list")[0]
        assert "API down" in run(capsys, "show", incident)[0]
        _, err = run(capsys, "resolve", incident, "-m", "Fixed.", code=1)
        assert "read-only" in err
        assert "Traceback" not in err
        assert digest(folder) == before

    def test_the_store_itself_refuses_every_write(self, tmp_path: Path) -> None:
        path = tmp_path / "candor.db"
        writable = SQLiteStore(path)
        incident = StoreContract.open_incident(writable, "inc-ro")
        writable.close()

        store = open_store("sqlite:///candor.db?mode=ro", base_dir=tmp_path)
        assert isinstance(store, SQLiteStore)
        assert store.read_only
        assert store.get(incident.id).title == incident.title
        with pytest.raises(StoreError, match="read-only") as raised:
            store.save(incident, expected_version=None, outbox=[])
        assert str(path) in str(raised.value)
        with pytest.raises(StoreError, match="read-only"):
            store.claim(token="t", now=StoreContract.start, lease=StoreContract.lease)

    def test_a_missing_file_opened_read_only_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(StoreError, match="does not exist"):
            SQLiteStore(tmp_path / "nothing.db", read_only=True)

    def test_an_unknown_query_is_a_config_error(self, tmp_path: Path) -> None:
        from candor.errors import ConfigError

        with pytest.raises(ConfigError, match="mode"):
            open_store("sqlite:///candor.db?mode=rw", base_dir=tmp_path)
        with pytest.raises(ConfigError, match="cache"):
            open_store("sqlite:///candor.db?cache=shared", base_dir=tmp_path)


def test_permission_bits_are_what_decides_not_the_user(tmp_path: Path) -> None:
    path = tmp_path / "candor.db"
    SQLiteStore(path).close()
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        store = SQLiteStore(path)
        assert store.read_only, f"uid {os.getuid()}: a 444 file must be opened read-only"
        store.close()
    finally:
        path.chmod(0o644)
