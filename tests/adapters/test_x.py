"""The X adapter, against the fake that checks OAuth 1.0a signatures and the weighted count."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import START
from tests.social import communicator, live_through, open_incident, update

import candor
from candor.adapters import registry
from candor.adapters.x import XAdapter
from candor.errors import ConfigError, DeliveryError
from candor.length import weighted_length
from candor.testing import Clock
from candor.testing.contract import AdapterContract
from candor.testing.fakes import FakeX

KEYS = ("x-api-key-1", "x-api-secret-1", "x-access-token-1", "x-access-secret-1")
NAMES = ("api_key", "api_secret", "access_token", "access_token_secret")


def channel(**settings: object) -> candor.Channel:
    return candor.Channel(
        name="x", adapter="x", settings={**dict(zip(NAMES, KEYS, strict=True)), **settings}
    )


@pytest.fixture
def fake(clock: Clock) -> FakeX:
    return FakeX(oauth1=KEYS, clock=clock)


def thread_of(fake: FakeX) -> list[dict[str, object]]:
    return list(fake.tweets.values())


def message(adapter: XAdapter) -> tuple[candor.Message, candor.DeliveryContext]:
    contract = AdapterContract()
    contract.channel = "x"  # type: ignore[misc]
    return contract.message(adapter, contract.incident())


class TestThread:
    def test_an_incident_is_one_thread_of_five_posts_each_within_280(
        self, tmp_path: Path, clock: Clock, fake: FakeX
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            live_through(comms, clock)
        tweets = thread_of(fake)
        assert len(tweets) == 5
        assert tweets[0]["in_reply_to"] is None
        for parent, tweet in itertools.pairwise(tweets):
            assert tweet["in_reply_to"] == parent["id"]
        assert all(weighted_length(str(t["text"])) <= 280 for t in tweets)

    def test_requests_are_signed_with_oauth1_and_never_carry_a_secret(
        self, tmp_path: Path, clock: Clock, fake: FakeX
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            open_incident(comms)
        (request,) = fake.requests
        authorization = request.headers["authorization"]
        assert authorization.startswith("OAuth ")
        assert 'oauth_signature_method="HMAC-SHA1"' in (authorization)
        assert KEYS[1] not in authorization
        assert KEYS[3] not in authorization

    def test_a_mention_in_user_text_never_tags_anyone(
        self, tmp_path: Path, clock: Clock, fake: FakeX
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            open_incident(comms)
        text = str(thread_of(fake)[0]["text"])
        assert "@acme_support" not in text
        assert "@\u200bacme_support" in text

    def test_a_fitted_text_with_no_room_for_the_neutraliser_drops_the_at_sign(
        self, tmp_path: Path, fake: FakeX
    ) -> None:
        adapter = XAdapter(channel(), client=fake.client(), base_dir=tmp_path)
        text = "x" * 271 + " @acme_ok"
        assert weighted_length(text) == 280
        posted, context = message(adapter)
        receipt = asyncio.run(adapter.post(posted.model_copy(update={"text": text}), context))
        assert fake.tweets[str(receipt.remote_id)]["text"] == "x" * 271 + " acme_ok"


class TestDuplicates:
    def test_a_timeout_then_duplicate_content_is_taken_as_posted(
        self, tmp_path: Path, clock: Clock, fake: FakeX
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = open_incident(comms)
            fake.timeout_next()
            update(comms, incident.id, 0, clock)
            clock.advance(minutes=5)
            comms.deliver_pending()
            update(comms, incident.id, 1, clock)
            incident = comms.get(incident.id)
        tweets = thread_of(fake)
        assert len(tweets) == 3
        assert all(d.state == "sent" for d in incident.deliveries)
        duplicate = next(d for d in incident.deliveries if d.seq == 2)
        assert duplicate.remote_id is None
        # The post after it replies to the latest post whose id is known, in the same thread.
        assert tweets[2]["in_reply_to"] == tweets[0]["id"]

    def test_duplicate_content_on_a_first_attempt_is_a_refusal(
        self, tmp_path: Path, fake: FakeX
    ) -> None:
        adapter = XAdapter(channel(), client=fake.client(), base_dir=tmp_path)
        posted, context = message(adapter)
        asyncio.run(adapter.post(posted, context))
        other = context.model_copy(update={"idempotency_key": "another-update"})
        with pytest.raises(DeliveryError, match="duplicate") as caught:
            asyncio.run(adapter.post(posted, other))
        assert caught.value.retryable is False


class TestSettings:
    def test_it_is_registered_through_the_entry_point(self) -> None:
        assert registry.load("x") is XAdapter

    def test_oauth1_needs_all_four_keys(self, tmp_path: Path) -> None:
        bad = candor.Channel(name="x", adapter="x", settings={"api_key": KEYS[0]})
        with pytest.raises(ConfigError, match="access_token"):
            XAdapter(bad, client=None, base_dir=tmp_path)  # type: ignore[arg-type]

    def test_a_user_token_and_oauth1_keys_together_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="either"):
            XAdapter(channel(user_token="t-123456"), client=None, base_dir=tmp_path)  # type: ignore[arg-type]

    def test_a_user_token_is_sent_as_a_bearer(self, tmp_path: Path, clock: Clock) -> None:
        fake = FakeX(access_token="x-oauth2-user-token", clock=clock)
        user = candor.Channel(name="x", adapter="x", settings={"user_token": "x-oauth2-user-token"})
        with communicator(tmp_path, clock, [user], fake) as comms:
            open_incident(comms)
        assert fake.requests[0].bearer() == "x-oauth2-user-token"
        assert len(fake.tweets) == 1


def test_the_docs_section_is_a_working_channel(tmp_path: Path) -> None:
    from tests.social import docs_channel

    environ = {f"X_{name.upper()}": value for name, value in zip(NAMES, KEYS, strict=True)}
    loaded = docs_channel("x.md", environ, tmp_path)
    adapter = XAdapter(loaded, client=None, base_dir=tmp_path)  # type: ignore[arg-type]
    assert adapter.settings.api_key is not None


class TestRateLimit:
    def test_a_429_waits_for_the_windows_reset_instead_of_retrying_inside_it(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        """X says when its window ends in x-rate-limit-reset, and sends no Retry-After."""
        fake = FakeX(oauth1=KEYS, clock=clock, rate_limit=(1, timedelta(minutes=15)))
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = open_incident(comms)
            clock.advance(minutes=1)
            comms.update(incident.id, status="identified", message="A bad deploy; rolling back.")
            assert len(fake.requests) == 2  # one 429, and no try again inside the window
            (owed,) = [d for d in comms.get(incident.id).deliveries if d.seq == 2]
            assert owed.state == "retry"
            assert owed.next_attempt_at == START + timedelta(minutes=15)

            assert comms.deliver_pending()  # not due yet
            assert len(fake.requests) == 2
            clock.advance(minutes=14)
            (outcome,) = comms.deliver_pending()
            assert outcome.sent
        assert len(fake.tweets) == 2
