"""A fake of Cachet 3's REST API (``cachethq/core``, under ``/api``).

Enforces: ``Authorization: Bearer <token>`` on every write (401
``Unauthenticated.`` without it); an incident's ``name`` (at most 255
characters), ``message`` and ``status`` (1 investigating, 2 identified,
3 watching, 4 fixed); components that exist, with a known status (1
operational, 2 performance issues, 3 partial outage, 4 major outage, 5
unknown); an update's ``message`` and ``status``, on an incident that exists;
60 requests a minute per token, as Laravel's API throttle (429 with
``Retry-After``). Validation errors are 422 with Laravel's ``message`` and
``errors``. Cachet has no idempotency key: the same incident posted twice is
two incidents. Answers are JSON:API documents (``{"data": {"id", "type",
"attributes"}}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeCachet"]

INCIDENT_STATUSES = {1: "investigating", 2: "identified", 3: "watching", 4: "fixed"}
COMPONENT_STATUSES = {
    1: "operational",
    2: "performance_issues",
    3: "partial_outage",
    4: "major_outage",
    5: "unknown",
}
_INCIDENT = re.compile(r"^/api/incidents/(?P<id>\d+)/?$")
_UPDATES = re.compile(r"^/api/incidents/(?P<id>\d+)/updates/?$")
_COMPONENT = re.compile(r"^/api/components/(?P<id>\d+)/?$")


class FakeCachet(FakeService):
    """A Cachet 3 installation with the given components, writable with ``token``.

    :attr:`incidents` and :attr:`updates` (per incident id) hold what it was
    given, as plain fields; :attr:`components` each component's status.
    """

    service = "cachet"
    base_url = "https://status.cachet.example"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (60, timedelta(minutes=1))

    def __init__(
        self,
        *,
        token: str = "cachet-token",
        components: Mapping[int, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.token = token
        self.components: dict[int, dict[str, Any]] = {
            cid: {"id": cid, "name": name, "status": 1}
            for cid, name in (components or {1: "API", 2: "Dashboard"}).items()
        }
        self.incidents: dict[int, dict[str, Any]] = {}
        self.updates: dict[int, list[dict[str, Any]]] = {}

    def rate_key(self, request: Request) -> str | None:
        return request.bearer() or "anonymous"

    def too_many(self, retry_after: int) -> Reply:
        return Reply.json(
            429,
            {"message": "Too Many Attempts."},
            {"retry-after": str(retry_after), "x-ratelimit-remaining": "0"},
        )

    def route(self, request: Request) -> Reply:
        if request.method != "GET" and request.bearer() != self.token:
            return Reply.json(401, {"message": "Unauthenticated."})
        path = request.path
        if path.rstrip("/") == "/api/incidents":
            if request.method == "POST":
                return self._create(request)
            if request.method == "GET":
                return self._list(request)
        if (match := _UPDATES.match(path)) is not None:
            incident = self.incidents.get(int(match["id"]))
            if incident is None:
                return Reply.json(404, {"message": "Not Found"})
            if request.method == "POST":
                return self._add_update(request, incident)
            if request.method == "GET":
                updates = sorted(self.updates[incident["id"]], key=lambda u: -u["id"])
                return Reply.json(200, {"data": [_document("updates", u) for u in updates]})
        if (match := _INCIDENT.match(path)) is not None and request.method == "GET":
            incident = self.incidents.get(int(match["id"]))
            if incident is None:
                return Reply.json(404, {"message": "Not Found"})
            return Reply.json(200, {"data": _document("incidents", incident)})
        if (match := _COMPONENT.match(path)) is not None:
            component = self.components.get(int(match["id"]))
            if component is None:
                return Reply.json(404, {"message": "Not Found"})
            if request.method in ("PUT", "PATCH"):
                return self._set_component(request, component)
            if request.method == "GET":
                return Reply.json(200, {"data": _document("components", component)})
        return Reply.json(404, {"message": "Not Found"})

    def _fields(self, request: Request) -> dict[str, Any] | Reply:
        try:
            return request.data()
        except ValueError:
            return Reply.json(400, {"message": "The body is not JSON."})

    def _invalid(self, errors: dict[str, str]) -> Reply:
        first = next(iter(errors.values()))
        extra = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        return Reply.json(
            422, {"message": first + extra, "errors": {k: [v] for k, v in errors.items()}}
        )

    def _create(self, request: Request) -> Reply:
        data = self._fields(request)
        if isinstance(data, Reply):
            return data
        errors: dict[str, str] = {}
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = "The name field is required."
        elif len(name) > 255:
            errors["name"] = "The name field must not be greater than 255 characters."
        if not isinstance(data.get("message"), str) or not data["message"].strip():
            errors["message"] = "The message field is required when template is not present."
        if data.get("status") not in INCIDENT_STATUSES:
            errors["status"] = "The selected status is invalid."
        components = data.get("components", [])
        if not isinstance(components, list):
            errors["components"] = "The components field must be an array."
        else:
            for n, item in enumerate(components):
                if not isinstance(item, dict) or item.get("id") not in self.components:
                    errors[f"components.{n}.id"] = "The selected component is invalid."
                elif item.get("status") not in COMPONENT_STATUSES:
                    errors[f"components.{n}.status"] = "The selected status is invalid."
        if errors:
            return self._invalid(errors)
        incident_id = self.new_id()
        now = request.at.isoformat()
        incident = {
            "id": incident_id,
            "name": name,
            "message": data["message"],
            "status": data["status"],
            "visible": bool(data.get("visible", False)),
            "notifications": bool(data.get("notifications", False)),
            "components": [item["id"] for item in components],
            "created_at": now,
            "updated_at": now,
        }
        for item in components:
            self.components[item["id"]]["status"] = item["status"]
        self.incidents[incident_id] = incident
        self.updates[incident_id] = []
        return Reply.json(201, {"data": _document("incidents", incident)})

    def _list(self, request: Request) -> Reply:
        incidents = sorted(self.incidents.values(), key=lambda i: -i["id"])
        wanted = request.query.get("filter[status]")
        if wanted is not None:
            incidents = [i for i in incidents if str(i["status"]) == wanted]
        per_page = int(request.query.get("per_page", "15"))
        return Reply.json(200, {"data": [_document("incidents", i) for i in incidents[:per_page]]})

    def _add_update(self, request: Request, incident: dict[str, Any]) -> Reply:
        data = self._fields(request)
        if isinstance(data, Reply):
            return data
        errors = {}
        if not isinstance(data.get("message"), str) or not data["message"].strip():
            errors["message"] = "The message field is required."
        if data.get("status") not in INCIDENT_STATUSES:
            errors["status"] = "The selected status is invalid."
        if errors:
            return self._invalid(errors)
        now = request.at.isoformat()
        update = {
            "id": self.new_id(),
            "incident_id": incident["id"],
            "message": data["message"],
            "status": data["status"],
            "created_at": now,
        }
        self.updates[incident["id"]].append(update)
        incident["status"] = data["status"]
        incident["updated_at"] = now
        return Reply.json(201, {"data": _document("updates", update)})

    def _set_component(self, request: Request, component: dict[str, Any]) -> Reply:
        data = self._fields(request)
        if isinstance(data, Reply):
            return data
        if "status" in data and data["status"] not in COMPONENT_STATUSES:
            return self._invalid({"status": "The selected status is invalid."})
        component.update({k: v for k, v in data.items() if k in ("status", "name")})
        return Reply.json(200, {"data": _document("components", component)})


def _document(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    attributes = {k: v for k, v in fields.items() if k != "id"}
    return {"id": str(fields["id"]), "type": kind, "attributes": attributes}
