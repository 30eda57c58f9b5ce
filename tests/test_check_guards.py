"""The checks guard what matters: a named scope, a fix time, a real next-update time."""

from __future__ import annotations

import pytest

import candor


def codes(text: str, status: str = "investigating") -> dict[str, str]:
    return {f.code: f.severity.value for f in candor.check(text, status=status)}


class TestScope:
    def test_a_time_is_not_a_scope(self) -> None:
        """The rule's own bad example, with a next-update time, still says nothing of who."""
        from candor.checks import rules

        bad = next(rule.bad for rule in rules() if rule.code == "no-scope")
        text = f"{bad} Next update by 14:30 UTC."
        assert codes(text).get("no-scope") == "warning"

    @pytest.mark.parametrize(
        "text",
        [
            "Requests in eu-west fail. Next update by 14:30 UTC.",
            "Checkout fails. Next update by 14:30 UTC.",
            "Errors hit 3% of requests. Next update by 14:30 UTC.",
            "1,200 merchants see errors. Next update by 14:30 UTC.",
            "All customers see errors. Next update by 14:30 UTC.",
        ],
    )
    def test_a_component_region_count_or_share_is_a_scope(self, text: str) -> None:
        assert "no-scope" not in codes(text)


class TestFixTime:
    @pytest.mark.parametrize(
        "text",
        [
            "We expect a fix within 15 minutes. Next update by 14:30 UTC.",
            "We anticipate full recovery by 16:00 UTC. Next update by 14:30 UTC.",
            "The estimated time for a fix is 30 minutes. Next update by 14:30 UTC.",
        ],
    )
    def test_an_eta_for_a_fix_is_a_warning(self, text: str) -> None:
        assert codes(text, "identified").get("fix-time") == "warning"

    def test_a_next_update_time_is_not_a_fix_time(self) -> None:
        assert "fix-time" not in codes("We expect to update you within 15 minutes.")


class TestNextUpdateTime:
    @pytest.mark.parametrize("said", ["25:99 UTC", "14:75 UTC", "24:30 UTC"])
    def test_a_time_no_clock_shows_is_an_error(self, said: str) -> None:
        findings = candor.check(
            f"The API is down for 1.2% of customers. Next update by {said}.",
            status="investigating",
        )
        found = [f for f in findings if f.code == "no-next-update"]
        assert [f.severity.value for f in found] == ["error"]
        assert said.split()[0] in found[0].excerpt

    @pytest.mark.parametrize("said", ["23:59 UTC", "00:00 UTC", "9:05 UTC"])
    def test_a_real_time_passes(self, said: str) -> None:
        text = f"The API is down for 1.2% of customers. Next update by {said}."
        assert "no-next-update" not in codes(text)
