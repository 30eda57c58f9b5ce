"""FakeX enforces X's POST /2/tweets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candor.testing import Clock
from candor.testing._length import weighted_length
from candor.testing.fakes import FakeX
from tests.testing.fakes.conftest import client_for

AUTH = {"Authorization": "Bearer x-user-token"}


class TestWeightedLength:
    @pytest.mark.parametrize(
        ("text", "weight"),
        [
            ("a" * 280, 280),
            ("é", 1),  # NFC: one code point under U+10FF
            ("e\u0301", 1),  # composed by NFC first
            ("界", 2),
            ("😀", 2),
            ("“quoted” — ‘dash’", 17),  # U+2010-201F weigh 1
            ("see https://status.example.com/incidents/inc-1234567890.html", 4 + 23),
        ],
    )
    def test_counts_as_x_does(self, text: str, weight: int) -> None:
        assert weighted_length(text) == weight


class TestContract:
    def test_posts_and_replies(self) -> None:
        fake = FakeX()
        http = client_for(fake)
        first = http.post("/2/tweets", json={"text": "API is down."}, headers=AUTH)
        assert first.status_code == 201
        tweet_id = first.json()["data"]["id"]
        reply = http.post(
            "/2/tweets",
            json={"text": "Identified.", "reply": {"in_reply_to_tweet_id": tweet_id}},
            headers=AUTH,
        )
        assert reply.status_code == 201
        assert fake.tweets[reply.json()["data"]["id"]]["in_reply_to"] == tweet_id

    def test_a_wrong_token_is_refused(self) -> None:
        answer = client_for(FakeX()).post(
            "/2/tweets", json={"text": "x"}, headers={"Authorization": "Bearer no"}
        )
        assert answer.status_code == 401

    def test_280_weighted_pass_and_281_do_not(self) -> None:
        http = client_for(FakeX())
        assert http.post("/2/tweets", json={"text": "界" * 140}, headers=AUTH).status_code == 201
        too_long = http.post("/2/tweets", json={"text": "界" * 140 + "a"}, headers=AUTH)
        assert too_long.status_code == 400

    def test_the_same_text_twice_is_a_403_duplicate(self) -> None:
        http = client_for(FakeX())
        assert http.post("/2/tweets", json={"text": "Down."}, headers=AUTH).status_code == 201
        again = http.post("/2/tweets", json={"text": "Down."}, headers=AUTH)
        assert again.status_code == 403
        assert "duplicate content" in again.json()["detail"]

    def test_over_the_rate_limit_is_429_with_the_reset_and_no_retry_after(
        self, clock: Clock
    ) -> None:
        """As https://docs.x.com/fundamentals/rate-limits documents it."""
        http = client_for(FakeX(clock=clock, rate_limit=(1, timedelta(minutes=15))))
        assert http.post("/2/tweets", json={"text": "1"}, headers=AUTH).status_code == 201
        limited = http.post("/2/tweets", json={"text": "2"}, headers=AUTH)
        assert limited.status_code == 429
        assert "retry-after" not in limited.headers
        assert int(limited.headers["x-rate-limit-reset"]) == int(clock().timestamp()) + 900
        assert limited.headers["x-rate-limit-remaining"] == "0"
        assert limited.headers["x-rate-limit-limit"] == "1"
        assert limited.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
