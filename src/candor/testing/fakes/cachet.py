"""A fake of Cachet 3's REST API (``cachethq/core``, under ``/api``).

Written from Cachet's API reference, https://docs.cachethq.io/api-reference/
(cited below by page): [intro] introduction, [rate] rate-limiting,
[create] incidents/create-incident, [list] incidents/list-incidents,
[update] incident-updates/create-incident-update, [component]
components/update-component.

Enforces: ``Authorization: Bearer <token>`` on every write (401
``Unauthenticated.`` without it) [create]; an incident's ``name`` (at most 255
characters), ``message`` and ``status`` (0 to 4: unknown, investigating,
identified, watching, fixed) [create]; one ``component_id`` that exists with its
``component_status`` (1 to 5), required together [create]; an update's
``message`` and ``status`` on an incident that exists [update]; a component's
``status`` (1 operational, 2 performance issues, 3 partial outage, 4 major
outage, 5 unknown) [component]; lists of 15 a page unless ``per_page``, with
``page``, ``sort`` and ``filter[status]`` [intro]; 300 requests a minute per IP
address, with ``X-RateLimit-*`` headers [rate]. Fields Cachet does not know are
ignored, as Laravel's validation ignores them (a ``components`` list on a new
incident sets nothing). Validation errors are 422 with Laravel's ``message`` and
``errors``. Cachet has no idempotency key: the same incident posted twice is two
incidents. Answers are JSON:API documents (``{"data": {"id", "type",
"attributes"}}``) whose statuses are ``{"human", "value"}`` [create].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeCachet"]

# [create] status "Available options: 0, 1, 2, 3, 4".
INCIDENT_STATUSES = {
    0: "unknown",
    1: "investigating",
    2: "identified",
    3: "watching",
    4: "fixed",
}
# [create] component_status "Available options: 1, 2, 3, 4, 5".
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
    # [rate] "The rate limit is set to 300 requests per minute per IP address."
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (300, timedelta(minutes=1))

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
        return "client-address"  # [rate] per IP address: every test client is one address

    def too_many(self, retry_after: int) -> Reply:
        # [rate] "X-RateLimit-Limit, X-RateLimit-Remaining, and X-RateLimit-Reset headers".
        allowed = self.rate_limit[0] if self.rate_limit else 0
        return Reply.json(
            429,
            {"message": "Too Many Attempts."},
            {
                "retry-after": str(retry_after),
                "x-ratelimit-limit": str(allowed),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(retry_after),
            },
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
                return self._page(request, "updates", self.updates[incident["id"]])
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
        component_id = data.get("component_id")
        component_status = data.get("component_status")
        if component_id is not None and component_id not in self.components:
            errors["component_id"] = "The selected component id is invalid."
        if component_id is not None and component_status not in COMPONENT_STATUSES:
            errors["component_status"] = (
                "The component status field is required when component id is present."
                if component_status is None
                else "The selected component status is invalid."
            )
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
            "component_id": component_id,
            "created_at": now,
            "updated_at": now,
        }
        if component_id is not None:
            self.components[component_id]["status"] = component_status
        self.incidents[incident_id] = incident
        self.updates[incident_id] = []
        # [create] "Response 200 - application/json".
        return Reply.json(200, {"data": _document("incidents", incident)})

    def _list(self, request: Request) -> Reply:
        incidents = list(self.incidents.values())
        wanted = request.query.get("filter[status]")
        if wanted is not None:
            incidents = [i for i in incidents if str(i["status"]) == wanted]
        return self._page(request, "incidents", incidents)

    def _page(self, request: Request, kind: str, items: list[dict[str, Any]]) -> Reply:
        # [intro] "By default, 15 items are returned per page", ``per_page`` and ``page``;
        # ``sort`` by a field, a leading hyphen reversing the order.
        order = request.query.get("sort", "id")
        field = order.lstrip("-")
        if field == "created_at":
            field = "id"  # ids grow with creation time here
        ranked = sorted(items, key=lambda item: item.get(field) or 0, reverse=order.startswith("-"))
        try:
            per_page = int(request.query.get("per_page", "15"))
            page = int(request.query.get("page", "1"))
        except ValueError:
            return self._invalid({"per_page": "The per page field must be an integer."})
        start = (max(page, 1) - 1) * per_page
        return Reply.json(
            200,
            {
                "data": [_document(kind, item) for item in ranked[start : start + per_page]],
                "meta": {"current_page": page, "per_page": per_page},
            },
        )

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
        # [update] "Response 200 application/json `Update`".
        return Reply.json(200, {"data": _document("updates", update)})

    def _set_component(self, request: Request, component: dict[str, Any]) -> Reply:
        data = self._fields(request)
        if isinstance(data, Reply):
            return data
        if "status" in data and data["status"] not in COMPONENT_STATUSES:
            return self._invalid({"status": "The selected status is invalid."})
        component.update({k: v for k, v in data.items() if k in ("status", "name")})
        return Reply.json(200, {"data": _document("components", component)})


_NAMES = {"incidents": INCIDENT_STATUSES, "updates": INCIDENT_STATUSES}


def _document(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON:API resource as Cachet 3 answers it [create]: the id as a string, the status as
    ``{"human", "value"}``, the times as ``{"human", "string"}``."""
    names = _NAMES.get(kind, COMPONENT_STATUSES)
    attributes: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "status":
            attributes["status"] = {"human": names.get(value, "unknown").title(), "value": value}
        elif key in ("created_at", "updated_at"):
            attributes[key.removesuffix("_at")] = {"human": "just now", "string": value}
        elif key == "incident_id":
            attributes["updateable_id"] = value
            attributes["updateable_type"] = "incident"
        else:
            attributes[key] = value
    return {"id": str(fields["id"]), "type": kind, "attributes": attributes}
