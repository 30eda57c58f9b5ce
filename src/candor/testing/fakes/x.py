"""A fake of X's API v2 for posting (``POST https://api.x.com/2/tweets``).

Enforces: ``Authorization: Bearer <user access token>``, or an OAuth 1.0a
signature (HMAC-SHA1, checked with ``oauthlib``) by the keys given as
``oauth1``; a ``text``; 280
weighted characters (NFC; most Latin, Greek, Cyrillic and punctuation weigh 1,
other code points 2, every URL 23); a reply to a post that exists; the same
text twice is refused (403 duplicate content); 200 posts per 15 minutes per
user, over which it answers 429 with ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (the window's end, in
Unix epoch seconds) and the body ``{"errors": [{"code": 88, "message": "Rate
limit exceeded"}]}``, and no ``Retry-After``: X's "Rate limits" page
(https://docs.x.com/fundamentals/rate-limits) documents those headers and that
body, and no other way of saying how long to wait. X has no idempotency key and
no edits.
"""

from __future__ import annotations

import hmac
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

    def __init__(
        self,
        *,
        access_token: str = "x-user-token",
        oauth1: tuple[str, str, str, str] | None = None,
        **options: Any,
    ) -> None:
        """``oauth1``: (API key, API secret, access token, access token secret) it accepts."""
        super().__init__(**options)
        self.access_token = access_token
        self.oauth1 = oauth1
        self.tweets: dict[str, dict[str, Any]] = {}

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or _oauth_params(request).get("oauth_token") or "anonymous"

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return request.bearer() == self.access_token
        if self.oauth1 is None:
            return False
        from oauthlib.oauth1 import Client
        from oauthlib.oauth1.rfc5849 import signature

        key, secret, token, token_secret = self.oauth1
        params = _oauth_params(request)
        if params.get("oauth_consumer_key") != key or params.get("oauth_token") != token:
            return False
        if params.get("oauth_signature_method") != "HMAC-SHA1":
            return False
        given = params.pop("oauth_signature", "")
        pairs = list(params.items()) + list(request.query.items())
        base = signature.signature_base_string(
            request.method,  # type: ignore[arg-type]
            signature.base_string_uri(f"{self.base_url}{request.path}"),
            signature.normalize_parameters(pairs),  # type: ignore[arg-type]
        )
        signer = Client(
            key, client_secret=secret, resource_owner_key=token, resource_owner_secret=token_secret
        )
        expected = signature.sign_hmac_sha1_with_client(base, signer)
        return hmac.compare_digest(expected.encode(), given.encode())

    def too_many(self, retry_after: int) -> Reply:
        # https://docs.x.com/fundamentals/rate-limits: the x-rate-limit-* headers, the code 88
        # body, and no Retry-After.
        allowed = self.rate_limit[0] if self.rate_limit is not None else 0
        reset = int(self.clock().timestamp()) + retry_after
        return Reply.json(
            429,
            {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
            {
                "x-rate-limit-limit": str(allowed),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(reset),
            },
        )

    def route(self, request: Request) -> Reply:
        if not self._authorised(request):
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


def _oauth_params(request: Request) -> dict[str, str]:
    header = request.headers.get("authorization", "")
    if not header.startswith("OAuth "):
        return {}
    from oauthlib.oauth1.rfc5849 import utils

    return {key: utils.unescape(value) for key, value in utils.parse_authorization_header(header)}
