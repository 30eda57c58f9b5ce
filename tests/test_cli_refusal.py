"""The CLI's refusals: in the shell's words, every finding, and JSON for scripts."""

from __future__ import annotations

import io
import sys

import pytest

# The CLI runs in an empty folder of its own, never in the checkout (its store, its site).
from tests.test_cli import _in_empty_folder, assert_user_error, run, run_json  # noqa: F401

FLAWED = "Only a small number of users may see errors. We apologize for any inconvenience."


def test_a_refusal_lists_every_finding_and_names_the_cli_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = assert_user_error(run(capsys, "open", "API failing", "-c", "API", "-m", FLAWED, code=1))
    assert "minimizing" in err
    assert "rote-apology" in err
    assert "more)" not in err
    assert "allow=[" not in err
    assert "--allow minimizing" in err
    assert "--allow rote-apology" in err
    assert '--reason "' in err


def test_json_errors_are_a_json_object_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, "open", "API failing", "-c", "API", "-m", FLAWED, code=1)
    error = document["error"]
    assert error["type"] == "CheckError"
    assert {"minimizing", "rote-apology"} <= set(error["allow"])
    assert {f["code"] for f in error["findings"]} >= {"minimizing", "rote-apology"}
    assert all(f["channel"] for f in error["findings"])


def test_json_input_errors_are_a_json_object_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = run_json(
        capsys, "open", "API failing", "-c", "API", "--fraction", "2", "-m", "It fails.", code=1
    )
    assert document["error"]["type"] == "InputError"
    assert "fraction" in document["error"]["field"]


class _Terminal:
    """Standard input as a terminal with nothing typed: reading it would wait."""

    name = "<stdin>"

    def isatty(self) -> bool:
        return True

    def read(self) -> str:
        raise AssertionError("candor check waited on a terminal")


def test_check_with_no_file_on_a_terminal_says_how_to_give_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal())
    err = run(capsys, "check", code=2).err
    assert "FILE" in err
    assert "candor check -" in err


def test_check_with_no_file_reads_what_is_piped_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("We apologize for any inconvenience."))
    out = run(capsys, "check", code=1).out
    assert "rote-apology" in out
