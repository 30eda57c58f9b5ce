"""FakeBluesky enforces the XRPC calls a Bluesky adapter makes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeBluesky
from tests.testing.fakes.conftest import client_for, needs_spec


@pytest.fixture
def fake(clock: Clock) -> FakeBluesky:
    return FakeBluesky(clock=clock)


@pytest.fixture
def http(fake: FakeBluesky) -> httpx.Client:
    return client_for(fake)


def session(http: httpx.Client) -> dict[str, Any]:
    answer = http.post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": "status.example.com", "password": "app-pass-word"},
    )
    assert answer.status_code == 200
    return dict(answer.json())


def post(http: httpx.Client, token: str, text: str, **extra: Any) -> httpx.Response:
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-22T14:00:00Z"}
    record.update(extra.pop("record", {}))
    body = {"repo": "did:plc:fakestatusaccount", "collection": "app.bsky.feed.post",
            "record": record, **extra}  # fmt: skip
    return http.post(
        "/xrpc/com.atproto.repo.createRecord",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


class TestSessions:
    def test_a_wrong_password_is_refused(self, http: httpx.Client) -> None:
        answer = http.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": "status.example.com", "password": "wrong"},
        )
        assert answer.status_code == 401
        assert answer.json()["error"] == "AuthenticationRequired"

    def test_the_access_token_expires_and_the_refresh_token_renews_it(
        self, http: httpx.Client, clock: Clock
    ) -> None:
        tokens = session(http)
        clock.advance(hours=2)
        expired = post(http, tokens["accessJwt"], "Down.")
        assert expired.status_code == 400
        assert expired.json()["error"] == "ExpiredToken"
        renewed = http.post(
            "/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {tokens['refreshJwt']}"},
        )
        assert post(http, renewed.json()["accessJwt"], "Down.").is_success

    def test_no_token_is_refused(self, http: httpx.Client) -> None:
        assert post(http, "nothing", "Down.").status_code == 401


class TestPosts:
    def test_posts_reads_back_and_threads(self, http: httpx.Client) -> None:
        token = session(http)["accessJwt"]
        root = post(http, token, "API is down.").json()
        ref = {"uri": root["uri"], "cid": root["cid"]}
        reply = post(http, token, "Identified.", record={"reply": {"root": ref, "parent": ref}})
        assert reply.is_success
        rkey = root["uri"].rsplit("/", 1)[1]
        read = http.get(
            "/xrpc/com.atproto.repo.getRecord",
            params={"repo": "status.example.com", "collection": "app.bsky.feed.post",
                    "rkey": rkey},
        )  # fmt: skip
        assert read.json()["value"]["text"] == "API is down."

    def test_300_graphemes_pass_and_301_do_not(self, http: httpx.Client) -> None:
        token = session(http)["accessJwt"]
        assert post(http, token, "👍🏽" * 300).is_success  # 600 code points, 300 graphemes
        too_long = post(http, token, "a" * 301)
        assert too_long.status_code == 400
        assert "300 graphemes" in too_long.json()["message"]

    def test_3000_bytes_is_the_other_limit(self, http: httpx.Client) -> None:
        token = session(http)["accessJwt"]
        heavy = "👨‍👩‍👧‍👦" * 200  # 200 graphemes of 25 bytes each
        assert post(http, token, heavy).status_code == 400

    def test_an_rkey_that_exists_is_refused_so_a_retry_never_posts_twice(
        self, fake: FakeBluesky, http: httpx.Client
    ) -> None:
        token = session(http)["accessJwt"]
        assert post(http, token, "Down.", rkey="3lincident1").is_success
        again = post(http, token, "Down.", rkey="3lincident1")
        assert again.status_code == 400
        assert "already exists" in again.json()["message"]
        assert len(fake.records) == 1

    def test_over_the_rate_limit_is_429_with_retry_after(self, clock: Clock) -> None:
        fake = FakeBluesky(clock=clock, rate_limit=(1, timedelta(minutes=1)))
        http = client_for(fake)
        token = session(http)["accessJwt"]
        assert post(http, token, "1").is_success
        limited = post(http, token, "2")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "60"


class TestLexicons:
    def test_a_record_the_lexicon_refuses_is_refused(
        self, fake: FakeBluesky, http: httpx.Client
    ) -> None:
        needs_spec(fake)
        token = session(http)["accessJwt"]
        bad = post(http, token, "Down.", record={"createdAt": "yesterday"})
        assert bad.status_code == 400
        assert "createdAt" in fake.spec_violations[0]

    def test_a_good_record_passes(self, fake: FakeBluesky, http: httpx.Client) -> None:
        needs_spec(fake)
        token = session(http)["accessJwt"]
        assert post(http, token, "Down.", record={"langs": ["en"]}).is_success
        assert fake.spec_violations == []
