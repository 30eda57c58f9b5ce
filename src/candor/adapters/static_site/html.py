"""The static site's HTML: the front page and one page per incident, from Jinja2 templates.

All user text is HTML-escaped by Jinja2's autoescape; the one inline script is
a constant (it refreshes "N minutes ago" in the browser) and is pinned by a
Content-Security-Policy hash, so an injected script could not run even if
escaping failed.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import TYPE_CHECKING, Any

from candor.adapters import STATUSPAGE_COMPONENT_STATUS, ComponentState
from candor.adapters.static_site.view import SiteView, ago, duration, iso
from candor.render import describe_scope

if TYPE_CHECKING:
    import jinja2

    from candor.adapters.static_site.record import Entry, SiteIncident
    from candor.model import Scope

__all__ = ["pages"]

# The only script on any page. It holds no user text: it reads the datetime
# attributes the server wrote and rewrites "N minutes ago" as time passes, and
# shows the "late" note once a promised update time has gone by.
_SCRIPT = """
(function () {
  "use strict";
  function plural(n, unit) { return n + " " + unit + (n === 1 ? "" : "s") + " ago"; }
  function ago(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) { return "just now"; }
    if (minutes < 90) { return plural(minutes, "minute"); }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return plural(hours, "hour"); }
    return plural(Math.floor(hours / 24), "day");
  }
  function refresh() {
    var now = Date.now();
    var times = document.querySelectorAll("time[data-ago]");
    for (var i = 0; i < times.length; i++) {
      var at = Date.parse(times[i].getAttribute("datetime"));
      if (!isNaN(at)) {
        times[i].textContent = ago(Math.max(0, now - at));
        times[i].setAttribute("data-live", "");
      }
    }
    var promises = document.querySelectorAll("[data-due]");
    for (var j = 0; j < promises.length; j++) {
      var due = Date.parse(promises[j].getAttribute("data-due"));
      var late = promises[j].querySelector("[data-late]");
      if (late && !isNaN(due)) { late.hidden = now <= due; }
    }
  }
  refresh();
  setInterval(refresh, 30000);
})();
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()


STATE_LABEL = {
    ComponentState.OPERATIONAL: "Operational",
    ComponentState.DEGRADED: "Degraded performance",
    ComponentState.OUTAGE: "Major outage",
}
_KIND_LABEL = {"holding": "No news yet", "postmortem": "Write-up", "correction": "Correction"}
_ACTION_LABEL = {"open": "Open", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}


def pages(view: SiteView) -> dict[str, bytes]:
    """Every HTML page of the site, by its path relative to the site's folder."""
    env = _environment()
    common = _common(view)
    found = {"index.html": env.get_template("index.html.j2").render(common, **_index(view))}
    template = env.get_template("incident.html.j2")
    for incident in view.state.incidents.values():
        page = {"root": "../", "incident": _incident(view, incident, root="../")}
        found[view.incident_path(incident.id)] = template.render(common, **page)
    return {path: html.encode() for path, html in found.items()}


@cache
def _environment() -> jinja2.Environment:
    # jinja2 is imported on the first page written, not when the adapter is loaded.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("candor", "templates/site"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _common(view: SiteView) -> dict[str, Any]:
    import markupsafe

    return {
        "lang": "en",
        "site_title": view.title,
        "organization": view.organization.name,
        "script": markupsafe.Markup(_SCRIPT),
        "script_hash": _SCRIPT_HASH,
        "generated": view.stamp(view.now),
        "generated_iso": iso(view.now),
    }


def _index(view: SiteView) -> dict[str, Any]:
    indicator, description = view.overall()
    components = []
    for name in view.component_names:
        state, causes = view.component_state(name)
        components.append(
            {
                "name": name,
                "status": STATUSPAGE_COMPONENT_STATUS[state],
                "label": STATE_LABEL[state],
                "notes": [_scope_note(i.scope) for i in causes],
            }
        )
    return {
        "root": "",
        "indicator": indicator,
        "description": description,
        "components": components,
        "open_incidents": [_incident(view, i, root="") for i in view.open],
        "resolved_incidents": [_incident(view, i, root="") for i in view.resolved],
    }


def _incident(view: SiteView, incident: SiteIncident, *, root: str) -> dict[str, Any]:
    facts = describe_scope(incident.scope)
    updated = incident.updated_at
    due = incident.next_update_by
    ended = incident.impact_ended_at
    shown: dict[str, Any] = {
        "id": incident.id,
        "title": incident.title,
        "href": f"{root}{view.incident_path(incident.id)}",
        "status": incident.status.value,
        "status_label": incident.status.value.capitalize(),
        "impact": incident.impact.value,
        "is_open": incident.is_open,
        "what": facts["what"]
        if incident.is_open
        else f"{facts['components']} {facts['was']} {facts['state']}{facts['where']}",
        "who": facts["who"],
        "for_you": facts["for_you"],
        "started": view.stamp(incident.started_at),
        "started_iso": iso(incident.started_at),
        "updated_iso": iso(updated),
        "updated_ago": ago(view.now - updated),
        "updated": view.stamp(updated),
        "due_iso": iso(due) if due else None,
        "due": view.clock(due) if due else None,
        "late": bool(due and view.now > due),
        "resolved": view.stamp(incident.resolved_at) if incident.resolved_at else None,
        "resolved_iso": iso(incident.resolved_at) if incident.resolved_at else None,
        "ended": view.stamp(ended) if ended else None,
        "ended_iso": iso(ended) if ended else None,
        "duration": duration(ended - incident.started_at) if ended else None,
        "timeline": [
            {
                "id": entry.id,
                "status": entry.status.value,
                "status_label": _KIND_LABEL.get(entry.kind, entry.status.value.capitalize()),
                "at": view.stamp(entry.created_at),
                "at_iso": iso(entry.created_at),
                "text": entry.text,
                "missed": _missed(view, entry),
                "corrected": view.stamp(entry.corrected_at) if entry.corrected_at else None,
                "corrected_iso": iso(entry.corrected_at) if entry.corrected_at else None,
            }
            for entry in incident.timeline()
        ],
        "action_items": [
            {
                "number": item.number,
                "text": item.text,
                "status": item.status.value,
                "status_label": _ACTION_LABEL[item.status.value],
                "updated": view.stamp(item.updated_at),
            }
            for item in incident.action_items
        ],
    }
    return shown


def _missed(view: SiteView, entry: Entry) -> str | None:
    """A plain sentence when this update came after the time we had promised it by."""
    promised = entry.promised_by
    if entry.kind == "postmortem" or promised is None or entry.created_at <= promised:
        return None
    late = duration(entry.created_at - promised)
    return f"We promised this update by {view.clock(promised)} and posted it {late} late."


def _scope_note(scope: Scope) -> str:
    """Who a component is broken for, precisely: "for 1.2% of our customers, in eu-west"."""
    who = describe_scope(scope)["who"]
    where = f", in {', '.join(scope.regions)}" if scope.regions else ""
    return f"for {who}{where}"
