"""A fake of Instatus's REST API (``https://api.instatus.com``) for one page.

Written from Instatus's API reference; each behaviour cites its page:

- [api] https://instatus.com/help/api (authentication, errors, status values)
- [incidents] https://instatus.com/help/api/incidents
- [updates] https://instatus.com/help/api/incident-updates

Enforces: ``Authorization: Bearer <api key>`` [api]; the page id; an incident's
``name``, ``message`` and ``status`` (INVESTIGATING, IDENTIFIED, MONITORING,
RESOLVED [api]); ``components`` that exist on the page and ``statuses`` entries
naming one of them with a component status [api]; an incident update's
``message`` and ``status`` on an incident that exists [updates]. An incident
lists its updates under ``updates`` [incidents], and ``GET`` of the incidents
is paginated (``page``, ``per_page``: 50 by default, at most 100) and filtered by
``status`` / ``!status`` [incidents]. Errors carry ``{"error": {"code",
"message"}}`` [api]. Instatus publishes no rate limit; the fake allows 60 a
minute per key, then 429 with ``Retry-After``. Instatus has no idempotency key:
the same incident posted twice is two incidents.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeInstatus"]

# [api] "Possible incident statuses".
INCIDENT_STATUSES = {"INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"}
# [api] "Possible component statuses" (the API reference lists these five).
COMPONENT_STATUSES = {
    "OPERATIONAL",
    "UNDERMAINTENANCE",
    "DEGRADEDPERFORMANCE",
    "PARTIALOUTAGE",
    "MAJOROUTAGE",
}
# [incidents] "The default per_page number is 50 and the maximum is 100 items per page."
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
_PATH = re.compile(
    r"^/v1/(?P<page>[^/]+)/incidents(?:/(?P<incident>[^/]+)(?P<updates>/incident-updates)?)?/?$"
)


def _error(status: int, code: str, message: str) -> Reply:
    # [api] "All API endpoints contain a code and message within the error responses."
    return Reply.json(status, {"error": {"code": code, "message": message}})


class FakeInstatus(FakeService):
    """Instatus for one page, ``page_id``, with the given components, reachable with ``api_key``.

    :attr:`incidents` holds each incident as Instatus answers it, with its
    ``updates`` (oldest first); :attr:`components` each component with its status.
    """

    service = "instatus"
    base_url = "https://api.instatus.com"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (60, timedelta(minutes=1))

    def __init__(
        self,
        *,
        page_id: str = "instatus-page",
        api_key: str = "instatus-key",
        components: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.page_id = page_id
        self.api_key = api_key
        self.components: dict[str, dict[str, Any]] = {
            cid: {"id": cid, "name": name, "status": "OPERATIONAL", "showUptime": True}
            for cid, name in (components or {"cmp-api": "API", "cmp-web": "Dashboard"}).items()
        }
        self.incidents: dict[str, dict[str, Any]] = {}

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or "anonymous"

    def too_many(self, retry_after: int) -> Reply:
        return Reply.json(
            429,
            {"error": {"code": "too_many_requests", "message": "Too many requests"}},
            {"retry-after": str(retry_after)},
        )

    def route(self, request: Request) -> Reply:
        # [api] "Requests to Instatus API must provide an API token through the
        # Authorization header: Authorization: Bearer <API_KEY>".
        if request.bearer() != self.api_key:
            return _error(401, "unauthorized", "Not authorized")
        match = _PATH.match(request.path)
        if match is None or match["page"] != self.page_id:
            return _error(404, "not_found", "Not found")
        incident_id = match["incident"]
        if incident_id is None:
            if request.method == "POST":
                return self._create(request)
            if request.method == "GET":
                return self._list(request)
            return _error(405, "method_not_allowed", "Method not allowed")
        incident = self.incidents.get(incident_id)
        if incident is None:
            return _error(404, "not_found", "Incident not found")
        if match["updates"] and request.method == "POST":
            return self._add_update(request, incident)
        if not match["updates"] and request.method == "GET":
            return Reply.json(200, incident)
        return _error(405, "method_not_allowed", "Method not allowed")

    def _list(self, request: Request) -> Reply:
        # [incidents] GET /v1/:page_id/incidents?page=:page&per_page=:per_page, with
        # "status and !status query parameters" taking a comma-separated status list.
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", str(DEFAULT_PER_PAGE)))
        except ValueError:
            return _error(400, "bad_request", "page and per_page are numbers")
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            return _error(400, "bad_request", f"per_page is at most {MAX_PER_PAGE}")
        incidents = list(reversed(self.incidents.values()))
        if "status" in request.query:
            wanted = set(request.query["status"].split(","))
            incidents = [i for i in incidents if i["status"] in wanted]
        if "!status" in request.query:
            unwanted = set(request.query["!status"].split(","))
            incidents = [i for i in incidents if i["status"] not in unwanted]
        start = (page - 1) * per_page
        return Reply.json(200, incidents[start : start + per_page])

    def _fields(self, request: Request, *, create: bool) -> dict[str, Any] | Reply:
        try:
            data = request.data()
        except ValueError:
            return _error(400, "bad_request", "The body is not JSON")
        problems = []
        if create:
            name = data.get("name")
            if not isinstance(name, str) or not name.strip():
                problems.append("name is required")
        if not isinstance(data.get("message"), str) or not data["message"].strip():
            problems.append("message is required")
        if data.get("status") not in INCIDENT_STATUSES:
            problems.append(f"status must be one of {', '.join(sorted(INCIDENT_STATUSES))}")
        components = data.get("components", [])
        if not isinstance(components, list) or any(c not in self.components for c in components):
            problems.append("components must be ids of this page's components")
        statuses = data.get("statuses", [])
        if not isinstance(statuses, list) or any(
            not isinstance(s, dict)
            or s.get("id") not in self.components
            or s.get("status") not in COMPONENT_STATUSES
            for s in statuses
        ):
            problems.append("statuses must be {id, status} with a component id and status")
        if problems:
            return _error(400, "bad_request", "; ".join(problems))
        return data

    def _apply(self, data: dict[str, Any]) -> None:
        for entry in data.get("statuses", []):
            self.components[entry["id"]]["status"] = entry["status"]

    def _update(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        # [updates] an incident update: id, message, messageHtml, status, notify, started.
        return {
            "id": f"upd{self.new_id():06d}",
            "message": data["message"],
            "messageHtml": f"<p>{html.escape(data['message'])}</p>",
            "status": data["status"],
            "notify": bool(data.get("notify", False)),
            "started": data.get("started") or request.at.isoformat(),
            "ended": None,
            "duration": None,
            "createdAt": request.at.isoformat(),
        }

    def _create(self, request: Request) -> Reply:
        data = self._fields(request, create=True)
        if isinstance(data, Reply):
            return data
        self._apply(data)
        now = request.at.isoformat()
        incident_id = f"inc{self.new_id():06d}"
        # [incidents] "Get an incident": id, name, status, started, resolved, updates, components.
        incident = {
            "id": incident_id,
            "name": data["name"],
            "status": data["status"],
            "started": data.get("started") or now,
            "resolved": now if data["status"] == "RESOLVED" else None,
            "updates": [self._update(request, data)],
            "components": [dict(self.components[c]) for c in data.get("components", [])],
        }
        self.incidents[incident_id] = incident
        return Reply.json(200, incident)

    def _add_update(self, request: Request, incident: dict[str, Any]) -> Reply:
        data = self._fields(request, create=False)
        if isinstance(data, Reply):
            return data
        self._apply(data)
        update = self._update(request, data)
        incident["updates"].append(update)
        incident["status"] = data["status"]
        incident["resolved"] = request.at.isoformat() if data["status"] == "RESOLVED" else None
        # [updates] "Add an incident update": the update, with its incident (id, name,
        # started, status, components).
        summary = {k: incident[k] for k in ("id", "name", "started", "status", "components")}
        return Reply.json(200, {**update, "incident": summary})
