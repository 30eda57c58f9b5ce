"""The pytest plugin: its fixtures and marker work, and an idle plugin changes nothing."""

from __future__ import annotations

import pytest

PLAIN = """
import warnings
import pytest

def test_passes():
    assert 1 + 1 == 2

def test_fails():
    assert 1 + 1 == 3

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.mark.parametrize("n", [1, 2, 3])
def test_parametrized(n):
    assert n

def test_warns():
    warnings.warn("careful", UserWarning)
"""

USES_FIXTURES = """
import pytest
import candor
from candor.testing import assert_posted, assert_consistent

SCOPE = candor.Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012)

@pytest.mark.candor_channels("status", "mastodon")
def test_runbook(candor_outbox, candor_clock, tmp_path):
    with candor.Communicator(store=tmp_path / "c.db", base_dir=tmp_path) as comms:
        incident = comms.open("API failing", SCOPE, "Requests fail.")
        candor_clock.advance(minutes=31)
        assert [p.incident_id for p in comms.overdue()] == [incident.id]
    assert candor_outbox.channels == ["status", "mastodon"]
    assert_posted(candor_outbox, "mastodon", ["is down in eu-west"])
    assert_consistent(candor_outbox)

def test_without_the_marker_channels_stay_as_configured(candor_outbox, tmp_path):
    channels = [candor.Channel(name="ops", adapter="console")]
    with candor.Communicator(channels, store=tmp_path / "c.db", base_dir=tmp_path) as comms:
        comms.open("API failing", SCOPE, "Requests fail.")
    assert candor_outbox.channels == ["ops"] and len(candor_outbox.texts("ops")) == 1

def test_the_clock_alone(candor_clock):
    start = candor_clock()
    candor_clock.advance(hours=1)
    assert (candor_clock() - start).total_seconds() == 3600

def test_after_a_capturing_test_nothing_is_captured(tmp_path):
    channels = [candor.Channel(name="ops", adapter="console")]
    with candor.Communicator(channels, store=tmp_path / "c.db", base_dir=tmp_path) as comms:
        assert type(comms.adapters["ops"]).__name__ == "ConsoleAdapter"
"""


class TestFixtures:
    def test_outbox_clock_and_marker_work_under_strict_markers(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(test_runbook=USES_FIXTURES)
        result = pytester.runpytest("--strict-markers", "-W", "error", "-p", "no:cacheprovider")
        result.assert_outcomes(passed=4)

    def test_the_marker_is_listed(self, pytester: pytest.Pytester) -> None:
        result = pytester.runpytest("--markers")
        result.stdout.fnmatch_lines(["@pytest.mark.candor_channels(*names, **capabilities)*"])

    def test_the_fixtures_are_listed_with_their_docs(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile("def test_nothing(): pass")
        result = pytester.runpytest("--fixtures")
        result.stdout.fnmatch_lines(["candor_clock*", "candor_outbox*", "*capture*"])


class TestIdle:
    def _run(self, pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", *args)

    def test_a_session_that_does_not_use_it_is_unchanged(self, pytester: pytest.Pytester) -> None:
        """Same collection, outcomes and warnings with the plugin as without it."""
        pytester.makepyfile(test_plain=PLAIN)
        with_it = self._run(pytester, "--strict-markers")
        without = self._run(pytester, "--strict-markers", "-p", "no:candor")
        for result in (with_it, without):
            result.assert_outcomes(passed=5, failed=1, skipped=1, warnings=1)

        def summary(result: pytest.RunResult) -> list[str]:
            return sorted(
                line
                for line in result.outlines
                if line.startswith(("PASSED", "FAILED", "SKIPPED", "test_plain.py::"))
            )

        assert summary(with_it) == summary(without)
        collected_with = self._run(pytester, "--collect-only", "-q").outlines
        collected_without = self._run(pytester, "--collect-only", "-q", "-p", "no:candor").outlines
        assert [line for line in collected_with if "::" in line] == [
            line for line in collected_without if "::" in line
        ]

    def test_it_is_loaded_through_its_entry_point(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile("def test_nothing(): pass")
        result = pytester.runpytest_subprocess("--trace-config", "-p", "no:cacheprovider")
        result.stdout.fnmatch_lines(["*candor*candor/testing/pytest_plugin.py*"])
