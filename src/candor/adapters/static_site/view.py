"""What the static site's pages, feed and JSON all say, computed once from the record.

Component states follow the status-page policy of :mod:`candor.adapters.pages`
(an outage for the customers it affects is a full outage), the same one the
Statuspage, Cachet and Instatus adapters apply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from candor.adapters import ComponentState, component_state, worst
from candor.model import Impact, Organization

if TYPE_CHECKING:
    from candor.adapters.static_site.record import SiteIncident, SiteState

__all__ = ["SiteView", "ago", "duration", "iso", "page_name", "slug"]

OVERALL = {
    "none": "All Systems Operational",
    "degraded": "Degraded System Performance",
    "partial": "Partial System Outage",
    "major": "Major System Outage",
}


class SiteView:
    """The record as every output reads it: open and resolved incidents, components, clocks."""

    def __init__(
        self,
        state: SiteState,
        organization: Organization,
        now: datetime,
        *,
        components: list[str],
        title: str | None,
        history: int,
        groups: Mapping[str, list[str]] | None = None,
    ) -> None:
        """``components`` are the ones configured, ``title`` the page's own (if any),
        ``history`` how many resolved incidents to show, ``groups`` the component groups
        (each name to its members, in the order shown)."""
        self.state = state
        self.organization = organization
        self.now = now
        self.zone = ZoneInfo(organization.timezone)
        base = organization.status_page_url
        self.base_url = base.rstrip("/") if base else None
        self.page_id = slug(organization.name)
        self.title = title or f"{organization.name} status"
        ordered = sorted(state.incidents.values(), key=lambda i: i.started_at, reverse=True)
        self.open = [i for i in ordered if i.is_open]
        resolved = sorted(
            (i for i in ordered if not i.is_open),
            key=lambda i: i.resolved_at or i.updated_at,
            reverse=True,
        )
        self.resolved = resolved[:history]
        self.months: dict[str, list[SiteIncident]] = {}
        for incident in resolved:  # newest first, by the month it started in
            month = incident.started_at.astimezone(self.zone).strftime("%Y-%m")
            self.months.setdefault(month, []).append(incident)
        self.months = dict(sorted(self.months.items(), reverse=True))
        self.all = ordered
        self.component_names = list(dict.fromkeys([*components, *state.components]))
        self.groups = {name: list(members) for name, members in (groups or {}).items()}
        self._group_of = {m: name for name, members in self.groups.items() for m in members}
        self._feeds: dict[str, str] = {}
        taken: set[str] = set()
        for name in self.component_names:
            stem = slug(name)
            if stem in taken:  # "EU API" and "eu-api": the second one's name decides
                stem = f"{stem}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
            taken.add(stem)
            self._feeds[name] = f"feeds/{stem}.atom"

    def feed_path(self, component: str) -> str:
        """Where a component's Atom feed is, relative to the site's folder."""
        return self._feeds[component]

    def component_state(self, name: str) -> tuple[ComponentState, list[SiteIncident]]:
        """A component's state now, and the open incidents that set it."""
        causes = [i for i in self.open if name in i.scope.components]
        return worst(component_state(i.scope, i.status) for i in causes), causes

    def group_of(self, component: str) -> str | None:
        """The group a component is shown in, or None."""
        return self._group_of.get(component)

    def layout(self) -> list[tuple[str | None, list[str]]]:
        """The components as the page lists them: each group with its members, in the
        configured order, then the components in no group (under ``None``)."""
        ungrouped = [name for name in self.component_names if name not in self._group_of]
        shown: list[tuple[str | None, list[str]]] = list(self.groups.items())
        if ungrouped:
            shown.append((None, ungrouped))
        return shown

    def group_id(self, group: str) -> str:
        """A group's id in the JSON: its slug, kept apart from the components' ids."""
        return f"group-{slug(group)}"

    def group_state(self, group: str) -> ComponentState:
        """The worst state among a group's components."""
        return worst(self.component_state(name)[0] for name in self.groups[group])

    def overall(self) -> tuple[str, str]:
        """Statuspage's ``status``: an indicator and a description."""
        if not self.open:
            return "none", OVERALL["none"]
        states = [self.component_state(name)[0] for name in self.component_names]
        indicator = max((i.impact for i in self.open), key=lambda i: i.rank)
        if ComponentState.OUTAGE in states:
            indicator = max(indicator, Impact.MAJOR, key=lambda i: i.rank)
            everything = all(state is ComponentState.OUTAGE for state in states)
            description = OVERALL["major" if everything else "partial"]
        else:
            indicator = max(indicator, Impact.MINOR, key=lambda i: i.rank)
            description = OVERALL["degraded"]
        return indicator.value, description

    def url(self, relative: str) -> str:
        """``relative`` under the page's public address, or as it is when there is none."""
        return f"{self.base_url}/{relative}" if self.base_url else relative

    def month_path(self, month: str) -> str:
        """Where the history page of a month (``"2026-11"``) is, relative to the site's folder."""
        return f"history/{month}.html"

    def incident_path(self, incident_id: str) -> str:
        """Where an incident's page is, relative to the site's folder."""
        return f"incidents/{page_name(incident_id)}.html"

    def clock(self, when: datetime) -> str:
        local = when.astimezone(self.zone)
        return local.strftime("%H:%M ") + (local.tzname() or self.organization.timezone)

    def stamp(self, when: datetime) -> str:
        local = when.astimezone(self.zone)
        return f"{local.day} {local.strftime('%b %Y')}, {self.clock(when)}"


def slug(name: str) -> str:
    """A stable, URL-safe id for a name: ``"EU API"`` becomes ``"eu-api"``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if text and text.isascii():
        return text
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{text}-{digest}" if text else digest


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def page_name(incident_id: str) -> str:
    """The file name (without ``.html``) of an incident's page; never leaves ``incidents/``."""
    if _SAFE_NAME.fullmatch(incident_id) and ".." not in incident_id:
        return incident_id
    return slug(incident_id)


def iso(when: datetime) -> str:
    """``when`` in UTC to the second, as the feed and the JSON write it."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def ago(delta: timedelta) -> str:
    """The same words the page's script writes, so the page reads the same before it runs."""
    minutes = max(0, int(delta.total_seconds() // 60))

    def plural(n: int, unit: str) -> str:
        return f"{n} {unit}{'' if n == 1 else 's'} ago"

    if minutes < 1:
        return "just now"
    if minutes < 90:
        return plural(minutes, "minute")
    hours = minutes // 60
    if hours < 48:
        return plural(hours, "hour")
    return plural(hours // 24, "day")


def duration(delta: timedelta) -> str:
    """A span in hours and minutes: ``1 h 5 min``, ``2 h``, ``40 min``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
