"""The Mastodon adapter, against the fake that checks every request against Mastodon's OpenAPI."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from tests.social import communicator, live_through, open_incident, update

import candor
from candor.adapters import registry
from candor.adapters.base import Receipt
from candor.adapters.mastodon import MastodonAdapter, mastodon_length
from candor.errors import ConfigError, DeliveryError
from candor.testing import Clock
from candor.testing.fakes import FakeMastodon

TOKEN = "mastodon-secret-token-1"


def channel(**settings: object) -> candor.Channel:
    return candor.Channel(
        name="mastodon",
        adapter="mastodon",
        settings={"base_url": FakeMastodon.base_url, "access_token": TOKEN, **settings},
    )


@pytest.fixture
def fake(clock: Clock) -> FakeMastodon:
    return FakeMastodon(access_token=TOKEN, clock=clock)


def thread(fake: FakeMastodon) -> list[dict[str, object]]:
    return list(fake.statuses.values())


class TestThread:
    def test_an_incident_is_one_thread_of_five_statuses_each_within_the_limit(
        self, tmp_path: Path, clock: Clock, fake: FakeMastodon
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = live_through(comms, clock)
        statuses = thread(fake)
        assert len(statuses) == 5
        assert statuses[0]["in_reply_to_id"] is None
        for parent, status in itertools.pairwise(statuses):
            assert status["in_reply_to_id"] == parent["id"]
        assert all(mastodon_length(fake.sources[s["id"]]) <= 500 for s in statuses)
        assert fake.spec_violations == []
        receipts = [d for d in incident.deliveries if d.channel == "mastodon"]
        assert {d.thread_root for d in receipts} == {statuses[0]["id"]}

    def test_each_post_carries_its_idempotency_key_and_the_settings(
        self, tmp_path: Path, clock: Clock, fake: FakeMastodon
    ) -> None:
        settings = {"visibility": "unlisted", "language": "en"}
        with communicator(tmp_path, clock, [channel(**settings)], fake) as comms:
            open_incident(comms)
        posted = [r for r in fake.requests if r.method == "POST"]
        assert len(posted) == 1
        assert posted[0].headers["idempotency-key"]
        body = posted[0].json()
        assert (body["visibility"], body["language"]) == ("unlisted", "en")

    def test_a_mention_in_user_text_never_tags_anyone(
        self, tmp_path: Path, clock: Clock, fake: FakeMastodon
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            open_incident(comms)
        text = fake.sources[thread(fake)[0]["id"]]
        assert "@acme_support" not in text
        assert "\uff20acme_support" in text


class TestIdempotency:
    def test_a_timeout_after_the_post_is_retried_with_the_same_key_and_posts_once(
        self, tmp_path: Path, clock: Clock, fake: FakeMastodon
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = open_incident(comms)
            fake.timeout_next()
            update(comms, incident.id, 0, clock)
            comms.deliver_pending()
            incident = comms.get(incident.id)
        assert len(fake.statuses) == 2
        keys = [r.headers["idempotency-key"] for r in fake.requests if r.method == "POST"]
        assert len(keys) == 3
        assert keys[1] == keys[2]
        assert all(d.state == "sent" for d in incident.deliveries)


class TestInstance:
    def test_the_instance_limits_are_read_once_and_fitted_to(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeMastodon(access_token=TOKEN, clock=clock, max_characters=1000)
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            live_through(comms, clock)
            adapter = comms._async.adapters["mastodon"]
            assert adapter.capabilities.max_length == 1000
        reads = [r for r in fake.requests if r.path == "/api/v2/instance"]
        assert len(reads) == 1

    def test_a_text_over_the_instance_limit_is_refused_not_cut(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeMastodon(access_token=TOKEN, clock=clock, max_characters=100)
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = open_incident(comms)
        (delivery,) = incident.deliveries
        assert delivery.state == "failed"
        assert "over the service's limit of 100" in (delivery.last_error or "")
        assert "set max_characters" in (delivery.last_error or "")
        assert fake.statuses == {}

    def test_a_fixed_max_characters_skips_the_instance(self, tmp_path: Path, clock: Clock) -> None:
        fake = FakeMastodon(access_token=TOKEN, clock=clock, max_characters=300)
        with communicator(tmp_path, clock, [channel(max_characters=300)], fake) as comms:
            live_through(comms, clock)
        assert not [r for r in fake.requests if r.path == "/api/v2/instance"]
        assert len(fake.statuses) == 5
        assert all(mastodon_length(text) <= 300 for text in fake.sources.values())


class TestCorrection:
    def test_a_correction_is_an_edit_that_says_so(self, tmp_path: Path, fake: FakeMastodon) -> None:
        async def scenario() -> Receipt:
            adapter = MastodonAdapter(channel(), client=fake.client(), base_dir=tmp_path)
            first = await adapter.post(*_message(adapter))
            return await adapter.correct(
                first, "Requests to the API in eu-central fail.", note="the region is eu-central"
            )

        receipt = asyncio.run(scenario())
        assert len(fake.statuses) == 1
        (edit,) = fake.edits
        assert edit["id"] == receipt.remote_id
        assert edit["after"].endswith("Correction: the region is eu-central.")
        assert fake.statuses[str(receipt.remote_id)]["edited_at"] is not None
        assert fake.spec_violations == []

    def test_a_correction_without_a_note_is_refused(
        self, tmp_path: Path, fake: FakeMastodon
    ) -> None:
        adapter = MastodonAdapter(channel(), client=fake.client(), base_dir=tmp_path)
        receipt = Receipt(channel="mastodon", remote_id="1")
        with pytest.raises(ValueError, match="note"):
            asyncio.run(adapter.correct(receipt, "text", note=" "))


class TestSettings:
    def test_it_is_registered_through_the_entry_point(self) -> None:
        assert registry.load("mastodon") is MastodonAdapter

    def test_a_wrong_setting_is_a_config_error_naming_channel_and_key(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="visibility"):
            MastodonAdapter(channel(visibility="everyone"), client=None, base_dir=tmp_path)  # type: ignore[arg-type]

    def test_a_bad_token_fails_for_good_without_quoting_it(
        self, tmp_path: Path, fake: FakeMastodon
    ) -> None:
        adapter = MastodonAdapter(channel(), client=fake.client(), base_dir=tmp_path)
        fake.access_token = "another-token"
        with pytest.raises(DeliveryError) as caught:
            asyncio.run(adapter.post(*_message(adapter)))
        assert caught.value.retryable is False
        assert TOKEN not in str(caught.value)


def _message(adapter: MastodonAdapter) -> tuple[candor.Message, candor.DeliveryContext]:
    from candor.testing.contract import AdapterContract

    contract = AdapterContract()
    contract.channel = "mastodon"  # type: ignore[misc]
    return contract.message(adapter, contract.incident())


def test_the_docs_section_is_a_working_channel(tmp_path: Path) -> None:
    from tests.social import docs_channel

    loaded = docs_channel("mastodon.md", {"MASTODON_TOKEN": TOKEN}, tmp_path)
    adapter = MastodonAdapter(loaded, client=None, base_dir=tmp_path)  # type: ignore[arg-type]
    assert adapter.settings.base_url == "https://hachyderm.io"


class TestRateLimit:
    def test_a_throttled_post_waits_for_the_reset_mastodon_gives(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        """Mastodon's 429 has X-RateLimit-Reset and no Retry-After: candor waits until then."""
        fake = FakeMastodon(access_token=TOKEN, clock=clock)
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = open_incident(comms)
            fake.rate_limit = (0, timedelta(minutes=5))  # the account's budget is spent
            before = len(fake.requests)
            update(comms, incident.id, 0, clock)
            assert len(fake.requests) - before == 1  # one 429, then the wait: not hammered
            (row,) = [d for d in comms.get(incident.id).deliveries if d.state == "retry"]
            assert row.next_attempt_at is not None
            assert row.next_attempt_at >= clock() + timedelta(minutes=5)
