"""A fake of Slack: incoming webhooks and the Web API's ``chat.postMessage`` / ``chat.update``.

Written from Slack's documentation: incoming webhooks,
https://api.slack.com/messaging/webhooks (the ``ok`` answer, ``no_service``,
``invalid_payload``, ``no_text``); https://api.slack.com/methods/chat.postMessage
and https://api.slack.com/methods/chat.update (errors as HTTP 200 ``ok: false``,
``ts``, truncation past 40,000 characters); https://api.slack.com/reference/block-kit/blocks
(a section's text holds 3,000); https://api.slack.com/apis/rate-limits (about one
message a second per channel, 429 with ``Retry-After``); and
https://api.slack.com/reference/surfaces/formatting (``&``, ``<``, ``>`` escaped;
``<!channel>``, ``<!here>``, ``<!everyone>`` notify everyone).

An incoming webhook (``POST /services/T…/B…/<secret>``) answers ``ok`` as text
and returns no message id. The Web API (``Authorization: Bearer xoxb-…``)
answers HTTP 200 with ``{"ok": false, "error": …}`` for every refusal
(``invalid_auth``, ``channel_not_found``, ``no_text``, ``thread_not_found``,
``message_not_found``, ``invalid_blocks``). Text past 40,000 characters is
cut, as Slack does, and the cut is recorded in :attr:`FakeSlack.truncations`;
a section block holds 3,000. About one message per second per channel (429
with ``Retry-After``). Unescaped ``<!channel>``, ``<!here>`` and
``<!everyone>`` are recorded in ``pings``: Slack would have notified everyone.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing.fakes._base import FakeService, Ping, Reply, Request

__all__ = ["FakeSlack"]

TEXT_LIMIT = 40_000
SECTION_LIMIT = 3_000
_MENTION = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")


class FakeSlack(FakeService):
    """A workspace with ``channels``, a bot token and one incoming webhook at ``webhook_path``."""

    service = "slack"
    base_url = "https://slack.com"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (1, timedelta(seconds=1))

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-token",
        webhook_path: str = "/services/T000/B000/webhooksecret",
        channels: tuple[str, ...] = ("C0INCIDENTS",),
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.bot_token = bot_token
        self.webhook_path = webhook_path
        self.channels = set(channels)
        self.messages: list[dict[str, Any]] = []
        self.truncations: list[int] = []
        self._clock_ts = 1_700_000_000

    def rate_key(self, request: Request) -> str | None:
        if request.path == self.webhook_path:
            return request.path
        try:
            return f"{request.bearer()}:{request.data().get('channel')}"
        except ValueError:
            return request.bearer()

    def too_many(self, retry_after: int) -> Reply:
        return Reply.json(
            429, {"ok": False, "error": "ratelimited"}, {"retry-after": str(retry_after)}
        )

    def route(self, request: Request) -> Reply:
        if request.path.startswith("/services/"):
            return self._webhook(request)
        if not request.path.startswith("/api/"):
            return Reply.text(404, "not found")
        method = request.path.removeprefix("/api/")
        if request.bearer() is None:
            return _fail("not_authed")
        if request.bearer() != self.bot_token:
            return _fail("invalid_auth")
        try:
            data = request.data()
        except ValueError:
            return _fail("invalid_json")
        if method == "chat.postMessage":
            return self._post(data)
        if method == "chat.update":
            return self._update(data)
        return _fail("unknown_method")

    def _webhook(self, request: Request) -> Reply:
        if request.path != self.webhook_path:
            return Reply.text(404, "no_service")
        try:
            data = request.data()
        except ValueError:
            return Reply.text(400, "invalid_payload")
        if not data.get("text") and not data.get("blocks"):
            return Reply.text(400, "no_text")
        problem = self._blocks_problem(data)
        if problem is not None:
            return Reply.text(400, problem)
        self._take(data, channel="webhook", thread=None)
        return Reply.text(200, "ok")

    def _blocks_problem(self, data: dict[str, Any]) -> str | None:
        blocks = data.get("blocks")
        if blocks is None:
            return None
        if not isinstance(blocks, list):
            return "invalid_blocks"
        for block in blocks:
            text = block.get("text", {}) if isinstance(block, dict) else None
            if not isinstance(text, dict):
                continue
            if len(str(text.get("text", ""))) > SECTION_LIMIT:
                return "invalid_blocks"
        return None

    def _take(self, data: dict[str, Any], *, channel: str, thread: str | None) -> dict[str, Any]:
        text = str(data.get("text", ""))
        if len(text) > TEXT_LIMIT:
            self.truncations.append(len(text))
            text = text[:TEXT_LIMIT]
        self._record_pings(text)
        self._clock_ts += 1
        ts = f"{self._clock_ts}.{self.new_id():06d}"
        message = {
            "ts": ts,
            "channel": channel,
            "text": text,
            "thread_ts": thread,
            "blocks": data.get("blocks"),
        }
        self.messages.append(message)
        return message

    def _record_pings(self, text: str) -> None:
        for match in _MENTION.finditer(text):
            self.pings.append(Ping(self.service, f"<!{match[1]}>", text))

    def _post(self, data: dict[str, Any]) -> Reply:
        channel = data.get("channel")
        if channel not in self.channels:
            return _fail("channel_not_found")
        if not data.get("text") and not data.get("blocks"):
            return _fail("no_text")
        problem = self._blocks_problem(data)
        if problem is not None:
            return _fail(problem)
        thread = data.get("thread_ts")
        if thread is not None and not any(
            m["ts"] == thread and m["channel"] == channel for m in self.messages
        ):
            return _fail("thread_not_found")
        message = self._take(data, channel=str(channel), thread=thread)
        return Reply.json(
            200,
            {
                "ok": True,
                "channel": channel,
                "ts": message["ts"],
                "message": {"text": message["text"], "ts": message["ts"]},
            },
        )

    def _update(self, data: dict[str, Any]) -> Reply:
        channel, ts = data.get("channel"), data.get("ts")
        if channel not in self.channels:
            return _fail("channel_not_found")
        found = next((m for m in self.messages if m["ts"] == ts and m["channel"] == channel), None)
        if found is None:
            return _fail("message_not_found")
        if not data.get("text") and not data.get("blocks"):
            return _fail("no_text")
        text = str(data.get("text", ""))
        if len(text) > TEXT_LIMIT:
            self.truncations.append(len(text))
            text = text[:TEXT_LIMIT]
        self._record_pings(text)
        found["text"] = text
        return Reply.json(200, {"ok": True, "channel": channel, "ts": ts, "text": text})


def _fail(error: str) -> Reply:
    return Reply.json(200, {"ok": False, "error": error})
