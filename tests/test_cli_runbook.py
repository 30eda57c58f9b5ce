"""The CLI for shell runbooks: correct, --latest, incidents named by title, overdue lines.

Each test runs in an empty folder of its own, so nothing is written to the checkout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from candor.testing import reset
from tests.test_cli import assert_user_error, iso, run, run_json

WRONG = "A bad deploy in us-east broke the API; we are rolling it back."
RIGHT = "A bad deploy in eu-west broke the API; we are rolling it back."


@pytest.fixture(autouse=True)
def _in_empty_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANDOR_CONFIG", raising=False)
    yield
    reset()


def opened(capsys: pytest.CaptureFixture[str], title: str, component: str) -> str:
    incident = run_json(
        capsys, "open", title, "-c", component, "-m", f"Requests to {component} fail."
    )
    return str(incident["id"])


class TestCorrect:
    def test_correct_by_number_is_recorded_shown_and_put_on_the_page(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        incident_id = opened(capsys, "API errors in eu-west", "API")
        run(capsys, "update", incident_id, "--status", "identified", "-m", WRONG)
        result = run_json(
            capsys, "correct", incident_id, "--update", "2", "-m", RIGHT, "--reason", "wrong region"
        )
        assert result["updates"][1]["message"] == WRONG
        assert result["updates"][2]["correction"]["seq"] == 2
        assert sorted(result["delivery"]["sent"]) == ["console", "status"]
        shown = run(capsys, "show", incident_id).out
        assert "correction of #2" in shown
        assert "wrong region" in shown
        assert "(corrected in #3" in shown
        page = (tmp_path / "site" / "incidents" / f"{incident_id}.html").read_text("utf-8")
        assert RIGHT in page
        assert "(corrected <time" in page

    def test_correct_latest_by_title_corrects_the_newest_update(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = opened(capsys, "API errors in eu-west", "API")
        run(capsys, "update", incident_id, "--status", "identified", "-m", WRONG)
        result = run_json(
            capsys, "correct", "api errors", "--latest", "-m", RIGHT, "--reason", "wrong region"
        )
        assert result["id"] == incident_id
        assert result["updates"][-1]["correction"]["seq"] == 2

    def test_an_unknown_update_or_incident_is_named(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        incident_id = opened(capsys, "API errors", "API")
        line = assert_user_error(
            run(
                capsys,
                "correct",
                incident_id,
                "--update",
                "7",
                "-m",
                RIGHT,
                "--reason",
                "x",
                code=1,
            )
        )
        assert "update=7" in line
        assert "numbered 1 to 1" in line
        line = assert_user_error(
            run(
                capsys, "correct", "inc-none", "--update", "1", "-m", RIGHT, "--reason", "x", code=1
            )
        )
        assert "inc-none" in line
        assert incident_id in line  # the open incidents are listed
        line = assert_user_error(
            run(capsys, "correct", incident_id, "-m", RIGHT, "--reason", "x", code=1)
        )
        assert "--update N or --latest" in line


class TestLatestAndTitles:
    def test_update_latest_with_one_open_incident(self, capsys: pytest.CaptureFixture[str]) -> None:
        incident_id = opened(capsys, "API errors", "API")
        result = run_json(capsys, "update", "--latest", "-m", "Still failing; we are on it.")
        assert result["id"] == incident_id
        assert len(result["updates"]) == 2

    def test_update_latest_with_several_open_refuses_listing_them(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        first = opened(capsys, "API errors", "API")
        second = opened(capsys, "Login slow", "Login")
        line = assert_user_error(run(capsys, "update", "--latest", "-m", "News.", code=1))
        assert "2 incidents are open" in line
        assert f"{first} (API errors)" in line
        assert f"{second} (Login slow)" in line
        for incident_id in (first, second):
            assert len(run_json(capsys, "show", incident_id)["updates"]) == 1

    def test_update_latest_with_none_open_refuses(self, capsys: pytest.CaptureFixture[str]) -> None:
        done = opened(capsys, "API errors", "API")
        run(capsys, "resolve", done, "-m", "Requests succeed.", "--cause", "a bad deploy")
        assert "no incident is open" in assert_user_error(
            run(capsys, "update", "--latest", "-m", "News.", code=1)
        )

    def test_a_title_or_a_unique_start_of_one_names_the_incident_any_case(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        api = opened(capsys, "API errors in eu-west", "API")
        login = opened(capsys, "Login slow", "Login")
        assert run_json(capsys, "show", "api errors in EU-WEST")["id"] == api
        assert run_json(capsys, "show", "LOGIN")["id"] == login
        resolved = run_json(capsys, "resolve", "login s", "-m", "Logins are fast again.")
        assert resolved["id"] == login
        assert resolved["status"] == "resolved"

    def test_an_ambiguous_start_refuses_listing_the_candidates(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        eu = opened(capsys, "API errors in eu-west", "API")
        us = opened(capsys, "API errors in us-east", "API")
        line = assert_user_error(run(capsys, "update", "API errors", "-m", "News.", code=1))
        assert "2 incidents" in line
        assert eu in line
        assert us in line

    def test_an_unknown_title_refuses_listing_the_open_incidents(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        api = opened(capsys, "API errors", "API")
        line = assert_user_error(run(capsys, "show", "Billing", code=1))
        assert "'Billing'" in line
        assert f"open incidents: {api} (API errors)" in line

    def test_an_id_and_latest_together_are_refused(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        api = opened(capsys, "API errors", "API")
        line = assert_user_error(run(capsys, "update", api, "--latest", "-m", "News.", code=1))
        assert "not both" in line


class TestOverdueLines:
    def test_a_line_gives_the_title_the_due_time_and_how_late(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        api = opened(capsys, "API errors in eu-west", "API")
        shown = run_json(capsys, "show", api)
        due = datetime.fromisoformat(shown["next_update_by"])
        later = due + timedelta(hours=1, minutes=44, seconds=10)
        out = run(capsys, "overdue", "--now", iso(later), code=3).out
        clock = due.astimezone(UTC).strftime("%H:%M UTC")
        if due.astimezone(UTC).date() != later.astimezone(UTC).date():  # run near midnight
            clock = due.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        assert out.startswith(
            f"{api} (API errors in eu-west): next update was due {clock}, 1 hour 44 minutes late"
        )
        (entry,) = run_json(capsys, "overdue", "--now", iso(later), code=3)
        assert entry["title"] == "API errors in eu-west"
        assert entry["late"] == "1 hour 44 minutes late"
        assert entry["late_seconds"] == 104 * 60 + 10

    def test_under_a_minute_late_is_just_now_and_days_late_give_the_date(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        api = opened(capsys, "API errors", "API")
        due = datetime.fromisoformat(run_json(capsys, "show", api)["next_update_by"])
        out = run(capsys, "overdue", "--now", iso(due + timedelta(seconds=20)), code=3).out
        assert "just now" in out
        assert "0 minutes" not in out
        out = run(capsys, "overdue", "--now", iso(due + timedelta(days=2, hours=1)), code=3).out
        assert "2 days 1 hour late" in out or "2 days late" in out
        assert due.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") in out
        json.dumps(run_json(capsys, "overdue", "--now", iso(due + timedelta(days=2)), code=3))
