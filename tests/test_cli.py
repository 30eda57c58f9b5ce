"""The ``candor`` command, run in-process through ``candor.cli.main`` on the embedded default.

Every test runs in its own empty folder, so ``candor.db``, ``site/`` and any
``candor.toml`` land there. Exit statuses are the documented ones: 0 success,
1 a user error, 2 a usage error, 3 broken promises, 4 not yet delivered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import candor
from candor.cli import main
from candor.config import load_config
from candor.testing import reset
from tests.receiver import Received, Receiver, ok, serving


@dataclass(frozen=True)
class Run:
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> Run:
    """Run ``candor ARGS`` in-process and check its exit status."""
    if code == 0:
        main(list(args))
    else:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        assert exited.value.code == code
    captured = capsys.readouterr()
    return Run(captured.out, captured.err)


def run_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> Any:
    """Run ``candor --json ARGS``; standard output must be exactly one JSON document."""
    return json.loads(run(capsys, "--json", *args, code=code).out)


def open_incident(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    incident: dict[str, Any] = run_json(
        capsys,
        "open",
        "Checkout API failing in eu-west",
        "-c",
        "Checkout API",
        "-r",
        "eu-west",
        "--fraction",
        "0.012",
        "--count",
        "1843",
        "-m",
        "Card payments fail with HTTP 503.",
        *extra,
    )
    return incident


def empty_store(folder: Path | None = None) -> Path:
    """An empty store where the embedded default keeps it (``candor.db`` here, or in ``folder``)."""
    path = (folder or Path.cwd()) / "candor.db"
    with candor.Communicator(channels=[], store=path):
        pass
    return path


def stored(capsys: pytest.CaptureFixture[str]) -> list[Any]:
    """The incidents recorded here: none when there is no store at all."""
    if not Path("candor.db").exists():
        return []
    listed: list[Any] = run_json(capsys, "list")
    return listed


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def assert_user_error(result: Run) -> str:
    """One line on standard error starting ``candor: error:``, nothing else, no traceback."""
    assert "Traceback" not in result.out + result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("candor: error: ")
    return lines[0]


@pytest.fixture(autouse=True)
def _in_empty_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    yield
    # The CLI sets the level of candor's logger and prints its events on standard
    # error; later tests start from the logging a fresh process has.
    reset()


class TestVersion:
    def test_version_prints_the_package_version_and_exits_0(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        result = run(capsys, "--version")
        assert result.out.strip() == f"candor, version {candor.__version__}"


class TestInit:
    def test_init_writes_the_starter_candor_toml(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        result = run(capsys, "init")
        written = tmp_path / "candor.toml"
        assert written.is_file()
        assert "[[channels]]" in written.read_text(encoding="utf-8")
        assert "candor.toml" in result.out

    def test_init_refuses_to_overwrite_an_existing_file(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        mine = tmp_path / "candor.toml"
        mine.write_text("# my own settings\n", encoding="utf-8")
        line = assert_user_error(run(capsys, "init", code=1))
        assert "--force" in line
        assert mine.read_text(encoding="utf-8") == "# my own settings\n"

    def test_init_force_overwrites_an_existing_file(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        mine = tmp_path / "candor.toml"
        mine.write_text("# my own settings\n", encoding="utf-8")
        run(capsys, "init", "--force")
        assert "[[channels]]" in mine.read_text(encoding="utf-8")

    def test_init_json_names_the_file_written(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        assert run_json(capsys, "init", "--path", "other.toml") == {"path": "other.toml"}
        assert (tmp_path / "other.toml").is_file()

    def test_the_written_file_loads(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        run(capsys, "init")
        config = load_config(tmp_path / "candor.toml")
        assert [c.name for c in config.channels] == ["status", "console"]
        assert config.store_url == "sqlite:///candor.db"
        assert config.base_dir == tmp_path.resolve()

    def test_the_written_file_is_used_from_the_working_directory(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        run(capsys, "init")
        incident = open_incident(capsys)
        assert {d["channel"] for d in incident["deliveries"]} == {"status", "console"}
        assert (tmp_path / "candor.db").is_file()
        assert (tmp_path / "site" / "index.html").is_file()

    def test_paths_in_the_written_file_are_relative_to_the_file(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        (tmp_path / "ops").mkdir()
        run(capsys, "init", "--path", "ops/candor.toml")
        # No store yet: a command that reads one says so and creates none.
        refused = assert_user_error(run(capsys, "--config", "ops/candor.toml", "list", code=1))
        assert f"no store at {tmp_path / 'ops' / 'candor.db'}" in refused
        assert not (tmp_path / "ops" / "candor.db").exists()
        run(capsys, "--config", "ops/candor.toml", "open", "API down", "-c", "API", "-m", "Down.")
        assert len(run_json(capsys, "--config", "ops/candor.toml", "list")) == 1
        assert (tmp_path / "ops" / "candor.db").is_file()
        assert (tmp_path / "ops" / "site" / "index.html").is_file()
        assert not (tmp_path / "candor.db").exists()


class TestLifecycle:
    def test_open_prints_the_incident_and_where_it_went(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        result = run(
            capsys, "open", "API down", "-c", "API", "--fraction", "0.5", "-m", "Requests fail."
        )
        assert ": investigating · API down" in result.out
        assert "Next update promised by" in result.out
        assert re.search(r"status\W+1\W+sent\W+1", result.out)
        assert re.search(r"console\W+1\W+sent\W+1", result.out)
        assert "✓ status (update 1): sent (1 attempt" in result.err
        assert "Requests fail." in result.out  # the console channel printed the message

    def test_open_update_resolve_reopen_is_recorded_in_show_and_list(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        assert incident_id.startswith("inc-")

        updated = run(
            capsys,
            "update",
            incident_id,
            "--status",
            "identified",
            "--cause",
            "a load balancer change",
            "-m",
            "Failed payments were not charged.",
        )
        assert f"{incident_id}: identified" in updated.out

        shown = run(capsys, "show", incident_id).out
        assert "status identified" in shown
        assert "components: Checkout API" in shown
        assert "regions: eu-west" in shown
        assert "affected fraction: 0.012" in shown
        assert "affected count: 1843" in shown
        assert "#2 " in shown
        assert "Failed payments were not charged." in shown

        postmortem = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        resolved = run(
            capsys,
            "resolve",
            incident_id,
            "-m",
            "Payments succeed again.",
            "--cause",
            "a load balancer change",
            "--postmortem-by",
            postmortem,
        )
        assert f"{incident_id}: resolved" in resolved.out
        assert "Next update promised" not in resolved.out

        listed = run(capsys, "list").out.splitlines()
        assert len(listed) == 1
        assert listed[0].startswith(f"{incident_id}  resolved")
        assert "Checkout API failing in eu-west" in listed[0]
        assert run(capsys, "list", "--open").out.strip() == "No open incidents."
        assert "resolved " in run(capsys, "show", incident_id).out

        reopened = run(capsys, "reopen", incident_id, "-m", "Payments fail again.")
        assert f"{incident_id}: investigating" in reopened.out
        shown = run(capsys, "show", incident_id).out
        assert "status investigating" in shown
        assert [line.split()[-1] for line in shown.splitlines() if line.startswith("#")] == [
            "investigating",
            "identified",
            "resolved",
            "investigating",
        ]
        assert run(capsys, "list", "--open").out.startswith(f"{incident_id}  investigating")

    def test_update_keeps_the_scope_it_is_not_told_about(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        updated = run_json(capsys, "update", incident_id, "--count", "2000", "-m", "More.")
        assert updated["scope"]["components"] == ["Checkout API"]
        assert updated["scope"]["regions"] == ["eu-west"]
        assert updated["scope"]["affected_fraction"] == 0.012
        assert updated["scope"]["affected_count"] == 2000

    def test_reopening_an_open_incident_is_a_user_error(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        line = assert_user_error(run(capsys, "reopen", incident_id, "-m", "Again.", code=1))
        assert "reopen" in line


class TestJsonOutput:
    def test_each_command_prints_exactly_one_json_document(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        opened = run(capsys, "--json", "open", "API down", "-c", "API", "-m", "Requests fail.")
        incident = json.loads(opened.out)
        assert incident["status"] == "investigating"
        assert incident["title"] == "API down"
        assert incident["scope"]["components"] == ["API"]
        assert incident["version"] == 1
        assert {d["state"] for d in incident["deliveries"]} == {"sent"}
        # The console channel still speaks, on standard error.
        assert "Requests fail." in opened.err
        assert "── console" in opened.err

        incident_id = incident["id"]
        updated = run_json(
            capsys,
            "update",
            incident_id,
            "--status",
            "identified",
            "--cause",
            "a bad deploy",
            "-m",
            "Rolling back.",
        )
        assert updated["status"] == "identified"
        assert updated["cause"] == "a bad deploy"
        assert [u["status"] for u in updated["updates"]] == ["investigating", "identified"]

        postmortem = iso(datetime.now(UTC) + timedelta(days=2))
        resolved = run_json(
            capsys, "resolve", incident_id, "-m", "Rolled back.", "--postmortem-by", postmortem
        )
        assert resolved["status"] == "resolved"
        assert resolved["resolved_at"] is not None
        assert resolved["next_update_by"] is None
        assert datetime.fromisoformat(resolved["postmortem_by"]) > datetime.now(UTC)

        reopened = run_json(capsys, "reopen", incident_id, "-m", "Back.")
        assert reopened["status"] == "investigating"
        assert reopened["resolved_at"] is None
        assert reopened["version"] == 4

        shown = run_json(capsys, "show", incident_id)
        assert shown["id"] == incident_id
        assert len(shown["updates"]) == 4
        listed = run_json(capsys, "list")
        assert [i["id"] for i in listed] == [incident_id]

    def test_list_of_nothing_is_an_empty_array(self, capsys: pytest.CaptureFixture[str]) -> None:
        empty_store()
        assert run_json(capsys, "list") == []

    def test_errors_are_a_json_object_on_standard_output_and_a_line_on_stderr(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        empty_store()
        result = run(capsys, "--json", "show", "inc-0000000000", code=1)
        assert_user_error(Run("", result.err))
        error = json.loads(result.out)["error"]
        assert error["type"] == "IncidentNotFound"
        assert error["incident_id"] == "inc-0000000000"


class TestPreview:
    def test_preview_stores_nothing(self, capsys: pytest.CaptureFixture[str]) -> None:
        run(capsys, "preview", "--title", "DB slow", "-c", "Database", "-m", "Queries time out.")
        assert not Path("candor.db").exists()  # not even an empty store
        empty_store()
        run(capsys, "preview", "--title", "DB slow", "-c", "Database", "-m", "Queries time out.")
        assert run(capsys, "list").out.strip() == "No incidents."
        assert run_json(capsys, "list") == []

    def test_preview_prints_every_channels_message(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = run(
            capsys,
            "preview",
            "--title",
            "DB slow",
            "-c",
            "Database",
            "--fraction",
            "0.1",
            "-m",
            "Queries time out.",
        ).out
        assert "── status (long, " in out
        assert "── console (long, " in out
        assert out.count("Queries time out.") == 2
        assert out.count("10% of our customers") == 2

    def test_preview_json_is_one_message_per_channel(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        messages = run_json(
            capsys, "preview", "--title", "DB slow", "-c", "Database", "-m", "Queries time out."
        )
        assert [m["channel"] for m in messages] == ["status", "console"]
        assert {m["status"] for m in messages} == {"investigating"}

    def test_preview_of_an_update_leaves_the_incident_as_it_was(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        messages = run_json(
            capsys,
            "preview",
            incident_id,
            "--status",
            "resolved",
            "--cause",
            "a bad deploy",
            "-m",
            "Fixed.",
        )
        assert {m["status"] for m in messages} == {"resolved"}
        shown = run_json(capsys, "show", incident_id)
        assert shown["status"] == "investigating"
        assert shown["version"] == 1

    def test_preview_of_a_new_incident_needs_a_title(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        line = assert_user_error(run(capsys, "preview", "-c", "API", "-m", "Down.", code=1))
        assert "--title" in line


class TestOverdue:
    def test_nothing_overdue_exits_0(self, capsys: pytest.CaptureFixture[str]) -> None:
        open_incident(capsys)
        assert "Nothing is overdue" in run(capsys, "overdue").out
        assert run_json(capsys, "overdue") == []

    def test_a_broken_promise_exits_3(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = open_incident(capsys)["id"]
        later = iso(datetime.now(UTC) + timedelta(hours=2))
        out = run(capsys, "overdue", "--now", later, code=3).out
        assert out.startswith(
            f"{incident_id} (Checkout API failing in eu-west): next update was due "
        )
        assert "hour" in out
        assert "late" in out
        broken = run_json(capsys, "overdue", "--now", later, code=3)
        assert [(p["incident_id"], p["kind"]) for p in broken] == [(incident_id, "next_update")]

    def test_a_resolved_incident_kept_its_promises(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        postmortem = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        run(capsys, "resolve", incident_id, "-m", "Fixed.", "--postmortem-by", postmortem)
        later = iso(datetime.now(UTC) + timedelta(hours=2))
        assert run_json(capsys, "overdue", "--now", later) == []

    def test_an_unkept_write_up_is_overdue(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = open_incident(capsys)["id"]
        postmortem = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        run(capsys, "resolve", incident_id, "-m", "Fixed.", "--postmortem-by", postmortem)
        much_later = iso(datetime.now(UTC) + timedelta(days=5))
        broken = run_json(capsys, "overdue", "--now", much_later, code=3)
        assert [p["kind"] for p in broken] == ["postmortem"]


class TestDeliver:
    def test_nothing_owed_exits_0(self, capsys: pytest.CaptureFixture[str]) -> None:
        empty_store()
        assert run(capsys, "deliver").out.strip() == "Nothing is owed to any channel."
        assert run_json(capsys, "deliver") == []

    def test_a_channel_that_fails_exits_4_and_deliver_sends_it_later(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        config = tmp_path / "candor.toml"
        config.write_text(
            '[[channels]]\nname = "status"\nadapter = "static_site"\npath = "site"\n',
            encoding="utf-8",
        )
        (tmp_path / "site").write_text("a file where the site should go", encoding="utf-8")
        result = run(capsys, "--json", "open", "API down", "-c", "API", "-m", "Down.", code=4)
        incident = json.loads(result.out)
        assert [d["state"] for d in incident["deliveries"]] != ["sent"]
        assert "run `candor deliver`" in result.err
        assert "Traceback" not in result.err

        waiting = run(capsys, "deliver", code=4)
        assert "retrying" in waiting.out
        assert "run `candor deliver`" in waiting.err
        (tmp_path / "site").unlink()
        outcomes = run_json(capsys, "deliver", "--force")
        assert [(o["channel"], o["state"]) for o in outcomes] == [("status", "sent")]
        assert (tmp_path / "site" / "index.html").is_file()
        assert run_json(capsys, "deliver") == []

    def test_retry_failed_sends_again_what_a_channel_refused_for_good(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        refusing = [True]

        def answer(request: Received) -> tuple[int, dict[str, str], bytes]:
            if refusing[0]:
                return 401, {"Content-Type": "application/json"}, b'{"error":"bad token"}'
            return ok(request)

        with serving(Receiver(answer=answer)) as (receiver,):
            monkeypatch.setenv("CANDOR_TEST_HOOK", receiver.url)
            (tmp_path / "candor.toml").write_text(
                '[[channels]]\nname = "ops"\nadapter = "webhook"\nurl = "${CANDOR_TEST_HOOK}"\n'
                'secret = "0123456789abcdef0123"\n',
                encoding="utf-8",
            )
            opened = run(capsys, "open", "API down", "-c", "API", "-m", "Down.", code=4)
            assert "refused for good by: ops" in opened.err
            assert run_json(capsys, "deliver") == []  # failed for good is not retried unasked

            usage = run(capsys, "deliver", "--channel", "ops", code=1)
            assert "--retry-failed" in usage.err
            assert "Traceback" not in usage.err
            refusing[0] = False
            outcomes = run_json(capsys, "deliver", "--retry-failed", "--channel", "ops")

        assert [(o["channel"], o["seq"], o["state"]) for o in outcomes] == [("ops", 1, "sent")]
        assert len(receiver.delivered) == 1


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


class TestUserErrors:
    """A mistake is one line on standard error, exit status 1, never a traceback."""

    @pytest.mark.parametrize(
        ("options", "expected"),
        [
            pytest.param(["--fraction", "50%"], "--fraction", id="fraction-percent"),
            pytest.param(["--fraction", "nan"], "affected_fraction", id="fraction-nan"),
            pytest.param(["--fraction", "0"], "affected_fraction", id="fraction-zero"),
            pytest.param(["--fraction", "1.5"], "affected_fraction", id="fraction-above-one"),
            pytest.param(["--fraction", "inf"], "affected_fraction", id="fraction-inf"),
            pytest.param(["--count", "-3"], "affected_count", id="count-negative"),
            pytest.param(["--count", "1.5"], "--count", id="count-fractional"),
            pytest.param(["--status", "exploding"], "unknown status", id="status-unknown"),
            pytest.param(["--status", "resolved"], "resolved", id="status-resolved"),
            pytest.param(["--impact", "huge"], "unknown impact", id="impact-unknown"),
            pytest.param(["--started-at", "2026-01-01T10:00"], "timezone", id="naive-start"),
            pytest.param(["--started-at", "yesterday"], "ISO 8601", id="start-not-a-date"),
            pytest.param(["--next-update-in", "soon"], "duration", id="next-update-soon"),
            pytest.param(["--next-update-in", "8d"], "7 days", id="next-update-too-far"),
        ],
    )
    def test_bad_open_option(
        self, capsys: pytest.CaptureFixture[str], options: list[str], expected: str
    ) -> None:
        result = run(capsys, "open", "API down", "-c", "API", "-m", "Down.", *options, code=1)
        assert expected in assert_user_error(result)
        assert stored(capsys) == []

    def test_a_start_in_the_future_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        future = iso(datetime.now(UTC) + timedelta(days=1))
        result = run(
            capsys, "open", "API down", "-c", "API", "-m", "Down.", "--started-at", future, code=1
        )
        assert "future" in assert_user_error(result)

    @pytest.mark.parametrize(
        "command",
        [
            ["show", "inc-0000000000"],
            ["update", "inc-0000000000", "-m", "More."],
            ["resolve", "inc-0000000000", "-m", "Fixed."],
            ["reopen", "inc-0000000000", "-m", "Again."],
            ["preview", "inc-0000000000", "-m", "More."],
        ],
        ids=lambda command: command[0],
    )
    def test_unknown_incident_id(
        self, capsys: pytest.CaptureFixture[str], command: list[str]
    ) -> None:
        store = empty_store()
        line = assert_user_error(run(capsys, *command, code=1))
        assert "inc-0000000000" in line
        assert f"in the store {store}" in line  # the incident may be in another store

    def test_updating_a_resolved_incident_names_both_states(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        run(capsys, "resolve", incident_id, "-m", "Fixed.")
        result = run(
            capsys, "update", incident_id, "--status", "monitoring", "-m", "Watching.", code=1
        )
        line = assert_user_error(result)
        assert "resolved" in line
        assert "monitoring" in line
        assert "reopen" in line
        assert run_json(capsys, "show", incident_id)["status"] == "resolved"

    def test_a_write_up_promised_in_the_past_is_refused(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        result = run(
            capsys,
            "resolve",
            incident_id,
            "-m",
            "Fixed.",
            "--postmortem-by",
            "2020-01-01",
            code=1,
        )
        assert "future" in assert_user_error(result)
        assert run_json(capsys, "show", incident_id)["status"] == "investigating"

    @pytest.mark.parametrize(
        ("now", "expected"),
        [("garbage", "ISO 8601"), ("2026-01-01T10:00", "timezone")],
    )
    def test_bad_overdue_now(
        self, capsys: pytest.CaptureFixture[str], now: str, expected: str
    ) -> None:
        assert expected in assert_user_error(run(capsys, "overdue", "--now", now, code=1))

    def test_an_unknown_key_in_the_config(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        path = _config(tmp_path, '[store]\nurl = "sqlite:///candor.db"\nurll = "typo"\n')
        line = assert_user_error(run(capsys, "--config", path, "list", code=1))
        assert path in line
        assert "store.urll" in line

    def test_an_unknown_adapter_in_the_config(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        path = _config(tmp_path, '[[channels]]\nname = "pager"\nadapter = "carrier_pigeon"\n')
        line = assert_user_error(run(capsys, "--config", path, "list", code=1))
        assert "'pager'" in line
        assert "carrier_pigeon" in line

    def test_a_config_that_does_not_exist(self, capsys: pytest.CaptureFixture[str]) -> None:
        line = assert_user_error(run(capsys, "--config", "nowhere.toml", "list", code=1))
        assert "nowhere.toml" in line

    def test_a_config_that_is_not_toml(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        path = _config(tmp_path, "this is [not toml\n")
        assert "TOML" in assert_user_error(run(capsys, "--config", path, "list", code=1))

    def test_the_config_can_come_from_the_environment(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CANDOR_CONFIG", _config(tmp_path, "[bogus]\n"))
        assert "bogus" in assert_user_error(run(capsys, "list", code=1))

    def test_a_naive_datetime_is_quoted_as_typed(self, capsys: pytest.CaptureFixture[str]) -> None:
        result = run(
            capsys,
            "open",
            "API down",
            "-c",
            "API",
            "-m",
            "Down.",
            "--started-at",
            "2026-01-01T10:00",
            code=1,
        )
        line = assert_user_error(result)
        assert "'2026-01-01T10:00'" in line
        assert "datetime.datetime" not in line


class TestUsageErrors:
    @pytest.mark.parametrize(
        "command",
        [
            ["open", "API down", "-c", "API"],
            ["open", "API down", "-m", "Down."],
            ["update", "inc-0000000000"],
            ["resolve"],
            ["no-such-command"],
        ],
        ids=[
            "open-no-message",
            "open-no-component",
            "update-no-message",
            "resolve-no-id",
            "unknown-command",
        ],
    )
    def test_a_missing_or_unknown_piece_exits_2(
        self, capsys: pytest.CaptureFixture[str], command: list[str]
    ) -> None:
        result = run(capsys, *command, code=2)
        assert "Usage: candor" in result.err
        assert "Traceback" not in result.err
        assert result.out == ""


class TestCauseInMessages:
    def test_a_resolution_does_not_forget_the_cause_already_named(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        run(
            capsys,
            "update",
            incident_id,
            "--status",
            "identified",
            "--cause",
            "a load balancer change",
            "-m",
            "Rolling back.",
        )
        out = run(capsys, "resolve", incident_id, "-m", "Payments succeed again.").out
        assert "not yet established the cause" not in out
        assert "A load balancer change" in out  # capitalised after its label


class TestDemo:
    def test_demo_builds_the_site_and_the_store(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        folder = tmp_path / "demo"
        out = run(capsys, "demo", "--dir", str(folder)).out
        for made in ("site/index.html", "site/feed.atom", "site/api/v2/summary.json", "candor.db"):
            assert (folder / made).is_file(), made
        assert "Status page:" in out
        index = (folder / "site" / "index.html").read_text(encoding="utf-8")
        assert "Checkout API failing in eu-west" in index

    def test_demo_json_is_one_document_of_paths(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        folder = tmp_path / "demo"
        made = run_json(capsys, "demo", "--dir", str(folder))
        assert Path(made["folder"]) == folder
        for key in ("index", "feed", "summary", "store", "incident"):
            assert Path(made[key]).is_file(), key
        summary = json.loads(Path(made["summary"]).read_text(encoding="utf-8"))
        assert isinstance(summary, dict)


def _candor_executable() -> str:
    beside_python = Path(sys.executable).parent / "candor"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("candor")
    if found is None:
        pytest.skip("the candor command is not installed")
    return found


class TestInstalledCommand:
    def test_the_installed_candor_opens_an_incident(self, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CANDOR_CONFIG"}
        finished = subprocess.run(
            [
                _candor_executable(),
                "--json",
                "open",
                "API down",
                "-c",
                "API",
                "--fraction",
                "0.25",
                "-m",
                "Requests fail.",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert finished.returncode == 0, finished.stderr
        incident = json.loads(finished.stdout)
        assert incident["title"] == "API down"
        assert incident["scope"]["affected_fraction"] == 0.25
        assert "Requests fail." in finished.stderr
        assert (tmp_path / "candor.db").is_file()
        assert (tmp_path / "site" / "index.html").is_file()
