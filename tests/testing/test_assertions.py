"""The assertion helpers pass on what is right and fail with a diff that shows what is not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import candor
from candor.testing import (
    Clock,
    Outbox,
    assert_candid,
    assert_consistent,
    assert_posted,
    capture,
)
from tests.conftest import api_outage


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    clock = Clock()
    with (
        capture(channels=["status", "mastodon"], clock=clock) as outbox,
        candor.Communicator(store=tmp_path / "c.db", base_dir=tmp_path) as comms,
    ):
        incident = comms.open("API failing", api_outage(), "Requests fail.")
        clock.advance(minutes=10)
        comms.update(incident.id, status="identified", message="A bad deploy.")
    return outbox


class TestAssertPosted:
    def test_passes_on_whole_texts_or_substrings_in_order(self, outbox: Outbox) -> None:
        texts = outbox.texts("mastodon")
        assert_posted(outbox, "mastodon", [texts[0], "A bad deploy."])

    def test_fails_with_a_diff_of_the_message_that_differs(self, outbox: Outbox) -> None:
        with pytest.raises(AssertionError) as caught:
            assert_posted(outbox, "mastodon", ["Requests fail.", "A good deploy."])
        said = str(caught.value)
        assert "--- expected\n+++ posted to mastodon" in said
        assert "-[2] A good deploy." in said
        assert "+[2] Identified:" in said
        assert "[1] Requests fail." in said
        assert "-[1]" not in said

    def test_fails_when_the_count_differs(self, outbox: Outbox) -> None:
        with pytest.raises(AssertionError, match=r"took 2 message\(s\), expected 1"):
            assert_posted(outbox, "status", ["Requests fail."])

    def test_a_single_string_is_a_mistake_not_a_list_of_letters(self, outbox: Outbox) -> None:
        with pytest.raises(TypeError, match="one per message"):
            assert_posted(outbox, "status", "Requests fail.")


class TestAssertConsistent:
    def test_passes_when_every_channel_got_the_same_facts(self, outbox: Outbox) -> None:
        assert_consistent(outbox)

    def test_fails_naming_the_channel_whose_next_update_time_differs(self, outbox: Outbox) -> None:
        wrong = outbox.messages("mastodon")[1]
        later = wrong.message.model_copy(
            update={"next_update_by": wrong.next_update_by + timedelta(minutes=5)}  # type: ignore[operator]
        )
        outbox._messages[outbox._messages.index(wrong)] = replace(wrong, message=later)
        with pytest.raises(AssertionError) as caught:
            assert_consistent(outbox)
        said = str(caught.value)
        assert "update 2" in said
        assert "update 1" not in said
        assert "+mastodon: status identified, next update 2026-11-22T14:45:00+00:00" in said

    def test_fails_when_a_channel_went_quiet(self, outbox: Outbox) -> None:
        outbox._messages.remove(outbox.messages("status")[1])
        with pytest.raises(AssertionError, match=r"\+status: nothing"):
            assert_consistent(outbox)
        assert_consistent(outbox, complete=False)


class TestAssertCandid:
    def test_passes_a_candid_text_and_a_posted_message(self, outbox: Outbox) -> None:
        assert_candid(
            "The API is down in eu-west for 1.2% of our customers. Next update by 14:30 UTC."
        )
        assert_candid(outbox.messages("status")[0])

    def test_fails_on_an_error_finding_quoting_the_text(self) -> None:
        with pytest.raises(AssertionError) as caught:
            assert_candid("Only a few customers see errors.\nNext update in 30 minutes.")
        said = str(caught.value)
        assert "error minimizing" in said
        assert "suggestion:" in said
        assert "  | Next update in 30 minutes." in said

    def test_strict_fails_on_warnings_too(self) -> None:
        text = (
            "All customers see errors. It will be fixed within 10 minutes. "
            "Next update in 30 minutes."
        )
        assert_candid(text, status="identified")
        with pytest.raises(AssertionError, match="warning fix-time"):
            assert_candid(text, status="identified", strict=True)
