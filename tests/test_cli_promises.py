"""The promise commands: overdue with due-soon and per-channel lines, watch, postmortem,
action, close, report, and resolve --refuse-if-untold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.test_cli import _in_empty_folder, assert_user_error, iso, open_incident, run, run_json

__all__ = ["_in_empty_folder"]  # the autouse fixture: every test runs in an empty folder

HOLDING = """\
[policy]
on_due = "holding_update"

[[channels]]
name = "status"
adapter = "static_site"
path = "site"
"""


def resolved_with_write_up_promise(capsys: pytest.CaptureFixture[str]) -> str:
    incident_id: str = open_incident(capsys)["id"]
    postmortem = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    run(capsys, "resolve", incident_id, "-m", "Payments succeed.", "--cause",
        "an expired certificate", "--postmortem-by", postmortem)  # fmt: skip
    return incident_id


class TestOverdue:
    def test_a_promise_about_to_break_exits_5(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = open_incident(capsys)["id"]
        soon = iso(datetime.now(UTC) + timedelta(minutes=27))
        out = run(capsys, "overdue", "--now", soon, code=5).out
        assert out.startswith(
            f"{incident_id} (Checkout API failing in eu-west): next update is due soon, by "
        )
        (found,) = run_json(capsys, "overdue", "--now", soon, code=5)
        assert (found["state"], found["channel"]) == ("due_soon", None)


class TestWatch:
    def test_watch_posts_a_holding_update_when_the_policy_says_so(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        Path("candor.toml").write_text(HOLDING)
        incident_id = open_incident(capsys, "--next-update-in", "3m")["id"]
        out = run(capsys, "watch", "--ticks", "1").out
        assert f"{incident_id}: posted a holding update" in out
        shown = run_json(capsys, "show", incident_id)
        assert [u["kind"] for u in shown["updates"]] == ["open", "holding"]
        assert run(capsys, "watch", "--ticks", "1").out.startswith("Stopped watching; 0")

    def test_watch_warns_by_default(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = open_incident(capsys, "--next-update-in", "3m")["id"]
        (action,) = run_json(capsys, "watch", "--ticks", "1")
        assert action["action"] == "warned"
        assert action["reminder"]["incident_id"] == incident_id


class TestWriteUpAndClose:
    def test_close_is_refused_until_the_write_up_is_published(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = resolved_with_write_up_promise(capsys)
        line = assert_user_error(run(capsys, "close", incident_id, code=1))
        assert "cannot close while a promise is open" in line
        run(capsys, "postmortem", incident_id, "--summary", "Card payments failed for 1.2% of "
            "our customers in eu-west for 20 minutes.", "--what-happened", "A certificate "
            "expired at 14:00 UTC.", "--what-we-are-doing", "Certificates renew 30 days early.",
            "--action", "Alert 30 days before expiry")  # fmt: skip
        page = Path("site/incidents").glob("*.html")
        html = next(page).read_text()
        assert "What we are doing about it" in html
        assert "Alert 30 days before expiry" in html
        assert run_json(capsys, "action", incident_id, "1", "done")["status"] == "done"
        html = next(Path("site/incidents").glob("*.html")).read_text()
        assert "Done" in html
        assert run(capsys, "close", incident_id).out.strip() == f"{incident_id}: closed."

    def test_close_with_a_reason_is_recorded(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = resolved_with_write_up_promise(capsys)
        closed = run_json(capsys, "close", incident_id, "--reason", "merged into inc-1")
        assert closed["closure"]["reason"] == "merged into inc-1"


class TestReport:
    def test_report_as_text_json_and_chart(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = open_incident(capsys)["id"]
        text = run(capsys, "report", incident_id, "--chart", "chart.svg").out
        assert "promises: 1 made, 0 kept, 0 broken, 1 open" in text
        assert Path("chart.svg").read_text().startswith("<svg")
        card = run_json(capsys, "report", incident_id)
        assert card["promises_made"] == 1
        assert json.dumps(card)


class TestResolve:
    def test_refuse_if_untold_passes_an_incident_that_was_told(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = open_incident(capsys)["id"]
        done = run_json(capsys, "resolve", incident_id, "-m", "Payments succeed.", "--cause",
                        "an expired certificate", "--refuse-if-untold")  # fmt: skip
        assert done["status"] == "resolved"
