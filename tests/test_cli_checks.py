"""``candor check``, findings in ``candor preview``, and overriding a check from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import (  # noqa: F401  (the autouse fixture puts each test in a folder)
    _in_empty_folder,
    assert_user_error,
    open_incident,
    run,
    run_json,
)


class TestCheckCommand:
    def test_a_file_with_errors_lists_them_with_line_column_and_exits_1(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        draft = tmp_path / "draft.txt"
        draft.write_text("All customers see errors.\nWe apologize for any inconvenience.\n")
        result = run(capsys, "check", str(draft), "--status", "investigating", code=1)
        assert f"{draft}:2:14: error rote-apology:" in result.out
        assert "suggestion:" in result.out
        assert "no-next-update" in result.out
        assert "error(s)" in result.out

    def test_standard_input_that_is_candid_passes(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import io

        monkeypatch.setattr(
            "sys.stdin",
            io.StringIO("The API is down in eu-west for all customers. Next update by 14:30 UTC."),
        )
        result = run(capsys, "check", "-", "--status", "investigating")
        assert "0 error(s), 0 warning(s)" in result.out

    def test_json_lists_findings_with_positions(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        draft = tmp_path / "draft.txt"
        draft.write_text("Only a few users. Next update in 30 minutes.")
        findings = run_json(capsys, "check", str(draft), code=1)
        assert {f["code"] for f in findings} == {"minimizing"}
        assert findings[0]["line"] == 1
        assert findings[0]["column"] == 1

    def test_facts_are_checked_against_an_incident(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        incident = open_incident(capsys)
        draft = tmp_path / "draft.txt"
        draft.write_text("Checkout API fails for 5% of our customers. Next update in 30 minutes.")
        result = run(capsys, "check", str(draft), "--incident", incident["id"], code=1)
        assert "contradicts-incident" in result.out
        assert "1.2%" in result.out

    def test_internal_drafts_may_name_hosts(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        draft = tmp_path / "draft.txt"
        draft.write_text("All customers: db-7.internal is down. Next update in 30 minutes.")
        run(capsys, "check", str(draft), "--status", "identified", code=1)
        run(capsys, "check", str(draft), "--status", "identified", "--internal")


class TestPreviewFindings:
    def test_preview_shows_length_against_the_limit_and_findings(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = run(
            capsys, "preview", "--title", "API down", "-c", "API", "-m", "Only a few fail."
        ).out
        assert "(long, " in out
        assert "characters)" in out
        assert "error minimizing" in out

    def test_preview_json_carries_length_limit_and_findings(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        messages = run_json(capsys, "preview", "--title", "API down", "-c", "API", "-m", "Fails.")
        assert all(m["length"] == len(m["text"]) for m in messages)
        assert all(m["findings"] == [] for m in messages)


class TestOverrideFromTheShell:
    def test_a_blocked_update_is_one_error_line_and_nothing_is_stored(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident = open_incident(capsys)
        result = run(capsys, "update", incident["id"], "-m", "Only a few are hit.", code=1)
        message = assert_user_error(result)
        assert "minimizing" in message
        assert "allow" in message
        shown = run_json(capsys, "show", incident["id"])
        assert len(shown["updates"]) == 1

    def test_allow_with_a_reason_posts_it_and_records_why(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident = open_incident(capsys)
        updated = run_json(
            capsys,
            "update",
            incident["id"],
            "-m",
            "Only card payments fail; bank transfers work.",
            "--allow",
            "minimizing",
            "--reason",
            "'only' narrows which payments fail, not who",
        )
        override = updated["updates"][-1]["override"]
        assert override["codes"] == ["minimizing"]
        assert override["reason"] == "'only' narrows which payments fail, not who"

    def test_allow_without_a_reason_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident = open_incident(capsys)
        result = run(capsys, "update", incident["id"], "-m", "Only.", "--allow", "minimizing",
                     code=1)  # fmt: skip
        assert "reason" in assert_user_error(result)

    def test_workaround_and_resolution_details_reach_the_message(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident = open_incident(capsys, "--workaround", "pay by bank transfer")
        resolved = run_json(
            capsys,
            "resolve",
            incident["id"],
            "-m",
            "Payments succeed again.",
            "--cause",
            "a bad load balancer change",
            "--changed",
            "we rolled the change back",
            "--prevention",
            "changes are now checked against the servers in service",
        )
        last = resolved["updates"][-1]
        assert last["changed"] == "we rolled the change back"
        assert last["prevention"].startswith("changes are now checked")
        page = (Path("site") / "incidents" / f"{incident['id']}.html").read_text()
        assert "What we changed: we rolled the change back." in page
        assert "pay by bank transfer" in page
        assert json.loads(json.dumps(last))["cause"] == "a bad load balancer change"
