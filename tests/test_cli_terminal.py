"""The CLI never prints user text raw: control characters and escape sequences are shown as escapes.

candor refuses them in new text, but an older candor recorded them, and a service's
error message can hold anything; ``show``, ``list``, the delivery table and the error
line all go through one escaping printer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from candor import lifecycle
from candor.cli import main
from candor.policy import Policy
from candor.store import open_store
from tests.conftest import START, api_outage

RAW = ("\x1b", "\x07", "\x00", "\x9b")
TITLE = "API \x1b]0;owned\x07down\x00"
MESSAGE = "Errors\x1b[2J\x1b[31m everywhere.\nSecond line\x9b6n."


@pytest.fixture(autouse=True)
def _in_empty_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    yield
    structlog.reset_defaults()


def run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> tuple[str, str]:
    if code == 0:
        main(list(args))
    else:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        assert exited.value.code == code
    captured = capsys.readouterr()
    return captured.out, captured.err


def recorded_by_an_older_candor(tmp_path: Path) -> str:
    """An incident whose title, message, components and delivery error hold raw control codes."""
    incident = lifecycle.open_incident(
        Policy(), START, title="API down", scope=api_outage(), message="It fails."
    )
    scope = incident.scope.model_copy(update={"components": ("API\x1b[8m",)})
    first = incident.updates[0].model_copy(update={"message": MESSAGE, "scope": scope})
    old = incident.model_copy(update={"title": TITLE, "scope": scope, "updates": (first,)})
    store = open_store("sqlite:///candor.db", base_dir=tmp_path)
    try:
        store.save(old, expected_version=None, outbox=[])
    finally:
        store.close()
    return old.id


def assert_nothing_raw(text: str) -> None:
    for code in RAW:
        assert code not in text, repr(code)


class TestStoredText:
    def test_show_prints_escapes_not_control_codes(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        incident_id = recorded_by_an_older_candor(tmp_path)
        out, err = run(capsys, "show", incident_id)
        assert_nothing_raw(out + err)
        assert "API \\x1b]0;owned\\x07down\\x00" in out
        assert "Errors\\x1b[2J\\x1b[31m everywhere.\n  Second line\\x9b6n." in out
        assert "components: API\\x1b[8m" in out

    def test_list_prints_escapes_not_control_codes(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        incident_id = recorded_by_an_older_candor(tmp_path)
        out, err = run(capsys, "list")
        assert_nothing_raw(out + err)
        assert f"{incident_id}  investigating" in out
        assert "API \\x1b]0;owned\\x07down\\x00" in out

    def test_json_output_escapes_them_the_json_way(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        incident_id = recorded_by_an_older_candor(tmp_path)
        out, _ = run(capsys, "--json", "show", incident_id)
        assert_nothing_raw(out)
        assert json.loads(out)["title"] == TITLE


class TestNewText:
    def test_a_control_character_in_a_title_is_one_clear_error_line(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out, err = run(capsys, "open", "API \x1b[31mdown", "-c", "API", "-m", "It fails.", code=1)
        assert out == ""
        assert_nothing_raw(err)
        assert err.startswith("candor: error: title=")
        assert "U+001B (ESC) at character 5" in err
        assert len(err.splitlines()) == 1

    def test_the_error_line_escapes_what_it_quotes(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        _, err = run(capsys, "--config", str(tmp_path / "no\x1b[2Jsuch.toml"), "list", code=1)
        assert err.startswith("candor: error: ")
        assert_nothing_raw(err)
        assert "\\x1b[2J" in err

    def test_cli_options_meet_the_same_limits(self, capsys: pytest.CaptureFixture[str]) -> None:
        out, err = run(
            capsys, "open", "API down", "-c", "API", "--customers", "m" * 101, "-m", "It fails.",
            code=1,
        )  # fmt: skip
        assert out == ""
        assert err.startswith("candor: error: scope.customers=")
        assert "101 characters long; the limit is 100" in err
        assert len(err) < 500
