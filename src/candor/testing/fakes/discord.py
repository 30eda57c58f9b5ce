"""A fake of Discord's webhooks (execute, and edit a message the webhook sent).

``POST /api/webhooks/{id}/{token}`` (``?wait=true`` answers with the message,
otherwise 204) and ``PATCH /api/webhooks/{id}/{token}/messages/{message_id}``.
Enforces: the webhook id and token (404 ``Unknown Webhook``, 401 ``Invalid
Webhook Token``); content or embeds (50006 empty message); content at most
2000 characters (50035 invalid form body); 5 requests per 2 seconds per
webhook (429 with ``Retry-After``, the ``X-RateLimit-*`` headers and
``retry_after``/``global`` in the body, as the spec's ClientRatelimitedResponse). ``@everyone``
and ``@here`` are recorded in ``pings`` unless ``allowed_mentions`` leaves
``everyone`` out of ``parse``. Bodies are checked against
``discord/openapi.json`` when it is available.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from candor.testing.fakes._base import FakeService, Ping, Reply, Request
from candor.testing.fakes._spec import SpecStatus, load_openapi, locate

__all__ = ["FakeDiscord"]

CONTENT_LIMIT = 2000
_ROUTE = re.compile(
    r"^/api(?:/v\d+)?/webhooks/(?P<id>[^/]+)/(?P<token>[^/]+)(?:/messages/(?P<message>[^/]+))?/?$"
)
_MENTION = re.compile(r"@(everyone|here)\b")


def _error(status: int, code: int, message: str, **extra: Any) -> Reply:
    return Reply.json(status, {"message": message, "code": code, **extra})


class FakeDiscord(FakeService):
    """One webhook, ``webhook_id`` with ``webhook_token``, posting into ``channel_id``."""

    service = "discord"
    base_url = "https://discord.com"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (5, timedelta(seconds=2))

    def __init__(
        self,
        *,
        webhook_id: str = "1100000000000000001",
        webhook_token: str = "discord-webhook-token",
        channel_id: str = "1200000000000000001",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.webhook_id = webhook_id
        self.webhook_token = webhook_token
        self.channel_id = channel_id
        self.messages: dict[str, dict[str, Any]] = {}

    def _load_spec(self, specs: str | Path | Literal[False] | None) -> SpecStatus:
        path, status = locate(specs, "discord/openapi.json")
        self._openapi = load_openapi(path) if path is not None else None
        return status

    def rate_key(self, request: Request) -> str | None:
        match = _ROUTE.match(request.path)
        return match["id"] if match else None

    def too_many(self, retry_after: int) -> Reply:
        # discord/openapi.json, components.responses.ClientRatelimitedResponse: the
        # X-RateLimit-* headers and a RatelimitedResponse body (retry_after, global);
        # Discord's rate-limit docs add Retry-After on a 429.
        allowed = self.rate_limit[0] if self.rate_limit else 0
        reset = self.clock().timestamp() + retry_after
        return Reply.json(
            429,
            {
                "message": "You are being rate limited.",
                "retry_after": float(retry_after),
                "global": False,
            },
            {
                "retry-after": str(retry_after),
                "x-ratelimit-limit": str(allowed),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": f"{reset:.3f}",
                "x-ratelimit-reset-after": f"{float(retry_after):.3f}",
                "x-ratelimit-bucket": "webhook",
            },
        )

    def route(self, request: Request) -> Reply:
        match = _ROUTE.match(request.path)
        if match is None:
            return _error(404, 0, "404: Not Found")
        if match["id"] != self.webhook_id:
            return _error(404, 10015, "Unknown Webhook")
        if match["token"] != self.webhook_token:
            return _error(401, 50027, "Invalid Webhook Token")
        message_id = match["message"]
        if message_id is None and request.method == "POST":
            return self._execute(request)
        if message_id is not None and request.method in ("PATCH", "GET"):
            if message_id not in self.messages:
                return _error(404, 10008, "Unknown Message")
            if request.method == "GET":
                return Reply.json(200, self.messages[message_id])
            return self._edit(request, self.messages[message_id])
        return _error(405, 0, "405: Method Not Allowed")

    def _body(self, request: Request, method: str, template: str) -> dict[str, Any] | Reply:
        try:
            data = request.data()
        except ValueError:
            return _error(400, 50109, "The request body contains invalid JSON.")
        if self._openapi is not None and "json" in request.headers.get("content-type", ""):
            problems = self._openapi.validate(method, template, data)
            if problems:
                self.spec_violations += problems
                return _error(400, 50035, "Invalid Form Body", errors=problems)
        content = data.get("content")
        if isinstance(content, str) and len(content) > CONTENT_LIMIT:
            return _error(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "content": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_MAX_LENGTH",
                                "message": f"Must be {CONTENT_LIMIT} or fewer in length.",
                            }
                        ]
                    }
                },
            )
        return data

    def _pings(self, data: dict[str, Any]) -> None:
        content = data.get("content")
        if not isinstance(content, str):
            return
        allowed = data.get("allowed_mentions")
        if isinstance(allowed, dict) and "everyone" not in (allowed.get("parse") or []):
            return  # allowed_mentions forbids @everyone and @here
        for match in _MENTION.finditer(content):
            self.pings.append(Ping(self.service, f"@{match[1]}", content))

    def _execute(self, request: Request) -> Reply:
        data = self._body(request, "post", "/webhooks/{webhook_id}/{webhook_token}")
        if isinstance(data, Reply):
            return data
        if not data.get("content") and not data.get("embeds"):
            return _error(400, 50006, "Cannot send an empty message")
        self._pings(data)
        message_id = str(1300000000000000000 + self.new_id())
        message = {
            "id": message_id,
            "channel_id": request.query.get("thread_id", self.channel_id),
            "webhook_id": self.webhook_id,
            "content": data.get("content", ""),
            "embeds": data.get("embeds") or [],
            "timestamp": request.at.isoformat(),
            "edited_timestamp": None,
        }
        self.messages[message_id] = message
        if request.query.get("wait", "").lower() == "true":
            return Reply.json(200, message)
        return Reply(204)

    def _edit(self, request: Request, message: dict[str, Any]) -> Reply:
        data = self._body(
            request, "patch", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        )
        if isinstance(data, Reply):
            return data
        self._pings(data)
        for key in ("content", "embeds"):
            if key in data:
                message[key] = data[key]
        message["edited_timestamp"] = request.at.isoformat()
        return Reply.json(200, message)
