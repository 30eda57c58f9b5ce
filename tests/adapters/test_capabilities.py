"""Each adapter declares its capabilities once; the memory adapter and the fakes agree with it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tests.adapters.settings import SETTINGS

from candor.adapters import Capabilities, Channel, LengthUnit, registry
from candor.testing import SERVICE_CAPABILITIES, capabilities_for
from candor.testing.fakes import bluesky as fake_bluesky
from candor.testing.fakes import mastodon as fake_mastodon
from candor.testing.fakes import x as fake_x
from candor.testing.fakes.bluesky import FakeBluesky
from candor.testing.fakes.cachet import FakeCachet
from candor.testing.fakes.discord import FakeDiscord
from candor.testing.fakes.instatus import FakeInstatus
from candor.testing.fakes.mastodon import FakeMastodon
from candor.testing.fakes.statuspage import FakeStatuspage
from candor.testing.fakes.x import FakeX

BUILT_IN = registry.built_in()


def make(name: str, tmp_path: Path, **settings: object) -> object:
    channel = Channel(name=f"my-{name}", adapter=name, settings={**SETTINGS[name], **settings})
    return registry.load(name)(channel, client=httpx.AsyncClient(), base_dir=tmp_path)


def test_every_built_in_adapter_is_covered() -> None:
    assert sorted(SETTINGS) == BUILT_IN


class TestDeclaredOnce:
    @pytest.mark.parametrize("name", BUILT_IN)
    def test_the_class_declares_its_capabilities(self, name: str) -> None:
        assert isinstance(registry.load(name).capabilities, Capabilities)  # type: ignore[attr-defined]

    @pytest.mark.parametrize("name", BUILT_IN)
    def test_a_channel_without_tuning_has_the_declared_capabilities(
        self, name: str, tmp_path: Path
    ) -> None:
        adapter = make(name, tmp_path)
        assert adapter.capabilities == registry.load(name).capabilities  # type: ignore[attr-defined]

    def test_a_setting_of_the_same_name_tunes_the_channel_only(self, tmp_path: Path) -> None:
        adapter = make("mastodon", tmp_path, rate_limit=0.25, burst=2)
        assert adapter.capabilities.rate_limit == 0.25  # type: ignore[attr-defined]
        assert adapter.capabilities.burst == 2  # type: ignore[attr-defined]
        assert registry.load("mastodon").capabilities.rate_limit == 1.0  # type: ignore[attr-defined]

    def test_the_webhook_says_whether_its_receiver_deduplicates(self, tmp_path: Path) -> None:
        assert make("webhook", tmp_path).capabilities.idempotency  # type: ignore[attr-defined]
        adapter = make("webhook", tmp_path, receiver_deduplicates=False)
        assert not adapter.capabilities.idempotency  # type: ignore[attr-defined]


class TestMemoryReadsTheAdapters:
    @pytest.mark.parametrize("name", BUILT_IN)
    def test_service_capabilities_are_the_adapters_own(self, name: str) -> None:
        assert SERVICE_CAPABILITIES[name] is registry.load(name).capabilities  # type: ignore[attr-defined]
        assert capabilities_for(name) is SERVICE_CAPABILITIES[name]

    def test_bluesky_does_not_claim_server_side_idempotency(self) -> None:
        # A repeated createRecord collides with the first post instead of returning it.
        assert capabilities_for("bluesky").idempotency is False


def per_second(allowance: tuple[int, timedelta] | None) -> float:
    assert allowance is not None
    requests, period = allowance
    return requests / period.total_seconds()


class TestTheFakesAgree:
    """The fakes enforce what each service documents; the adapters' capabilities must fit it."""

    @pytest.mark.parametrize(
        ("name", "limit", "unit"),
        [
            ("mastodon", fake_mastodon.LIMIT, LengthUnit.CHARACTERS),
            ("bluesky", fake_bluesky.MAX_GRAPHEMES, LengthUnit.GRAPHEMES),
            ("x", fake_x.LIMIT, LengthUnit.WEIGHTED),
        ],
    )
    def test_the_length_limit_is_the_documented_one(
        self, name: str, limit: int, unit: LengthUnit
    ) -> None:
        declared = SERVICE_CAPABILITIES[name]
        assert (declared.max_length, declared.length_unit) == (limit, unit)

    @pytest.mark.parametrize(
        ("name", "fake"),
        [
            ("mastodon", FakeMastodon),
            ("bluesky", FakeBluesky),
            ("x", FakeX),
            ("statuspage", FakeStatuspage),
            ("cachet", FakeCachet),
            ("instatus", FakeInstatus),
        ],
    )
    def test_the_declared_pace_is_within_the_documented_allowance(
        self, name: str, fake: type
    ) -> None:
        declared = SERVICE_CAPABILITIES[name]
        assert declared.rate_limit is not None
        assert declared.rate_limit <= per_second(fake.default_rate_limit)

    def test_the_planned_discord_limit_is_the_documented_one(self) -> None:
        from candor.testing.fakes import discord

        assert SERVICE_CAPABILITIES["discord"].max_length == discord.CONTENT_LIMIT
        assert FakeDiscord.default_rate_limit is not None
