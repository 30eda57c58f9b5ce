"""A fake of a Mastodon server's statuses API (``POST /api/v1/statuses`` and friends).

Written from Mastodon's documentation and source, cited beside each behaviour:
[statuses] https://docs.joinmastodon.org/methods/statuses/, [status]
https://docs.joinmastodon.org/entities/Status/, [instance]
https://docs.joinmastodon.org/methods/instance/#v2, [limits]
https://docs.joinmastodon.org/api/rate-limits/, [apps]
https://docs.joinmastodon.org/methods/apps/#verify_credentials, [rack] Mastodon's
config/initializers/rack_attack.rb, and the shared spec ``mastodon/openapi.json``.

Enforces: ``Authorization: Bearer <access token>``; a ``status`` text (or
media); ``max_characters`` (500) as Mastodon counts them (every URL is
``characters_reserved_per_url``, 23), both published at ``GET /api/v2/instance``
(no token needed) [instance]; edits (``PUT /api/v1/statuses/:id``) kept in
``edits``; a reply to a status that exists; ``Idempotency-Key`` (the same key
from the same account within an hour gives back the first status) [statuses];
300 requests per 5 minutes per account [limits], answered over it with 429 and
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (an
ISO 8601 time) and no ``Retry-After`` [rack]. A status is answered as the
Status entity [status]: ``content`` is HTML, ``text`` is null (Mastodon returns
the source text only from ``GET /api/v1/statuses/:id/source`` or a delete), so
the text as posted is in :attr:`FakeMastodon.sources`. ``GET
/api/v1/apps/verify_credentials`` answers the Application entity for any valid
token, whatever its scopes (since 4.3.0) [apps]. Bodies are checked
against ``mastodon/openapi.json`` when it is available. The fake reads no
mentions (``mentions`` is always empty).
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from candor.testing._length import URL_WEIGHT, with_links_as
from candor.testing.fakes._base import FakeService, Reply, Request
from candor.testing.fakes._spec import SpecStatus, load_openapi, locate

__all__ = ["FakeMastodon"]

_STATUS = re.compile(r"^/api/v1/statuses/(?P<id>[^/]+)(?P<source>/source)?/?$")
LIMIT = 500


def mastodon_length(text: str, reserved_per_url: int = URL_WEIGHT) -> int:
    """The length Mastodon counts: characters, with every link counted as ``reserved_per_url``."""
    return len(with_links_as(text, "x" * reserved_per_url))


class FakeMastodon(FakeService):
    """A Mastodon server with one account, reachable with ``access_token``."""

    service = "mastodon"
    base_url = "https://mastodon.example"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (300, timedelta(minutes=5))
    spec_file = "mastodon/openapi.json"

    def __init__(
        self,
        *,
        access_token: str = "mastodon-token",
        account: str = "status",
        max_characters: int = LIMIT,
        characters_reserved_per_url: int = URL_WEIGHT,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.access_token = access_token
        self.account = account
        self.max_characters = max_characters
        self.characters_reserved_per_url = characters_reserved_per_url
        self.statuses: dict[str, dict[str, Any]] = {}
        """Each status as Mastodon answers it (``content`` HTML), by id."""
        self.sources: dict[str, str] = {}
        """Each status's text as posted (its source), by id."""
        self.edits: list[dict[str, Any]] = []
        """Each edit as made: ``{"id": ..., "before": ..., "after": ...}``."""
        self._keys: dict[str, tuple[datetime, str]] = {}

    def _load_spec(self, specs: str | Path | Literal[False] | None) -> SpecStatus:
        path, status = locate(specs, self.spec_file)
        self._openapi = load_openapi(path) if path is not None else None
        return status

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or "anonymous"

    def too_many(self, retry_after: int) -> Reply:
        # [rack] the throttled responder: X-RateLimit-Limit, -Remaining "0" and -Reset, the
        # end of the period as an ISO 8601 time; no Retry-After.
        allowed = self.rate_limit[0] if self.rate_limit else 0
        reset = self.clock() + timedelta(seconds=retry_after)
        return Reply.json(
            429,
            {"error": "Too many requests"},
            {
                "x-ratelimit-limit": str(allowed),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": reset.isoformat(timespec="microseconds"),
            },
        )

    def route(self, request: Request) -> Reply:
        if request.path.rstrip("/") == "/api/v2/instance" and request.method == "GET":
            return self._instance()
        if request.bearer() != self.access_token:
            return Reply.json(401, {"error": "The access token is invalid"})
        if request.path.rstrip("/") == "/api/v1/apps/verify_credentials":
            # [apps] "Confirm that the app's OAuth2 credentials work"; any valid app token
            # since 4.3.0; answers the Application entity (its name, its scopes).
            if request.method != "GET":
                return Reply.json(404, {"error": "Record not found"})
            return Reply.json(200, {"name": "candor", "scopes": ["write:statuses"]})
        if request.path.rstrip("/") == "/api/v1/statuses" and request.method == "POST":
            return self._create(request)
        match = _STATUS.match(request.path)
        if match is None:
            return Reply.json(404, {"error": "Record not found"})
        status = self.statuses.get(match["id"])
        if status is None:
            return Reply.json(404, {"error": "Record not found"})
        if match["source"] and request.method == "GET":
            # [statuses] "View status source": id, text, spoiler_text.
            return Reply.json(
                200, {"id": status["id"], "text": self.sources[status["id"]], "spoiler_text": ""}
            )
        if request.method == "GET":
            return Reply.json(200, status)
        if request.method == "PUT":
            return self._edit(request, status)
        return Reply.json(405, {"error": "method not allowed"})

    def _instance(self) -> Reply:
        return Reply.json(
            200,
            {
                "domain": self.base_url.split("://", 1)[1],
                "title": "A fake Mastodon",
                "version": "4.3.0",
                "configuration": {
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": 4,
                        "characters_reserved_per_url": self.characters_reserved_per_url,
                    }
                },
            },
        )

    def _body(self, request: Request, method: str, template: str) -> dict[str, Any] | Reply:
        try:
            data = request.data()
        except ValueError:
            return Reply.json(400, {"error": "the body is not JSON or form data"})
        if self._openapi is not None and "json" in request.headers.get("content-type", ""):
            problems = self._openapi.validate(method, template, data)
            if problems:
                self.spec_violations += problems
                return Reply.json(422, {"error": f"Validation failed: {problems[0]}"})
        return data

    def _text_problem(self, data: dict[str, Any]) -> Reply | None:
        text = data.get("status")
        if not data.get("media_ids") and (not isinstance(text, str) or not text.strip()):
            return Reply.json(422, {"error": "Validation failed: Text can't be blank"})
        if (
            isinstance(text, str)
            and mastodon_length(text, self.characters_reserved_per_url) > self.max_characters
        ):
            return Reply.json(
                422,
                {
                    "error": "Validation failed: Text character limit of "
                    f"{self.max_characters} exceeded"
                },
            )
        return None

    def _create(self, request: Request) -> Reply:
        key = request.headers.get("idempotency-key")
        if key is not None:
            seen = self._keys.get(f"{request.bearer()}:{key}")
            if seen is not None and request.at - seen[0] < timedelta(hours=1):
                return Reply.json(200, self.statuses[seen[1]])
        data = self._body(request, "post", "/api/v1/statuses")
        if isinstance(data, Reply):
            return data
        problem = self._text_problem(data)
        if problem is not None:
            return problem
        parent = data.get("in_reply_to_id")
        if parent is not None and str(parent) not in self.statuses:
            return Reply.json(404, {"error": "Record not found"})
        status_id = str(100000 + self.new_id())
        text = data.get("status", "")
        # [status] the Status entity, with the attributes the spec requires.
        status = {
            "id": status_id,
            "uri": f"{self.base_url}/users/{self.account}/statuses/{status_id}",
            "url": f"{self.base_url}/@{self.account}/{status_id}",
            "created_at": request.at.isoformat(),
            "account": {"id": "1", "username": self.account, "acct": self.account},
            "content": _html(text),
            "text": None,
            "visibility": data.get("visibility", "public"),
            "sensitive": False,
            "spoiler_text": "",
            "media_attachments": [],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": 0,
            "replies_count": 0,
            "in_reply_to_id": str(parent) if parent is not None else None,
            "language": data.get("language"),
            "edited_at": None,
        }
        self.statuses[status_id] = status
        self.sources[status_id] = text
        if key is not None:
            self._keys[f"{request.bearer()}:{key}"] = (request.at, status_id)
        return Reply.json(200, status)

    def _edit(self, request: Request, status: dict[str, Any]) -> Reply:
        data = self._body(request, "put", "/api/v1/statuses/{id}")
        if isinstance(data, Reply):
            return data
        problem = self._text_problem(data)
        if problem is not None:
            return problem
        before = self.sources[status["id"]]
        self.edits.append({"id": status["id"], "before": before, "after": data["status"]})
        self.sources[status["id"]] = data["status"]
        status.update(content=_html(data["status"]), edited_at=request.at.isoformat())
        return Reply.json(200, status)


def _html(text: str) -> str:
    """A status's text as Mastodon renders ``content``: escaped, in paragraphs."""
    paragraphs = [html.escape(part).replace("\n", "<br />") for part in text.split("\n\n")]
    return "".join(f"<p>{part}</p>" for part in paragraphs)
