"""A fake of a Bluesky PDS's XRPC endpoints for posting.

``com.atproto.server.createSession`` (identifier and app password) gives an
access and a refresh token; ``refreshSession`` takes the refresh token;
``com.atproto.repo.createRecord`` and ``getRecord`` write and read posts.
Enforces: the access token (expired after ``access_ttl`` on the fake's clock:
400 ``ExpiredToken``); the repo is the session's own; a post's text at most 300
graphemes and 3000 UTF-8 bytes; an ``rkey`` that already exists is refused (so
an adapter that derives its rkey from the idempotency key never posts twice);
the lexicons in ``atproto/lexicons`` when they are available.

Sources: the lexicons in the shared specs (``com.atproto.server.createSession``,
``refreshSession``, ``com.atproto.repo.createRecord``/``getRecord``,
``app.bsky.feed.post``: text ``maxGraphemes`` 300, ``maxLength`` 3000), the XRPC
specification https://atproto.com/specs/xrpc (errors as ``{"error", "message"}``,
``ExpiredToken``, ``InvalidToken``), and https://docs.bsky.app/docs/advanced-guides/rate-limits
(a PDS's content writes are limited per account, 5,000 points an hour at 3 points
a created record, hence about 1,500 posts an hour; over it 429 with the
``RateLimit-*`` headers of draft-polli-ratelimit-headers, which the fake sends
with ``Retry-After``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from candor.testing._length import graphemes
from candor.testing.fakes._base import FakeService, Reply, Request
from candor.testing.fakes._spec import SpecStatus, load_lexicons, locate

__all__ = ["FakeBluesky"]

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000


def _error(status: int, error: str, message: str) -> Reply:
    return Reply.json(status, {"error": error, "message": message})


class FakeBluesky(FakeService):
    """A PDS with one account: ``handle``/``did``, signing in with ``app_password``."""

    service = "bluesky"
    base_url = "https://bsky.social"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (1500, timedelta(hours=1))

    def __init__(
        self,
        *,
        handle: str = "status.example.com",
        did: str = "did:plc:fakestatusaccount",
        app_password: str = "app-pass-word",
        access_ttl: timedelta = timedelta(hours=2),
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.handle = handle
        self.did = did
        self.app_password = app_password
        self.access_ttl = access_ttl
        self.records: dict[str, dict[str, Any]] = {}
        self._access: dict[str, datetime] = {}
        self._refresh: set[str] = set()

    def _load_spec(self, specs: str | Path | Literal[False] | None) -> SpecStatus:
        path, status = locate(specs, "atproto/lexicons")
        self._lexicons = load_lexicons(path) if path is not None else None
        return status

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or "anonymous"

    def too_many(self, retry_after: int) -> Reply:
        # docs.bsky.app rate limits: a 429 with the RateLimit-* headers (reset in epoch
        # seconds); Retry-After as well, which not every PDS sends.
        reply = _error(429, "RateLimitExceeded", "Rate Limit Exceeded")
        allowed = self.rate_limit[0] if self.rate_limit else 0
        reply.headers.update(
            {
                "retry-after": str(retry_after),
                "ratelimit-limit": str(allowed),
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(int(self.clock().timestamp()) + retry_after),
            }
        )
        return reply

    def route(self, request: Request) -> Reply:
        nsid = request.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession" and request.method == "POST":
            return self._create_session(request)
        if nsid == "com.atproto.server.refreshSession" and request.method == "POST":
            return self._refresh_session(request)
        if nsid == "com.atproto.repo.getRecord" and request.method == "GET":
            return self._get_record(request)
        if nsid == "com.atproto.repo.createRecord" and request.method == "POST":
            return self._create_record(request)
        return _error(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")

    def _input(self, request: Request, nsid: str) -> dict[str, Any] | Reply:
        try:
            data = request.data()
        except ValueError:
            return _error(400, "InvalidRequest", "Request body must be a JSON object")
        if self._lexicons is not None:
            problems = self._lexicons.validate_input(nsid, data)
            if problems:
                self.spec_violations += problems
                return _error(400, "InvalidRequest", problems[0])
        return data

    def _session(self) -> dict[str, Any]:
        access, refresh = f"access-{secrets.token_hex(8)}", f"refresh-{secrets.token_hex(8)}"
        self._access[access] = self.clock() + self.access_ttl
        self._refresh.add(refresh)
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.handle,
            "did": self.did,
            "active": True,
        }

    def _create_session(self, request: Request) -> Reply:
        data = self._input(request, "com.atproto.server.createSession")
        if isinstance(data, Reply):
            return data
        if data.get("identifier") not in (self.handle, self.did) or (
            data.get("password") != self.app_password
        ):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return Reply.json(200, self._session())

    def _refresh_session(self, request: Request) -> Reply:
        token = request.bearer()
        if token in self._access:
            return _error(400, "InvalidToken", "Token has the wrong scope: use the refresh token")
        if token not in self._refresh:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        self._refresh.discard(token)
        return Reply.json(200, self._session())

    def _authorised(self, request: Request) -> Reply | None:
        token = request.bearer()
        if token is None or token not in self._access:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        if request.at >= self._access[token]:
            return _error(400, "ExpiredToken", "Token has expired")
        return None

    def _create_record(self, request: Request) -> Reply:
        refused = self._authorised(request)
        if refused is not None:
            return refused
        data = self._input(request, "com.atproto.repo.createRecord")
        if isinstance(data, Reply):
            return data
        if data.get("repo") not in (self.did, self.handle):
            return _error(400, "InvalidRequest", "Can not create a record in another repo")
        collection, record = data.get("collection"), data.get("record")
        if not isinstance(record, dict) or record.get("$type") != collection:
            return _error(400, "InvalidRequest", "Invalid record: $type must match collection")
        if collection == POST:
            text = record.get("text", "")
            if isinstance(text, str) and graphemes(text) > MAX_GRAPHEMES:
                return _error(
                    400,
                    "InvalidRequest",
                    f"Invalid {POST} record: Record/text must "
                    f"not be longer than {MAX_GRAPHEMES} graphemes",
                )
            if isinstance(text, str) and len(text.encode("utf-8")) > MAX_BYTES:
                return _error(
                    400,
                    "InvalidRequest",
                    f"Invalid {POST} record: Record/text must "
                    f"not be longer than {MAX_BYTES} characters",
                )
            if self._lexicons is not None:
                problems = self._lexicons.validate_record(POST, record)
                if problems:
                    self.spec_violations += problems
                    return _error(400, "InvalidRequest", f"Invalid {POST} record: {problems[0]}")
            reply = record.get("reply")
            if isinstance(reply, dict):
                for part in ("root", "parent"):
                    uri = (
                        reply.get(part, {}).get("uri")
                        if isinstance(reply.get(part), dict)
                        else None
                    )
                    if uri not in self.records:
                        return _error(400, "InvalidRequest", f"reply {part} {uri} not found")
        rkey = data.get("rkey") or f"3l{self.new_id():011d}"
        uri = f"at://{self.did}/{collection}/{rkey}"
        if uri in self.records:
            return _error(400, "InvalidRequest", f"Record already exists at {uri}")
        cid = f"bafyrei{secrets.token_hex(12)}"
        self.records[uri] = {"uri": uri, "cid": cid, "value": record}
        return Reply.json(200, {"uri": uri, "cid": cid, "validationStatus": "valid"})

    def _get_record(self, request: Request) -> Reply:
        query = request.query
        missing = [name for name in ("repo", "collection", "rkey") if not query.get(name)]
        if missing:
            return _error(
                400, "InvalidRequest", f"Error: Params must have the property {missing[0]}"
            )
        if query["repo"] not in (self.did, self.handle):
            return _error(400, "RecordNotFound", "Could not locate record")
        uri = f"at://{self.did}/{query['collection']}/{query['rkey']}"
        if uri not in self.records:
            return _error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return Reply.json(200, self.records[uri])
