"""The CLI never silently uses the wrong store.

The trap: run from a folder without ``candor.toml`` (cron runs in ``$HOME``),
``candor overdue`` printed "Nothing is overdue" and exited 0 while the real
store held a broken promise, and made a fresh ``candor.db`` beside it. Now a
command that reads or continues what is recorded refuses a store that does not
exist (exit 1, one line naming the store and ``--config``/``$CANDOR_CONFIG``),
creating nothing; every command names the configuration and the store it used
(standard error, and ``config``/``store`` in ``--json`` objects); and
``$CANDOR_CONFIG`` is how cron names the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import candor
from candor.cli import main
from candor.testing import reset
from tests.conftest import api_outage
from tests.test_cli import Run, assert_user_error, run, run_json

CONFIG = """\
[store]
url = "sqlite:///var/candor.db"

[[channels]]
name = "status"
adapter = "static_site"
path = "public"
"""


@pytest.fixture
def production(tmp_path: Path) -> Path:
    """The real setup, in /srv/candor as it were: a store holding a promise already broken."""
    folder = tmp_path / "srv"
    folder.mkdir()
    config = folder / "candor.toml"
    config.write_text(CONFIG, encoding="utf-8")
    opened_at = datetime.now(UTC) - timedelta(hours=2)
    with candor.Communicator.from_config(config, clock=lambda: opened_at) as comms:
        comms.open("Checkout failing", api_outage(), "Card payments fail.", next_update_in="30m")
    return config


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where cron runs: a folder with no candor.toml, and no $CANDOR_CONFIG."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    yield folder
    reset()


def refusal(result: Run, store: Path) -> str:
    line = assert_user_error(result)
    assert f"no store at {store}" in line
    assert "nothing was created" in line
    assert "--config" in line
    assert "$CANDOR_CONFIG" in line
    return line


class TestTheCronTrap:
    def test_overdue_from_home_refuses_instead_of_saying_nothing_is_overdue(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        line = refusal(run(capsys, "overdue", code=1), home / "candor.db")
        assert "embedded default" in line
        assert list(home.iterdir()) == []  # no fresh candor.db beside it

    def test_with_candor_config_cron_finds_the_broken_promise(
        self,
        capsys: pytest.CaptureFixture[str],
        production: Path,
        home: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("CANDOR_CONFIG", str(production))
        result = run(capsys, "overdue", code=3)
        assert "next update was due" in result.out
        store = production.parent / "var" / "candor.db"
        assert f"candor: config: {production} (from $CANDOR_CONFIG); store: {store}" in result.err
        assert list(home.iterdir()) == []

    def test_with_config_too(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        result = run(capsys, "--config", str(production), "overdue", code=3)
        assert f"candor: config: {production} (from --config)" in result.err

    def test_json_overdue_refuses_with_a_json_error(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        result = run(capsys, "--json", "overdue", code=1)
        error = json.loads(result.out)["error"]
        assert error["type"] == "StoreError"
        assert str(home / "candor.db") in error["message"]
        assert list(home.iterdir()) == []

    @pytest.mark.parametrize(
        "command",
        [
            ["list"],
            ["list", "--open"],
            ["overdue"],
            ["watch", "--ticks", "1", "--interval", "1s"],
            ["deliver"],
            ["report", "inc-0000000000"],
            ["show", "inc-0000000000"],
            ["update", "inc-0000000000", "-m", "More."],
            ["resolve", "inc-0000000000", "-m", "Fixed."],
            ["reopen", "inc-0000000000", "-m", "Again."],
            ["close", "inc-0000000000"],
            ["action", "inc-0000000000", "1", "done"],
            ["preview", "inc-0000000000", "-m", "More."],
            ["overrides"],
            ["subscribers", "list"],
            ["subscribers", "export"],
            ["subscribers", "remove", "ana@example.org"],
        ],
        ids=lambda command: "-".join(command[:2]),
    )
    def test_every_command_that_reads_the_store_refuses_a_missing_one(
        self, capsys: pytest.CaptureFixture[str], home: Path, command: list[str]
    ) -> None:
        refusal(run(capsys, *command, code=1), home / "candor.db")
        assert list(home.iterdir()) == []


class TestSayingWhichStore:
    def test_open_may_start_a_store_and_says_it_did(
        self, capsys: pytest.CaptureFixture[str], home: Path
    ) -> None:
        result = run(capsys, "open", "API down", "-c", "API", "-m", "Requests fail.")
        assert (
            f"candor: config: the embedded default (no --config, no $CANDOR_CONFIG, no "
            f"candor.toml in {home}); store: {home / 'candor.db'} (created now)"
        ) in result.err
        again = run(capsys, "list")
        assert f"store: {home / 'candor.db'}\n" in again.err
        assert "API down" in again.out  # standard output stays the listing alone

    def test_a_preview_with_no_store_stores_nothing_and_says_so(
        self, capsys: pytest.CaptureFixture[str], home: Path
    ) -> None:
        result = run(capsys, "preview", "--title", "DB slow", "-c", "Database", "-m", "Slow.")
        assert "store: none (nothing is stored by a preview)" in result.err
        assert list(home.iterdir()) == []

    def test_json_objects_carry_the_config_and_the_store(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        incident = run_json(capsys, "--config", str(production), "list")[0]
        shown = run_json(capsys, "--config", str(production), "show", incident["id"])
        assert shown["config"] == str(production)
        assert shown["config_from"] == "--config"
        assert shown["store"] == str(production.parent / "var" / "candor.db")
        assert shown["id"] == incident["id"]

    def test_json_lists_stay_lists_and_name_the_store_on_standard_error(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        result = run(capsys, "--json", "--config", str(production), "list")
        assert isinstance(json.loads(result.out), list)
        assert f"store: {production.parent / 'var' / 'candor.db'}" in result.err

    def test_an_unknown_incident_names_the_store_it_was_looked_for_in(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        line = assert_user_error(
            run(capsys, "--config", str(production), "show", "inc-0000000000", code=1)
        )
        assert f"in the store {production.parent / 'var' / 'candor.db'}" in line

    def test_watch_names_the_store_before_it_starts(
        self, capsys: pytest.CaptureFixture[str], production: Path, home: Path
    ) -> None:
        seen: list[str] = []

        def watching(*args: object, **kwargs: object) -> list[object]:
            seen.append(capsys.readouterr().err)
            return []

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(candor.Communicator, "watch", watching)
            main(["--config", str(production), "watch", "--ticks", "1"])
        assert "candor: config:" in seen[0]
