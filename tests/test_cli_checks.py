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
        assert f"{draft}:2:4: error rote-apology:" in result.out
        assert "why: an apology for 'any inconvenience' names no harm" in result.out
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
        draft.write_text("A few users cannot log in. Next update in 30 minutes.")
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
            capsys,
            "preview",
            "--title",
            "API down",
            "-c",
            "API",
            "-m",
            "Only a few customers can pay.",
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
        result = run(
            capsys, "update", incident["id"], "-m", "A small number of customers are hit.", code=1
        )
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
            "A small number of merchants cannot take card payments.",
            "--allow",
            "minimizing",
            "--reason",
            "the count is not known yet; the next update gives it",
        )
        override = updated["updates"][-1]["override"]
        assert override["codes"] == ["minimizing"]
        assert override["reason"] == "the count is not known yet; the next update gives it"

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
        assert "What we changed: We rolled the change back." in page
        assert "Until it is fixed: Pay by bank transfer" in page  # capitalised after the label
        assert json.loads(json.dumps(last))["cause"] == "a bad load balancer change"


class TestOverridesCommand:
    """``candor overrides`` lists what was let through on purpose, and counts it per rule."""

    def allow(self, capsys: pytest.CaptureFixture[str], incident_id: str, message: str,
              code: str, reason: str) -> None:  # fmt: skip
        run_json(capsys, "update", incident_id, "-m", message, "--allow", code, "--reason", reason)

    def test_with_no_overrides_it_says_so(self, capsys: pytest.CaptureFixture[str]) -> None:
        open_incident(capsys)
        assert "No overrides recorded" in run(capsys, "overrides").out
        found = run_json(capsys, "overrides")
        assert found.pop("config_from") == "the embedded default"
        assert found.pop("store") == str(Path("candor.db").resolve())
        assert found == {"by_rule": [], "overrides": [], "config": None}

    def test_each_override_shows_rule_reason_and_who_and_rules_are_counted(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CANDOR_ACTOR", "alice")
        first = open_incident(capsys)
        second = open_incident(capsys)
        self.allow(capsys, first["id"], "A small number of merchants cannot pay.",
                   "minimizing", "the count comes in the next update")  # fmt: skip
        self.allow(capsys, second["id"], "A handful of merchants cannot pay.",
                   "minimizing", "we are still counting")  # fmt: skip
        self.allow(capsys, second["id"], "We apologize for any inconvenience.",
                   "rote-apology", "legal asked for this wording")  # fmt: skip

        data = run_json(capsys, "overrides")
        assert data["by_rule"] == [
            {"code": "minimizing", "count": 2},
            {"code": "rote-apology", "count": 1},
        ]
        assert len(data["overrides"]) == 3
        entry = next(o for o in data["overrides"] if o["codes"] == ["rote-apology"])
        assert entry["incident_id"] == second["id"]
        assert entry["reason"] == "legal asked for this wording"
        assert entry["by"] == "alice"
        assert entry["seq"] == 3
        assert any("any inconvenience" in excerpt for excerpt in entry["findings"])

        out = run(capsys, "overrides").out
        assert "minimizing" in out.splitlines()[1]
        assert "2" in out.splitlines()[1]
        assert "reason: we are still counting" in out
        assert "by alice" in out

    def test_one_incident_and_the_local_json_flag(self, capsys: pytest.CaptureFixture[str]) -> None:
        first = open_incident(capsys)
        second = open_incident(capsys)
        self.allow(capsys, first["id"], "A small number of merchants cannot pay.",
                   "minimizing", "the count comes next")  # fmt: skip
        self.allow(capsys, second["id"], "We apologize for any inconvenience.",
                   "rote-apology", "wording agreed with legal")  # fmt: skip
        data = json.loads(run(capsys, "overrides", "--incident", second["id"], "--json").out)
        assert [o["incident_id"] for o in data["overrides"]] == [second["id"]]
        assert data["by_rule"] == [{"code": "rote-apology", "count": 1}]

    def test_an_unknown_incident_is_a_clear_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        open_incident(capsys)  # a store, without that incident
        result = run(capsys, "overrides", "--incident", "inc-nope", code=1)
        assert "inc-nope" in assert_user_error(result)
