"""FakeMastodon enforces Mastodon's statuses API."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeMastodon
from tests.testing.fakes.conftest import client_for, needs_spec

AUTH = {"Authorization": "Bearer mastodon-token"}


@pytest.fixture
def fake(clock: Clock) -> FakeMastodon:
    return FakeMastodon(clock=clock)


@pytest.fixture
def http(fake: FakeMastodon) -> httpx.Client:
    return client_for(fake)


class TestContract:
    def test_posts_and_threads_a_reply(self, fake: FakeMastodon, http: httpx.Client) -> None:
        first = http.post("/api/v1/statuses", json={"status": "API is down."}, headers=AUTH)
        assert first.status_code == 200
        reply = http.post(
            "/api/v1/statuses",
            json={"status": "Identified.", "in_reply_to_id": first.json()["id"]},
            headers=AUTH,
        )
        assert reply.json()["in_reply_to_id"] == first.json()["id"]
        assert len(fake.statuses) == 2

    def test_a_wrong_token_is_refused(self, http: httpx.Client) -> None:
        answer = http.post(
            "/api/v1/statuses", json={"status": "x"}, headers={"Authorization": "Bearer nope"}
        )
        assert answer.status_code == 401

    def test_500_characters_pass_501_do_not_and_links_count_23(self, http: httpx.Client) -> None:
        assert http.post("/api/v1/statuses", json={"status": "a" * 500}, headers=AUTH).is_success
        too_long = http.post("/api/v1/statuses", json={"status": "b" * 501}, headers=AUTH)
        assert too_long.status_code == 422
        assert "500" in too_long.json()["error"]
        link = "https://status.example.com/incidents/" + "x" * 200
        fits = http.post("/api/v1/statuses", json={"status": "c" * 470 + " " + link}, headers=AUTH)
        assert fits.is_success

    def test_the_same_idempotency_key_gives_the_first_status(
        self, fake: FakeMastodon, http: httpx.Client, clock: Clock
    ) -> None:
        headers = {**AUTH, "Idempotency-Key": "k1"}
        first = http.post("/api/v1/statuses", json={"status": "Down."}, headers=headers)
        again = http.post("/api/v1/statuses", json={"status": "Down."}, headers=headers)
        assert again.json()["id"] == first.json()["id"]
        assert len(fake.statuses) == 1
        clock.advance(hours=1, seconds=1)
        later = http.post("/api/v1/statuses", json={"status": "Down."}, headers=headers)
        assert later.json()["id"] != first.json()["id"]

    def test_over_the_rate_limit_is_429_with_the_reset_time(self, clock: Clock) -> None:
        fake = FakeMastodon(clock=clock, rate_limit=(2, timedelta(minutes=5)))
        http = client_for(fake)
        for n in range(2):
            assert http.post("/api/v1/statuses", json={"status": f"{n}"}, headers=AUTH).is_success
        limited = http.post("/api/v1/statuses", json={"status": "3"}, headers=AUTH)
        assert limited.status_code == 429
        # Mastodon's throttle answers with X-RateLimit-Reset (ISO 8601), not Retry-After.
        assert "retry-after" not in limited.headers
        assert limited.headers["x-ratelimit-remaining"] == "0"
        reset = datetime.fromisoformat(limited.headers["x-ratelimit-reset"])
        assert reset == clock() + timedelta(minutes=5)
        clock.advance(minutes=5)
        assert http.post("/api/v1/statuses", json={"status": "4"}, headers=AUTH).is_success

    def test_edits_a_status(self, fake: FakeMastodon, http: httpx.Client) -> None:
        posted = http.post("/api/v1/statuses", json={"status": "Down."}, headers=AUTH).json()
        edited = http.put(f"/api/v1/statuses/{posted['id']}", json={"status": "Up."}, headers=AUTH)
        assert edited.json()["content"] == "<p>Up.</p>"
        assert edited.json()["text"] is None  # Mastodon gives the source only on request
        source = http.get(f"/api/v1/statuses/{posted['id']}/source", headers=AUTH).json()
        assert source["text"] == "Up."
        assert edited.json()["edited_at"] is not None


class TestSpec:
    def test_the_openapi_description_refuses_a_malformed_body(
        self, fake: FakeMastodon, http: httpx.Client
    ) -> None:
        needs_spec(fake)
        bad = http.post("/api/v1/statuses", json={"status": 42}, headers=AUTH)
        assert bad.status_code == 422
        assert fake.spec_violations

    def test_and_accepts_a_good_one(self, fake: FakeMastodon, http: httpx.Client) -> None:
        needs_spec(fake)
        good = {"status": "API is down.", "visibility": "public", "language": "en"}
        assert http.post("/api/v1/statuses", json=good, headers=AUTH).is_success
        assert fake.spec_violations == []

    def test_without_the_descriptions_it_says_why_it_skips(self, tmp_path: object) -> None:
        fake = FakeMastodon(specs=str(tmp_path))
        assert not fake.spec.enabled
        assert "mastodon/openapi.json is not in" in fake.spec.reason
        assert "turned off" in FakeMastodon(specs=False).spec.reason
