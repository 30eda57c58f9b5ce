"""A fake of Instatus's REST API (``https://api.instatus.com``) for one page.

Enforces: ``Authorization: Bearer <api key>``; the page id; an incident's
``name``, ``message`` and ``status`` (INVESTIGATING, IDENTIFIED, MONITORING,
RESOLVED); ``components`` that exist on the page and ``statuses`` entries
naming one of them with a known component status (OPERATIONAL,
UNDERMAINTENANCE, DEGRADEDPERFORMANCE, PARTIALOUTAGE, MINOROUTAGE,
MAJOROUTAGE); an incident update's ``message`` and ``status`` on an incident
that exists; a rate limit per key (Instatus publishes no figure; the fake allows
60 a minute, then 429 with ``Retry-After``). Instatus has no idempotency key:
the same incident posted twice is two incidents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeInstatus"]

INCIDENT_STATUSES = {"INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"}
COMPONENT_STATUSES = {
    "OPERATIONAL",
    "UNDERMAINTENANCE",
    "DEGRADEDPERFORMANCE",
    "PARTIALOUTAGE",
    "MINOROUTAGE",
    "MAJOROUTAGE",
}
_PATH = re.compile(
    r"^/v1/(?P<page>[^/]+)/incidents(?:/(?P<incident>[^/]+)(?P<updates>/incident-updates)?)?/?$"
)


class FakeInstatus(FakeService):
    """Instatus for one page, ``page_id``, with the given components, reachable with ``api_key``.

    :attr:`incidents` holds each incident with its ``incidentUpdates`` (oldest
    first); :attr:`components` each component with its status.
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
            cid: {"id": cid, "name": name, "status": "OPERATIONAL"}
            for cid, name in (components or {"cmp-api": "API", "cmp-web": "Dashboard"}).items()
        }
        self.incidents: dict[str, dict[str, Any]] = {}

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or "anonymous"

    def route(self, request: Request) -> Reply:
        if request.bearer() != self.api_key:
            return Reply.json(401, {"message": "Unauthorized: invalid API key"})
        match = _PATH.match(request.path)
        if match is None or match["page"] != self.page_id:
            return Reply.json(404, {"message": "Not found"})
        incident_id = match["incident"]
        if incident_id is None:
            if request.method == "POST":
                return self._create(request)
            if request.method == "GET":
                return Reply.json(200, list(reversed(self.incidents.values())))
            return Reply.json(405, {"message": "Method not allowed"})
        incident = self.incidents.get(incident_id)
        if incident is None:
            return Reply.json(404, {"message": "Incident not found"})
        if match["updates"] and request.method == "POST":
            return self._add_update(request, incident)
        if not match["updates"] and request.method == "GET":
            return Reply.json(200, incident)
        return Reply.json(405, {"message": "Method not allowed"})

    def _fields(self, request: Request, *, create: bool) -> dict[str, Any] | Reply:
        try:
            data = request.data()
        except ValueError:
            return Reply.json(400, {"message": "The body is not JSON"})
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
            return Reply.json(400, {"message": "; ".join(problems)})
        return data

    def _apply(self, data: dict[str, Any]) -> None:
        for entry in data.get("statuses", []):
            self.components[entry["id"]]["status"] = entry["status"]

    def _update(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"upd{self.new_id():06d}",
            "message": data["message"],
            "status": data["status"],
            "notify": bool(data.get("notify", False)),
            "started": data.get("started") or request.at.isoformat(),
            "createdAt": request.at.isoformat(),
        }

    def _create(self, request: Request) -> Reply:
        data = self._fields(request, create=True)
        if isinstance(data, Reply):
            return data
        self._apply(data)
        now = request.at.isoformat()
        incident_id = f"inc{self.new_id():06d}"
        incident = {
            "id": incident_id,
            "name": data["name"],
            "status": data["status"],
            "started": data.get("started") or now,
            "resolved": now if data["status"] == "RESOLVED" else None,
            "components": [dict(self.components[c]) for c in data.get("components", [])],
            "incidentUpdates": [self._update(request, data)],
        }
        self.incidents[incident_id] = incident
        return Reply.json(200, incident)

    def _add_update(self, request: Request, incident: dict[str, Any]) -> Reply:
        data = self._fields(request, create=False)
        if isinstance(data, Reply):
            return data
        self._apply(data)
        update = self._update(request, data)
        incident["incidentUpdates"].append(update)
        incident["status"] = data["status"]
        incident["resolved"] = request.at.isoformat() if data["status"] == "RESOLVED" else None
        return Reply.json(200, {**update, "incident": {"id": incident["id"]}})
