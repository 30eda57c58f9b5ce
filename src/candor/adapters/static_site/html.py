"""The static site's HTML: the front page and one page per incident, from Jinja2 templates.

All user text is HTML-escaped by Jinja2's autoescape; the one inline script is
a constant (it adds "N minutes ago" and the reader's local time to the absolute
times the page states, and shows a late notice once a promise passes) and is pinned by a
Content-Security-Policy hash, so an injected script could not run even if
escaping failed.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
from functools import cache
from typing import TYPE_CHECKING, Any

from candor.adapters import STATUSPAGE_COMPONENT_STATUS, ComponentState
from candor.adapters.static_site import uptime
from candor.adapters.static_site.view import SiteView, iso
from candor.model import describe_duration, minute_up
from candor.render import describe_scope

if TYPE_CHECKING:
    import jinja2

    from candor.adapters.static_site.record import Entry, SiteIncident
    from candor.model import Scope

__all__ = ["pages"]

# The only script on any page. It holds no user text: it reads the datetime
# attributes the server wrote and adds "N minutes ago" beside the absolute times (which
# the HTML states, so a cached page or one read without JavaScript says nothing false),
# the reader's local time as a tooltip, and shows the "late" note once a promised update
# time has gone by (the page also says so itself when it was written after it).
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
    var agos = document.querySelectorAll("[data-ago]");
    for (var i = 0; i < agos.length; i++) {
      var at = Date.parse(agos[i].getAttribute("data-ago"));
      if (!isNaN(at)) {
        agos[i].textContent = " (" + ago(Math.max(0, now - at)) + ")";
        agos[i].setAttribute("data-live", "");
      }
    }
    var times = document.querySelectorAll("time[datetime]");
    for (var k = 0; k < times.length; k++) {
      var when = Date.parse(times[k].getAttribute("datetime"));
      if (!isNaN(when) && !times[k].title) {
        times[k].title = "Your time: " + new Date(when).toLocaleString();
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
        one: dict[str, Any] = {"root": "../", "incident": _incident(view, incident, root="../")}
        found[view.incident_path(incident.id)] = template.render(common, **one)
    months = list(view.months)  # newest first
    template = env.get_template("history.html.j2")
    for position, month in enumerate(months):
        page: dict[str, Any] = {
            "root": "../",
            "month": _month_name(month),
            "incidents": [_incident(view, i, root="../") for i in view.months[month]],
            "newer": _month_link(months, position - 1),
            "older": _month_link(months, position + 1),
            "months": [_month_link(months, n) for n in range(len(months))],
        }
        found[view.month_path(month)] = template.render(common, **page)
    return {path: html.encode() for path, html in found.items()}


@cache
def _month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"


def _month_link(months: list[str], position: int) -> dict[str, str] | None:
    """A link from one history page to another (they sit side by side in ``history/``)."""
    if not 0 <= position < len(months):
        return None
    return {"href": f"{months[position]}.html", "name": _month_name(months[position])}


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

    histories = {found.component: found for found in uptime.history(view)}

    def component(name: str) -> dict[str, Any]:
        state, causes = view.component_state(name)
        past = histories[name]
        return {
            "name": name,
            "status": STATUSPAGE_COMPONENT_STATUS[state],
            "label": STATE_LABEL[state],
            "notes": [_scope_note(i.scope) for i in causes],
            "feed": view.feed_path(name),
            "uptime": {
                "figure": f"{past.uptime:.2f}",
                "words": past.words(),
                "days": [
                    {
                        "impact": day.impact.value,
                        "shape": "down" if day.outage else "slow" if day.degraded else "up",
                        "words": day.words(),
                    }
                    for day in past.days
                ],
            },
        }

    components = [component(name) for name in view.component_names]
    layout = []
    for group, members in view.layout():
        state = view.group_state(group) if group is not None else None
        layout.append(
            {
                "name": group,
                "status": STATUSPAGE_COMPONENT_STATUS[state] if state else None,
                "label": STATE_LABEL[state] if state else None,
                "components": [component(name) for name in members],
            }
        )
    return {
        "root": "",
        "indicator": indicator,
        "description": description,
        "components": components,
        "layout": layout,
        "history": [
            {"href": view.month_path(month), "name": _month_name(month)} for month in view.months
        ],
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
        "updated": view.stamp(updated),
        "due_iso": iso(due) if due else None,
        "due": view.clock(minute_up(due)) if due else None,
        "late": bool(due and view.now > due),
        "resolved": view.stamp(incident.resolved_at) if incident.resolved_at else None,
        "resolved_iso": iso(incident.resolved_at) if incident.resolved_at else None,
        "ended": view.stamp(ended) if ended else None,
        "ended_iso": iso(ended) if ended else None,
        "duration": describe_duration(ended - incident.started_at) if ended else None,
        "timeline": [
            {
                "id": entry.id,
                "status": entry.status.value,
                "status_label": _KIND_LABEL.get(entry.kind, entry.status.value.capitalize()),
                "at": view.stamp(entry.created_at),
                "at_iso": iso(entry.created_at),
                "text": _entry_text(entry, incident),
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
    late = describe_duration(entry.created_at - promised)
    return (
        f"We promised this update by {view.clock(minute_up(promised))} and posted it {late} late."
    )


def _entry_text(entry: Entry, incident: SiteIncident) -> str:
    """An entry's text without the scope sentence the page states once, above the timeline.

    Only the opening sentence the default templates write (``describe_scope``'s
    ``lead``), and only while the entry's scope is the incident's own: an entry from
    before the scope changed keeps it, as the record of what was true then.
    """
    if entry.scope != incident.scope:
        return entry.text
    lead = describe_scope(entry.scope)["lead"]
    if lead not in entry.text:
        return entry.text
    text = entry.text.replace(lead, "", 1)
    return "\n".join(line.strip() for line in text.strip().splitlines()).replace("\n\n\n", "\n\n")


def _scope_note(scope: Scope) -> str:
    """Who a component is broken for, precisely: "for 1.2% of our customers, in eu-west"."""
    who = describe_scope(scope)["who"]
    where = f", in {', '.join(scope.regions)}" if scope.regions else ""
    return f"for {who}{where}"
