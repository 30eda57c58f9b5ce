"""FakeSlack: incoming webhooks, chat.postMessage and chat.update, errors at HTTP 200, pings."""

from __future__ import annotations

import pytest

from candor.testing import Clock
from candor.testing.fakes import FakeSlack
from tests.testing.fakes.conftest import client_for

AUTH = {"Authorization": "Bearer xoxb-fake-token"}
HOOK = "/services/T000/B000/webhooksecret"


class TestWebhook:
    def test_answers_ok_and_no_message_id(self) -> None:
        fake = FakeSlack()
        answer = client_for(fake).post(HOOK, json={"text": "API is down."})
        assert (answer.status_code, answer.text) == (200, "ok")
        assert fake.messages[0]["text"] == "API is down."

    def test_an_unknown_webhook_and_an_empty_message_are_refused(self) -> None:
        http = client_for(FakeSlack())
        assert http.post("/services/T0/B0/wrong", json={"text": "x"}).text == "no_service"
        assert http.post(HOOK, json={}).text == "no_text"


class TestWebAPI:
    def test_posts_threads_and_edits(self) -> None:
        fake = FakeSlack(rate_limit=None)
        http = client_for(fake)
        first = http.post(
            "/api/chat.postMessage", json={"channel": "C0INCIDENTS", "text": "Down."}, headers=AUTH
        ).json()
        assert first["ok"] is True
        reply = http.post(
            "/api/chat.postMessage",
            json={"channel": "C0INCIDENTS", "text": "Found it.", "thread_ts": first["ts"]},
            headers=AUTH,
        ).json()
        assert reply["ok"] is True
        assert fake.messages[1]["thread_ts"] == first["ts"]
        edited = http.post(
            "/api/chat.update",
            json={"channel": "C0INCIDENTS", "ts": first["ts"], "text": "Down (edited)."},
            headers=AUTH,
        ).json()
        assert edited["ok"] is True

    @pytest.mark.parametrize(
        ("headers", "body", "error"),
        [
            ({}, {"channel": "C0INCIDENTS", "text": "x"}, "not_authed"),
            ({"Authorization": "Bearer xoxb-no"}, {"channel": "C0INCIDENTS", "text": "x"},
             "invalid_auth"),
            (AUTH, {"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
            (AUTH, {"channel": "C0INCIDENTS"}, "no_text"),
            (AUTH, {"channel": "C0INCIDENTS", "text": "x", "thread_ts": "1.2"}, "thread_not_found"),
            (AUTH, {"channel": "C0INCIDENTS", "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
             "invalid_blocks"),
        ],
    )  # fmt: skip
    def test_refusals_are_http_200_with_ok_false(
        self, headers: dict[str, str], body: dict[str, object], error: str
    ) -> None:
        answer = client_for(FakeSlack()).post("/api/chat.postMessage", json=body, headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {"ok": False, "error": error}

    def test_text_past_40000_characters_is_cut_and_the_cut_recorded(self) -> None:
        fake = FakeSlack()
        client_for(fake).post(
            "/api/chat.postMessage", json={"channel": "C0INCIDENTS", "text": "x" * 40_001},
            headers=AUTH,
        )  # fmt: skip
        assert fake.truncations == [40_001]
        assert len(fake.messages[0]["text"]) == 40_000

    def test_one_message_per_second_per_channel(self, clock: Clock) -> None:
        http = client_for(FakeSlack(clock=clock))
        body = {"channel": "C0INCIDENTS", "text": "x"}
        assert http.post("/api/chat.postMessage", json=body, headers=AUTH).json()["ok"]
        limited = http.post("/api/chat.postMessage", json=body, headers=AUTH)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"
        clock.advance(seconds=1)
        assert http.post("/api/chat.postMessage", json=body, headers=AUTH).json()["ok"]


class TestPings:
    def test_unescaped_mentions_are_recorded_and_escaped_ones_are_not(self) -> None:
        fake = FakeSlack(rate_limit=None)
        http = client_for(fake)
        http.post(HOOK, json={"text": "<!channel> API is down"})
        http.post(HOOK, json={"text": "heads up <!here|here> and <!everyone>"})
        http.post(HOOK, json={"text": "&lt;!channel&gt; is only text"})
        assert [ping.mention for ping in fake.pings] == ["<!channel>", "<!here>", "<!everyone>"]
