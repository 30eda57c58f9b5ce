"""The Bluesky adapter, against the fake PDS that checks records against the lexicons."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.social import communicator, live_through, open_incident, update

import candor
from candor.adapters import registry
from candor.adapters.bluesky import BlueskyAdapter, facets, record_key
from candor.errors import ConfigError
from candor.length import graphemes
from candor.testing import Clock
from candor.testing.fakes import FakeBluesky

PASSWORD = "bsky-app-password-1"
HANDLE = "status.example.com"


def channel(**settings: object) -> candor.Channel:
    return candor.Channel(
        name="bluesky",
        adapter="bluesky",
        settings={"identifier": HANDLE, "app_password": PASSWORD, **settings},
    )


@pytest.fixture
def fake(clock: Clock) -> FakeBluesky:
    return FakeBluesky(handle=HANDLE, app_password=PASSWORD, clock=clock)


def posts(fake: FakeBluesky) -> list[dict[str, object]]:
    return [record for record in fake.records.values()]


def nsids(fake: FakeBluesky) -> list[str]:
    return [request.path.removeprefix("/xrpc/") for request in fake.requests]


class TestThread:
    def test_an_incident_is_one_thread_of_five_posts_with_clickable_links(
        self, tmp_path: Path, clock: Clock, fake: FakeBluesky
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            live_through(comms, clock)
        records = posts(fake)
        assert len(records) == 5
        root = records[0]
        assert "reply" not in root["value"]  # type: ignore[operator]
        for parent, record in itertools.pairwise(records):
            reply = record["value"]["reply"]  # type: ignore[index]
            assert reply["root"] == {"uri": root["uri"], "cid": root["cid"]}
            assert reply["parent"] == {"uri": parent["uri"], "cid": parent["cid"]}
        for record in records:
            value: dict[str, object] = record["value"]  # type: ignore[assignment]
            text = str(value["text"])
            assert len(graphemes(text)) <= 300
            assert len(text.encode()) <= 3000
            (link,) = value["facets"]  # type: ignore[misc]
            start, end = link["index"]["byteStart"], link["index"]["byteEnd"]
            url = text.encode()[start:end].decode()
            assert url.startswith("https://status.acme.example/incidents/")
            assert link["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": url}]
        assert fake.spec_violations == []
        assert nsids(fake).count("com.atproto.server.createSession") == 1

    def test_an_expired_session_is_refreshed_not_made_anew(
        self, tmp_path: Path, clock: Clock
    ) -> None:
        fake = FakeBluesky(
            handle=HANDLE, app_password=PASSWORD, clock=clock, access_ttl=timedelta(minutes=30)
        )
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            live_through(comms, clock)
        assert len(fake.records) == 5
        assert nsids(fake).count("com.atproto.server.createSession") == 1
        assert nsids(fake).count("com.atproto.server.refreshSession") >= 1


class TestIdempotency:
    def test_a_post_that_timed_out_is_reconciled_not_posted_twice(
        self, tmp_path: Path, clock: Clock, fake: FakeBluesky
    ) -> None:
        with communicator(tmp_path, clock, [channel()], fake) as comms:
            incident = open_incident(comms)
            fake.timeout_next()
            update(comms, incident.id, 0, clock)
            clock.advance(minutes=5)
            comms.deliver_pending()
            incident = comms.get(incident.id)
        assert len(fake.records) == 2
        assert all(d.state == "sent" for d in incident.deliveries)
        assert nsids(fake).count("com.atproto.repo.createRecord") == 2
        assert "com.atproto.repo.getRecord" in nsids(fake)

    def test_a_retried_create_collides_and_gives_the_first_post(
        self, tmp_path: Path, fake: FakeBluesky
    ) -> None:
        from candor.testing.contract import AdapterContract

        contract = AdapterContract()
        contract.channel = "bluesky"  # type: ignore[misc]

        async def twice() -> tuple[candor.Receipt, candor.Receipt]:
            adapter = BlueskyAdapter(channel(), client=fake.client(), base_dir=tmp_path)
            message, context = contract.message(adapter, contract.incident())
            return await adapter.post(message, context), await adapter.post(message, context)

        first, again = asyncio.run(twice())
        assert first == again
        assert len(fake.records) == 1

    @given(st.text(min_size=1, max_size=40), st.datetimes(timezones=st.just(UTC)))
    def test_the_record_key_is_a_stable_tid(self, key: str, when: datetime) -> None:
        rkey = record_key(key, when)
        assert rkey == record_key(key, when)
        assert len(rkey) == 13
        assert rkey[0] in "234567abcdefghij"
        assert set(rkey) <= set("234567abcdefghijklmnopqrstuvwxyz")

    def test_two_keys_at_one_time_get_two_record_keys(self) -> None:
        when = datetime(2026, 11, 22, 14, tzinfo=UTC)
        assert record_key("inc-1.1:bluesky", when) != record_key("inc-1.1:bluesky-2", when)


class TestFacets:
    def test_offsets_are_utf8_bytes_and_trailing_punctuation_is_left_out(self) -> None:
        text = "Ça marche 🎉 voir https://status.example/i/1. Merci"
        (facet,) = facets(text)
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        assert text.encode()[start:end] == b"https://status.example/i/1"

    def test_a_mention_gets_no_facet_so_it_tags_nobody(self) -> None:
        assert facets("ask @acme.bsky.social for help") == []


class TestSettings:
    def test_it_is_registered_through_the_entry_point(self) -> None:
        assert registry.load("bluesky") is BlueskyAdapter

    def test_a_missing_app_password_is_a_config_error(self, tmp_path: Path) -> None:
        bad = candor.Channel(name="bluesky", adapter="bluesky", settings={"identifier": HANDLE})
        with pytest.raises(ConfigError, match="app_password"):
            BlueskyAdapter(bad, client=None, base_dir=tmp_path)  # type: ignore[arg-type]


def test_the_docs_section_is_a_working_channel(tmp_path: Path) -> None:
    from tests.social import docs_channel

    loaded = docs_channel("bluesky.md", {"BLUESKY_APP_PASSWORD": PASSWORD}, tmp_path)
    adapter = BlueskyAdapter(loaded, client=None, base_dir=tmp_path)  # type: ignore[arg-type]
    assert adapter.settings.identifier == "status.example.com"
