"""The static site's JSON, ``api/v2/summary.json`` and ``api/v2/incidents.json``.

They have the shape of Atlassian Statuspage's public API, so tools that read a
Statuspage page read this one; component statuses are Statuspage's words for
the states of :mod:`candor.adapters.pages`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from candor.adapters import STATUSPAGE_COMPONENT_STATUS, component_state
from candor.adapters.static_site import uptime
from candor.adapters.static_site.view import iso, slug
from candor.model import Status

if TYPE_CHECKING:
    from candor.adapters.static_site.record import SiteIncident
    from candor.adapters.static_site.view import SiteView

__all__ = ["documents", "statuspage"]


def documents(view: SiteView) -> dict[str, bytes]:
    """Both JSON files, by their path relative to the site's folder."""
    summary, incidents = statuspage(view)
    return {
        "api/v2/summary.json": _json(summary),
        "api/v2/incidents.json": _json(incidents),
        "api/candor/uptime.json": _json(uptime_document(view)),
    }


def uptime_document(view: SiteView) -> dict[str, Any]:
    """candor's own JSON of every component's last 90 days (docs/static-site.md)."""
    found = uptime.history(view)
    days = found[0].days if found else []
    return {
        "page": {"id": view.page_id, "time_zone": view.organization.timezone},
        "generated_at": iso(view.now),
        "from": days[0].day.isoformat() if days else None,
        "to": days[-1].day.isoformat() if days else None,
        "components": [
            {
                "id": slug(past.component),
                "name": past.component,
                "uptime_percent": past.uptime,
                "days": [
                    {
                        "date": day.day.isoformat(),
                        "impact": day.impact.value,
                        "major_outage_minutes": day.major,
                        "partial_outage_minutes": day.partial,
                        "degraded_minutes": day.degraded,
                    }
                    for day in past.days
                ],
            }
            for past in found
        ],
    }


def statuspage(view: SiteView) -> tuple[dict[str, Any], dict[str, Any]]:
    """``summary.json`` and ``incidents.json``, in the shape of Statuspage's public API."""
    page = {
        "id": view.page_id,
        "name": view.organization.name,
        "url": view.base_url or "",
        "time_zone": view.organization.timezone,
        "updated_at": iso(view.now),
    }
    components = [
        _component(view, name, position)
        for position, name in enumerate(view.component_names, start=1)
    ]
    # Statuspage lists a group as a component of its own, with ``group: true`` and the
    # ids of its members, each of which names it in ``group_id``.
    for offset, (group, members) in enumerate(view.groups.items(), start=len(components) + 1):
        entry = _component(view, group, offset)
        entry.update(
            id=view.group_id(group),
            status=STATUSPAGE_COMPONENT_STATUS[view.group_state(group)],
            group=True,
            components=[slug(name) for name in members],
            updated_at=max(c["updated_at"] for c in components if c["name"] in members),
        )
        components.append(entry)
    indicator, description = view.overall()
    summary = {
        "page": page,
        "components": components,
        "incidents": [_incident(view, i) for i in view.open],
        "scheduled_maintenances": [],
        "status": {"indicator": indicator, "description": description},
    }
    incidents = {"page": page, "incidents": [_incident(view, i) for i in view.all]}
    return summary, incidents


def _component(view: SiteView, name: str, position: int) -> dict[str, Any]:
    state, _ = view.component_state(name)
    created = view.state.components.get(name, view.now)
    touched = [
        entry.created_at
        for incident in view.all
        for entry in incident.updates.values()
        if name in entry.scope.components
    ]
    return {
        "id": slug(name),
        "name": name,
        "status": STATUSPAGE_COMPONENT_STATUS[state],
        "created_at": iso(created),
        "updated_at": iso(max([created, *touched])),
        "position": position,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": view.group_id(group) if (group := view.group_of(name)) else None,
        "page_id": view.page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _incident(view: SiteView, incident: SiteIncident) -> dict[str, Any]:
    timeline = incident.timeline()
    monitoring = [e.created_at for e in timeline if e.status is Status.MONITORING]
    positions = {name: n for n, name in enumerate(view.component_names, start=1)}
    return {
        "id": incident.id,
        "name": incident.title,
        "status": incident.status.value,
        "created_at": iso(incident.created_at),
        "updated_at": iso(incident.updated_at),
        "monitoring_at": iso(min(monitoring)) if monitoring else None,
        # The end of the impact, as Statuspage's own resolved_at may be set for an
        # incident entered after the fact: the window is started_at to resolved_at.
        "resolved_at": iso(ended) if (ended := incident.impact_ended_at) else None,
        "impact": incident.impact.value,
        "shortlink": view.url(view.incident_path(incident.id)),
        "started_at": iso(incident.started_at),
        "page_id": view.page_id,
        "incident_updates": [
            {
                "id": entry.id,
                "status": entry.status.value,
                "body": entry.text,
                "incident_id": incident.id,
                "created_at": iso(entry.created_at),
                "updated_at": iso(entry.created_at),
                "display_at": iso(entry.created_at),
                "affected_components": [
                    {
                        "code": slug(name),
                        "name": name,
                        "old_status": "operational",
                        "new_status": STATUSPAGE_COMPONENT_STATUS[
                            component_state(entry.scope, entry.status)
                        ],
                    }
                    for name in entry.scope.components
                ],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for entry in timeline
        ],
        "components": [
            _component(view, name, positions.get(name, len(positions) + 1))
            for name in incident.scope.components
        ],
    }


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
