"""A fake of X's API v2 for posting (``POST https://api.x.com/2/tweets``).

Enforces: ``Authorization: Bearer <user access token>``; a ``text``; 280
weighted characters (NFC; most Latin, Greek, Cyrillic and punctuation weigh 1,
other code points 2, every URL 23); a reply to a post that exists; the same
text twice is refused (403 duplicate content); 200 posts per 15 minutes per
user (429 with ``Retry-After`` and ``x-rate-limit-reset``). X has no
idempotency key and no edits.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing._length import weighted_length
from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeX"]

LIMIT = 280


def _problem(status: int, title: str, detail: str) -> Reply:
    return Reply.json(
        status, {"title": title, "detail": detail, "type": "about:blank", "status": status}
    )


class FakeX(FakeService):
    """X for one user, reachable with ``access_token``."""

    service = "x"
    base_url = "https://api.x.com"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (200, timedelta(minutes=15))

    def __init__(self, *, access_token: str = "x-user-token", **options: Any) -> None:
        super().__init__(**options)
        self.access_token = access_token
        self.tweets: dict[str, dict[str, Any]] = {}

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or "anonymous"

    def too_many(self, retry_after: int) -> Reply:
        reply = _problem(429, "Too Many Requests", "Too Many Requests")
        reset = int(self.clock().timestamp()) + retry_after
        reply.headers.update(
            {
                "retry-after": str(retry_after),
                "x-rate-limit-reset": str(reset),
                "x-rate-limit-remaining": "0",
            }
        )
        return reply

    def route(self, request: Request) -> Reply:
        if request.bearer() != self.access_token:
            return _problem(401, "Unauthorized", "Unauthorized")
        if request.path.rstrip("/") != "/2/tweets" or request.method != "POST":
            return _problem(404, "Not Found Error", f"no route {request.method} {request.path}")
        try:
            data = request.json()
        except ValueError:
            return _problem(400, "Invalid Request", "the body is not JSON")
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _problem(400, "Invalid Request", "text is required")
        weight = weighted_length(text)
        if weight > LIMIT:
            return _problem(
                400,
                "Invalid Request",
                f"text is too long: {weight} weighted characters, over {LIMIT}",
            )
        normal = unicodedata.normalize("NFC", text)
        if any(tweet["text"] == normal for tweet in self.tweets.values()):
            return _problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        reply = data.get("reply")
        parent = None
        if reply is not None:
            parent = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
            if parent not in self.tweets:
                return _problem(
                    400, "Invalid Request", "the post you are replying to does not exist"
                )
        tweet_id = str(1860000000000000000 + self.new_id())
        self.tweets[tweet_id] = {"id": tweet_id, "text": normal, "in_reply_to": parent}
        return Reply.json(
            201, {"data": {"id": tweet_id, "text": normal, "edit_history_tweet_ids": [tweet_id]}}
        )
