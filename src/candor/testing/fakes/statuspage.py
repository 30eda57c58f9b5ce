"""A fake of Atlassian Statuspage's REST API (``https://api.statuspage.io/v1``).

Written from Statuspage's API reference, https://developer.statuspage.io/ (cited
[api], sections "Authentication", "Incidents", "Components", "Rate limiting"),
the facts the shared specs record for it (``../shared/specs/README.md``,
"Atlassian Statuspage"), and Atlassian's notice on rate limiting,
https://community.atlassian.com/t5/Statuspage-articles/Upcoming-rate-limiting-changes-to-Statuspage-REST-API/ba-p/1455362
(cited [limits]).

Enforces: ``Authorization: OAuth <api key>`` [api]; the page id; an earlier incident
update's body edited in place (``PATCH .../incidents/{id}/incident_updates/{update_id}``,
"Update a previous incident update" [api], kept in :attr:`FakeStatuspage.edits`); ``incident.name``
present and at most 255 characters [api]; known incident and component statuses
[api]; component ids that exist on the page (when the fake is given
``components``); about one request per second per key, 429 with ``Retry-After``
over it, or 420, which Statuspage still answers, with ``limit_status=420``
[limits]. The service has no idempotency key [api]: the same incident posted
twice is two incidents.

It keeps the page's components and their statuses (:attr:`FakeStatuspage.components`),
which incidents change; lists the unresolved incidents
(``GET /pages/{page_id}/incidents/unresolved``); stores each incident's
``metadata``; and answers incidents in Statuspage's shape (``components`` a list
of component objects, ``incident_updates`` newest first).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from candor.testing.fakes._base import FakeService, Reply, Request

__all__ = ["FakeStatuspage"]

INCIDENT_STATUSES = {
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
IMPACTS = {"none", "minor", "major", "critical"}
_INCIDENTS = re.compile(r"^/v1/pages/(?P<page>[^/]+)/incidents(?:/(?P<incident>[^/]+))?/?$")
_INCIDENT_UPDATE = re.compile(
    r"^/v1/pages/(?P<page>[^/]+)/incidents/(?P<incident>[^/]+)/incident_updates/(?P<update>[^/]+)/?$"
)


class FakeStatuspage(FakeService):
    """Statuspage for one page, ``page_id``, reachable with ``api_key``."""

    service = "statuspage"
    base_url = "https://api.statuspage.io/v1"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = (1, timedelta(seconds=1))

    def __init__(
        self,
        *,
        page_id: str = "page1",
        api_key: str = "statuspage-key",
        components: Mapping[str, str] | None = None,
        limit_status: int = 429,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.page_id = page_id
        self.api_key = api_key
        self.limit_status = limit_status
        self.incidents: dict[str, dict[str, Any]] = {}
        self.edits: list[dict[str, Any]] = []
        """Each edit of an incident update as made: ids, the body before and after."""
        self.known_components = components is not None
        """With ``components`` given, an incident naming any other component id is refused."""
        self.components: dict[str, dict[str, Any]] = {
            component_id: {"id": component_id, "name": name, "status": "operational"}
            for component_id, name in (components or {}).items()
        }

    def component_statuses(self) -> dict[str, str]:
        """Each component's status now, by component id."""
        return {cid: component["status"] for cid, component in self.components.items()}

    def too_many(self, retry_after: int) -> Reply:
        return Reply.json(
            self.limit_status, {"error": "Rate limit exceeded"}, {"retry-after": str(retry_after)}
        )

    def rate_key(self, request: Request) -> str | None:
        return request.headers.get("authorization", "anonymous")

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"OAuth {self.api_key}":
            return Reply.json(401, {"error": "Could not authenticate"})
        edited = _INCIDENT_UPDATE.match(request.path)
        if edited is not None and edited["page"] == self.page_id:
            return self._edit_update(request, edited["incident"], edited["update"])
        match = _INCIDENTS.match(request.path)
        if match is None or match["page"] != self.page_id:
            return Reply.json(404, {"error": "The requested resource could not be found."})
        incident_id = match["incident"]
        if incident_id is None and request.method == "POST":
            return self._create(request)
        if incident_id is None and request.method == "GET":
            return Reply.json(200, [self._view(r) for r in self._newest_first()])
        if incident_id == "unresolved" and request.method == "GET":
            open_ = [r for r in self._newest_first() if r["status"] != "resolved"]
            return Reply.json(200, [self._view(r) for r in open_])
        if incident_id not in self.incidents:
            return Reply.json(404, {"error": "The requested resource could not be found."})
        if request.method in ("PATCH", "PUT"):
            return self._change(request, self.incidents[incident_id])
        if request.method == "GET":
            return Reply.json(200, self._view(self.incidents[incident_id]))
        return Reply.json(405, {"error": "method not allowed"})

    def _newest_first(self) -> list[dict[str, Any]]:
        return list(reversed(self.incidents.values()))

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        """An incident as Statuspage answers it: its components as component objects."""
        return {
            **record,
            "components": [dict(self.components[cid]) for cid in record["components"]],
        }

    def _fields(self, request: Request) -> dict[str, Any] | Reply:
        try:
            data = request.data()
        except ValueError:
            return Reply.json(400, {"error": "the body is not JSON"})
        incident = data.get("incident")
        if not isinstance(incident, dict):
            return Reply.json(422, {"error": "incident is missing"})
        problems = []
        if "name" in incident:
            name = incident["name"]
            if not isinstance(name, str) or not name.strip():
                problems.append("name can't be blank")
            elif len(name) > 255:
                problems.append("name is too long (maximum is 255 characters)")
        if "status" in incident and incident["status"] not in INCIDENT_STATUSES:
            problems.append(f"status {incident['status']!r} is not a valid incident status")
        if "impact_override" in incident and incident["impact_override"] not in IMPACTS:
            problems.append("impact_override is not valid")
        components = incident.get("components", {})
        if not isinstance(components, dict) or any(
            value not in COMPONENT_STATUSES for value in components.values()
        ):
            problems.append("components must map component ids to a component status")
        elif self.known_components:
            unknown = sorted(set(components) - set(self.components))
            unknown += sorted(set(incident.get("component_ids") or ()) - set(self.components))
            if unknown:
                problems.append(f"component {unknown[0]!r} is not a component of this page")
        if "metadata" in incident and not isinstance(incident["metadata"], dict):
            problems.append("metadata must be an object")
        if problems:
            return Reply.json(422, {"error": problems})
        return incident

    def _create(self, request: Request) -> Reply:
        incident = self._fields(request)
        if isinstance(incident, Reply):
            return incident
        if "name" not in incident:
            return Reply.json(422, {"error": ["name can't be blank"]})
        number = self.new_id()
        incident_id = f"sp{number:08d}"
        now = request.at.isoformat()
        record: dict[str, Any] = {
            "id": incident_id,
            "page_id": self.page_id,
            "name": incident["name"],
            "status": incident.get("status", "investigating"),
            "impact": incident.get("impact_override", "none"),
            "shortlink": f"https://stspg.io/{incident_id}",
            "created_at": now,
            "updated_at": now,
            "components": [],
            "metadata": incident.get("metadata", {}),
            "incident_updates": [],
        }
        self._set_components(record, incident)
        self._add_update(record, incident, now)
        self.incidents[incident_id] = record
        return Reply.json(201, self._view(record))

    def _set_components(self, record: dict[str, Any], incident: dict[str, Any]) -> None:
        """Set the page's components and attach them (and ``component_ids``) to the incident."""
        statuses: dict[str, str] = incident.get("components") or {}
        for component_id, status in statuses.items():
            component = self.components.setdefault(
                component_id, {"id": component_id, "name": component_id, "status": "operational"}
            )
            component["status"] = status
        attached = list(record["components"])
        for component_id in [*statuses, *(incident.get("component_ids") or ())]:
            if component_id not in attached:
                self.components.setdefault(
                    component_id,
                    {"id": component_id, "name": component_id, "status": "operational"},
                )
                attached.append(component_id)
        record["components"] = attached

    def _change(self, request: Request, record: dict[str, Any]) -> Reply:
        incident = self._fields(request)
        if isinstance(incident, Reply):
            return incident
        now = request.at.isoformat()
        for key in ("name", "status", "metadata"):
            if key in incident:
                record[key] = incident[key]
        self._set_components(record, incident)
        if "impact_override" in incident:
            record["impact"] = incident["impact_override"]
        record["updated_at"] = now
        if "status" in incident or "body" in incident:
            self._add_update(record, incident, now)
        if record["status"] == "resolved":
            record["resolved_at"] = now
        else:
            record.pop("resolved_at", None)  # reopened
        return Reply.json(200, self._view(record))

    def _edit_update(self, request: Request, incident_id: str, update_id: str) -> Reply:
        """[api] "Update a previous incident update": PATCH or PUT
        ``/pages/{page_id}/incidents/{incident_id}/incident_updates/{incident_update_id}`` with
        ``{"incident_update": {"body": ..., "deliver_notifications": ...}}``; answers the
        incident update. Its status cannot be changed there (only its text and display)."""
        if request.method not in ("PATCH", "PUT"):
            return Reply.json(405, {"error": "method not allowed"})
        record = self.incidents.get(incident_id)
        found = next(
            (u for u in (record or {}).get("incident_updates", ()) if u["id"] == update_id), None
        )
        if record is None or found is None:
            return Reply.json(404, {"error": "The requested resource could not be found."})
        try:
            data = request.data()
        except ValueError:
            return Reply.json(400, {"error": "the body is not JSON"})
        fields = data.get("incident_update")
        if not isinstance(fields, dict):
            return Reply.json(422, {"error": "incident_update is missing"})
        unknown = sorted(
            set(fields)
            - {"body", "deliver_notifications", "display_at", "wants_twitter_update",
               "twitter_updated_at"}
        )  # fmt: skip
        if unknown:
            return Reply.json(
                422, {"error": [f"{unknown[0]} is not a field of an incident update"]}
            )
        if "body" in fields and (not isinstance(fields["body"], str) or not fields["body"]):
            return Reply.json(422, {"error": ["body can't be blank"]})
        before = found["body"]
        for key, value in fields.items():
            found[key] = value
        found["updated_at"] = request.at.isoformat()
        self.edits.append({"incident_id": incident_id, "id": update_id, "before": before,
                           "after": found["body"]})  # fmt: skip
        return Reply.json(200, {**found, "incident_id": incident_id})

    def _add_update(self, record: dict[str, Any], incident: dict[str, Any], now: str) -> None:
        record["incident_updates"].insert(
            0,
            {
                "id": f"{record['id']}u{len(record['incident_updates']) + 1}",
                "status": incident.get("status", record["status"]),
                "body": incident.get("body", ""),
                "created_at": now,
                "deliver_notifications": incident.get("deliver_notifications", True),
            },
        )
