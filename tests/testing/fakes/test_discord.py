"""FakeDiscord enforces webhook execute and edit, allowed_mentions and the OpenAPI description."""

from __future__ import annotations

from datetime import timedelta

import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeDiscord
from tests.testing.fakes.conftest import client_for, needs_spec

HOOK = "/api/webhooks/1100000000000000001/discord-webhook-token"


class TestContract:
    def test_executes_with_wait_and_edits(self) -> None:
        fake = FakeDiscord()
        http = client_for(fake)
        sent = http.post(HOOK, params={"wait": "true"}, json={"content": "API is down."})
        assert sent.status_code == 200
        message_id = sent.json()["id"]
        edited = http.patch(f"{HOOK}/messages/{message_id}", json={"content": "Resolved."})
        assert edited.json()["content"] == "Resolved."
        assert http.post(HOOK, json={"content": "no wait"}).status_code == 204

    def test_a_wrong_token_or_webhook_is_refused(self) -> None:
        http = client_for(FakeDiscord())
        assert http.post(HOOK.replace("token", "nope"), json={"content": "x"}).status_code == 401
        unknown = http.post(HOOK.replace("0001", "0002", 1), json={"content": "x"})
        assert unknown.json()["code"] == 10015

    def test_2000_characters_pass_and_2001_do_not(self) -> None:
        http = client_for(FakeDiscord(rate_limit=None))
        assert http.post(HOOK, json={"content": "x" * 2000}).is_success
        too_long = http.post(HOOK, json={"content": "x" * 2001})
        assert too_long.status_code == 400
        assert too_long.json()["code"] == 50035

    def test_an_empty_message_is_refused(self) -> None:
        assert client_for(FakeDiscord()).post(HOOK, json={}).json()["code"] == 50006

    def test_five_per_two_seconds_then_429_with_retry_after(self, clock: Clock) -> None:
        http = client_for(FakeDiscord(clock=clock))
        for n in range(5):
            assert http.post(HOOK, json={"content": f"{n}"}).is_success
        limited = http.post(HOOK, json={"content": "6"})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "2"
        assert limited.json()["retry_after"] == 2.0
        clock.advance(timedelta(seconds=2))
        assert http.post(HOOK, json={"content": "7"}).is_success


class TestPings:
    @pytest.mark.parametrize(
        ("allowed", "pinged"),
        [(None, ["@everyone", "@here"]), ({"parse": []}, []), ({"parse": ["everyone"]},
         ["@everyone", "@here"]), ({"parse": ["users"]}, [])],
    )  # fmt: skip
    def test_everyone_and_here_ping_unless_allowed_mentions_forbids(
        self, allowed: dict[str, list[str]] | None, pinged: list[str]
    ) -> None:
        fake = FakeDiscord()
        body: dict[str, object] = {"content": "@everyone @here the API is down"}
        if allowed is not None:
            body["allowed_mentions"] = allowed
        client_for(fake).post(HOOK, json=body)
        assert [ping.mention for ping in fake.pings] == pinged


class TestSpec:
    def test_the_openapi_description_refuses_a_malformed_body(self) -> None:
        fake = FakeDiscord()
        needs_spec(fake)
        bad = client_for(fake).post(HOOK, json={"content": 12345})
        assert bad.status_code == 400
        assert any("content" in violation for violation in fake.spec_violations)

    def test_and_accepts_a_good_one(self) -> None:
        fake = FakeDiscord()
        needs_spec(fake)
        good = {"content": "API is down.", "allowed_mentions": {"parse": []}, "username": "Acme"}
        assert client_for(fake).post(HOOK, json=good).is_success
        assert fake.spec_violations == []
