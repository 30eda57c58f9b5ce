"""The kit's readers of a service's "too many requests": each service's own way of saying it.

- X: ``x-rate-limit-reset`` (the window's end, Unix epoch seconds) and no
  ``Retry-After`` (https://docs.x.com/fundamentals/rate-limits).
- Discord: the body's ``retry_after`` (seconds, with a fraction) and ``global``,
  both required by ``RatelimitedResponse`` in Discord's OpenAPI description
  (``../shared/specs/discord/openapi.json``); ``X-RateLimit-Scope`` says
  ``global`` too (https://docs.discord.com/developers/topics/rate-limits).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.conftest import START
from tests.testing.fakes.conftest import client_for

from candor.adapters import Wait, check_response, discord_wait, reset_header
from candor.errors import DeliveryError
from candor.testing import Clock
from candor.testing.fakes import FakeDiscord, FakeX
from candor.testing.fakes._spec import find_specs

X_RESET = reset_header("x-rate-limit-reset")
HOOK = "/api/webhooks/1100000000000000001/discord-webhook-token"


def discord_429(body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(429, json=body, headers=headers)


def ratelimited_schema() -> dict[str, Any]:
    specs = find_specs()
    if specs is None or not (specs / "discord" / "openapi.json").is_file():
        pytest.skip("Discord's OpenAPI description is not at hand")
    spec = json.loads((specs / "discord" / "openapi.json").read_text(encoding="utf-8"))
    schema: dict[str, Any] = spec["components"]["schemas"]["RatelimitedResponse"]
    return schema


class TestX:
    def test_the_reset_is_measured_from_now(self) -> None:
        reset = str(int(START.timestamp()) + 600)
        response = httpx.Response(429, headers={"x-rate-limit-reset": reset})
        assert X_RESET(response, START) == Wait(600.0)

    @pytest.mark.parametrize(
        ("reset", "expected"),
        [
            ("0", Wait(0.0)),
            ("9" * 40, Wait(10 * 365 * 86400.0)),
            ("nan", None),
            ("-1", None),
            ("soon", None),
        ],
    )
    def test_a_reset_in_the_past_far_off_or_not_a_time(
        self, reset: str, expected: Wait | None
    ) -> None:
        response = httpx.Response(429, headers={"x-rate-limit-reset": reset})
        assert X_RESET(response, START) == expected

    def test_without_the_header_the_default_reading_applies(self) -> None:
        response = httpx.Response(429, headers={"Retry-After": "5"})
        assert X_RESET(response, START) == Wait(5.0)

    def test_against_the_fake_the_wait_is_the_windows_end(self, clock: Clock) -> None:
        http = client_for(FakeX(clock=clock, rate_limit=(1, timedelta(minutes=15))))
        auth = {"Authorization": "Bearer x-user-token"}
        assert http.post("/2/tweets", json={"text": "1"}, headers=auth).status_code == 201
        clock.advance(minutes=5)
        limited = http.post("/2/tweets", json={"text": "2"}, headers=auth)
        with pytest.raises(DeliveryError) as raised:
            check_response("x", limited, now=clock(), wait=X_RESET)
        assert raised.value.retry_after == 600.0
        assert raised.value.retryable
        assert not raised.value.maybe_delivered
        with pytest.raises(DeliveryError) as by_default:
            check_response("x", limited, now=clock())
        assert by_default.value.retry_after is None  # what candor read before


class TestDiscord:
    def test_the_body_s_fraction_wins_over_the_whole_seconds_of_the_header(self) -> None:
        body = {"message": "You are being rate limited.", "retry_after": 1.337, "global": False}
        response = discord_429(body, **{"Retry-After": "2"})
        assert discord_wait(response) == Wait(1.337)

    def test_global_is_said_in_the_error(self) -> None:
        body = {"message": "You are being rate limited.", "retry_after": 0.5, "global": True}
        response = discord_429(body)
        assert discord_wait(response) == Wait(0.5, "global")
        with pytest.raises(DeliveryError) as raised:
            check_response("chat", response, wait=discord_wait)
        assert raised.value.retry_after == 0.5
        assert "global rate limit" in str(raised.value)

    def test_the_scope_header_says_global_too(self) -> None:
        body = {"message": "You are being rate limited.", "retry_after": 3, "global": False}
        response = discord_429(body, **{"X-RateLimit-Scope": "global"})
        assert discord_wait(response) == Wait(3.0, "global")

    @pytest.mark.parametrize("wait", [float("inf"), float("nan"), -2, "5", None])
    def test_a_wild_body_falls_back_to_the_header_or_to_none(self, wait: object) -> None:
        text = json.dumps({"message": "x", "retry_after": wait, "global": False})
        response = httpx.Response(
            429, content=text, headers={"Content-Type": "application/json", "Retry-After": "4"}
        )
        found = discord_wait(response)
        assert found is not None
        assert found.seconds == (10 * 365 * 86400.0 if wait == float("inf") else 4.0)

    def test_the_shape_tested_is_the_one_discord_describes(self) -> None:
        schema = ratelimited_schema()
        own = next(part for part in schema["allOf"] if "properties" in part)
        assert set(own["required"]) == {"retry_after", "global"}
        assert own["properties"]["retry_after"]["type"] == "number"
        assert own["properties"]["global"]["type"] == "boolean"

    def test_against_the_fake(self, clock: Clock) -> None:
        http = client_for(FakeDiscord(clock=clock, rate_limit=(1, timedelta(seconds=10))))
        assert http.post(HOOK, json={"content": "one"}).is_success
        limited = http.post(HOOK, json={"content": "two"})
        assert limited.status_code == 429
        found = discord_wait(limited)
        assert found is not None
        assert found.seconds == pytest.approx(10.0)
        assert found.scope is None
