"""Each component's last 90 days, from the incidents' real windows of impact.

A component's state at any moment comes from the published timeline: from an
update's time (the incident's start for the first) to the next update's, the
component is in the state that update put it in (:func:`component_state`), and
every window stops when the impact ended (the resolution's ``ended_at``), not
when someone posted "resolved". An incident still open counts up to the time
the page is written.

An outage is counted as such whether it hit everyone or some customers (for the
customers it hits, a partial outage is a full outage): the uptime figure is the
share of the 90 days with no outage of any size. The minutes are also told
apart: *major* when the update named no share or count of customers and no
region (so everyone), or a share of 100% with no region; *partial* otherwise;
*degraded* for a slowdown. Each day is coloured by the worst impact (Statuspage's
none/minor/major/critical) of the incidents that hurt the component that day.
Days are days in the organization's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from candor.adapters import ComponentState, component_state
from candor.model import Impact, Scope

if TYPE_CHECKING:
    from candor.adapters.static_site.record import SiteIncident
    from candor.adapters.static_site.view import SiteView

__all__ = ["DAYS", "Day", "History", "history"]

DAYS = 90


@dataclass
class Day:
    """One day of one component: minutes of each kind of trouble, and the worst impact."""

    day: date
    major: int = 0
    partial: int = 0
    degraded: int = 0
    impact: Impact = Impact.NONE

    @property
    def outage(self) -> int:
        """Minutes of outage, for everyone or for some."""
        return self.major + self.partial

    def words(self) -> str:
        """The day in words, for the tooltip and for screen readers."""
        head = f"{self.day:%d %b %Y}".lstrip("0")
        parts = [
            f"{_minutes(n)} {what}"
            for n, what in (
                (self.major, "major outage"),
                (self.partial, "partial outage"),
                (self.degraded, "degraded performance"),
            )
            if n
        ]
        return f"{head}: {', '.join(parts)}" if parts else f"{head}: no incidents"


@dataclass
class History:
    """A component's days, oldest first, and its uptime over them."""

    component: str
    days: list[Day] = field(default_factory=list)

    @property
    def uptime(self) -> float:
        """The share of the period with no outage, in percent, to two decimals (floored)."""
        total = len(self.days) * 24 * 60
        down = sum(day.outage for day in self.days)
        if not total:
            return 100.0
        return int(10_000 * (total - min(down, total)) / total) / 100

    def words(self) -> str:
        troubled = [day for day in self.days if day.outage or day.degraded]
        head = f"{self.component}: {self.uptime:.2f}% uptime over the last {len(self.days)} days"
        if not troubled:
            return f"{head}, with no incidents."
        return f"{head}. " + "; ".join(day.words() for day in troubled) + "."


def _minutes(n: int) -> str:
    hours, minutes = divmod(n, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _everyone(scope: Scope) -> bool:
    if scope.regions:
        return False
    if scope.affected_fraction is not None:
        return scope.affected_fraction >= 1.0
    return scope.affected_count is None


def _windows(
    incident: SiteIncident, component: str, now: datetime
) -> list[tuple[datetime, datetime, str, Impact]]:
    """The spans in which ``incident`` hurt ``component``: start, end, kind, impact."""
    entries = sorted(incident.updates.values(), key=lambda e: (e.seq, e.created_at))
    stop = incident.impact_ended_at or now
    spans: list[tuple[datetime, datetime, str, Impact]] = []
    for index, entry in enumerate(entries):
        begin = incident.started_at if index == 0 else entry.created_at
        end = entries[index + 1].created_at if index + 1 < len(entries) else now
        end = min(end, stop)
        if end <= begin or component not in entry.scope.components:
            continue
        state = component_state(entry.scope, entry.status)
        if state is ComponentState.OPERATIONAL:
            continue
        if state is ComponentState.DEGRADED:
            kind = "degraded"
        else:
            kind = "major" if _everyone(entry.scope) else "partial"
        spans.append((begin, end, kind, entry.impact))
    return spans


def history(view: SiteView, *, days: int = DAYS) -> list[History]:
    """Every component's last ``days`` days, ending with the day the page is written."""
    zone = view.zone
    today = view.now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    bounds = [
        datetime.combine(first + timedelta(days=n), time(0), tzinfo=zone) for n in range(days + 1)
    ]
    found = []
    for name in view.component_names:
        rows = [Day(day=first + timedelta(days=n)) for n in range(days)]
        for incident in view.state.incidents.values():
            for begin, end, kind, impact in _windows(incident, name, view.now):
                for n, row in enumerate(rows):
                    start, finish = max(begin, bounds[n]), min(end, bounds[n + 1])
                    if finish <= start:
                        continue
                    minutes = round((finish - start).total_seconds() / 60)
                    setattr(row, kind, getattr(row, kind) + minutes)
                    if impact.rank > row.impact.rank:
                        row.impact = impact
        for row in rows:  # overlapping incidents never make a day longer than a day
            row.major = min(row.major, 1440)
            row.partial = min(row.partial, 1440 - row.major)
            row.degraded = min(row.degraded, 1440 - row.outage)
        found.append(History(component=name, days=rows))
    return found
