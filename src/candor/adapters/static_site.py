"""The static status page: candor's embedded default public channel.

Credentials: none. The adapter writes files into a folder (``path``, relative to
the configuration's folder; ``site`` by default) that any web server, object
store or CDN can serve as it is:

- ``index.html``: every component's status, the overall status, each open
  incident with its whole timeline and its promised next update, and the
  recently resolved incidents;
- ``incidents/<incident id>.html``: one page per incident, whole timeline;
- ``feed.atom``: an Atom 1.0 feed (RFC 4287) with one entry per update;
- ``api/v2/summary.json`` and ``api/v2/incidents.json``: the shape of Atlassian
  Statuspage's public API, so tools that read a Statuspage page read this one;
- ``.candor-site.json``: the adapter's own record of what it has published.

Posting is idempotent: the record keeps one timeline entry per update id, so
posting the same update twice changes nothing. Every output is regenerated
from the record and written atomically (a temporary file, then ``os.replace``);
a reader never sees half a page. Writers in several processes are serialised
with a lock file where the platform has ``fcntl``.

All user text is HTML-escaped by Jinja2's autoescape; the one inline script is
a constant (it refreshes "N minutes ago" in the browser) and is pinned by a
Content-Security-Policy hash, so an injected script could not run even if
escaping failed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from candor.adapters.base import parse_settings
from candor.errors import DeliveryError
from candor.model import ActionItem, Effect, Impact, Incident, Organization, Scope, Status
from candor.render import describe_scope
from candor.vocabulary import Capabilities, Channel, Form, Receipt

if TYPE_CHECKING:
    import httpx
    import jinja2

    from candor.vocabulary import DeliveryContext, Message

__all__ = ["StaticSiteAdapter", "StaticSiteSettings"]

STATE_FILE = ".candor-site.json"
_LOCK_FILE = ".candor-site.lock"
_STATE_FORMAT = 1
_ATOM = "http://www.w3.org/2005/Atom"

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

_STATUS_LABEL = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
_COMPONENT_RANK = {name: rank for rank, name in enumerate(_STATUS_LABEL)}
_OVERALL = {
    "none": "All Systems Operational",
    "degraded": "Degraded System Performance",
    "partial": "Partial System Outage",
    "major": "Major System Outage",
}


class StaticSiteSettings(BaseModel):
    """The ``[[channels]]`` settings of a static site."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    path: str = "site"
    components: list[str] = Field(default_factory=list)
    title: str | None = Field(default=None, min_length=1)
    history: int = Field(default=20, ge=0)

    @pydantic.field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: object) -> object:
        if isinstance(value, Path):  # a Channel built in Python may hand over a Path
            value = str(value)
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a folder, such as 'site'")
        return value

    @pydantic.field_validator("components")
    @classmethod
    def _components(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if not all(names):
            raise ValueError("every component name must be a non-empty string")
        return list(dict.fromkeys(names))


class _Entry(BaseModel):
    """One published timeline entry: the text exactly as this channel rendered it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    seq: int
    status: Status
    impact: Impact
    scope: Scope
    text: str
    created_at: AwareDatetime
    next_update_by: AwareDatetime | None = None
    kind: str = "update"
    promised_by: AwareDatetime | None = None
    """The time this update was promised by (the previous update's next-update time)."""


class _SiteIncident(BaseModel):
    """An incident as the site shows it: its facts and the entries published so far."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    status: Status
    impact: Impact
    scope: Scope
    started_at: AwareDatetime
    created_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    next_update_by: AwareDatetime | None = None
    version: int
    updates: dict[str, _Entry]
    action_items: tuple[ActionItem, ...] = ()

    def timeline(self) -> list[_Entry]:
        """Entries newest first."""
        return sorted(self.updates.values(), key=lambda e: (e.seq, e.created_at), reverse=True)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.RESOLVED

    @property
    def updated_at(self) -> datetime:
        return max(e.created_at for e in self.updates.values())


class _SiteState(BaseModel):
    """The whole record kept in ``.candor-site.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = _STATE_FORMAT
    generated_at: AwareDatetime | None = None
    components: dict[str, AwareDatetime] = Field(default_factory=dict)
    incidents: dict[str, _SiteIncident] = Field(default_factory=dict)


class StaticSiteAdapter:
    """Publishes updates as a static status page, an Atom feed and Statuspage-shaped JSON."""

    capabilities = Capabilities(form=Form.LONG, threading=True, editing=True, idempotency=True)

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        self.channel = channel
        self.settings = parse_settings(StaticSiteSettings, channel)
        self.folder = (Path(base_dir) / self.settings.path).resolve()
        self._lock = asyncio.Lock()
        self._env: jinja2.Environment | None = None

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Record the update on the site and regenerate every page; a repeat changes nothing."""
        async with self._lock:
            try:
                await asyncio.to_thread(self._publish, message, context)
            except OSError as exc:
                raise DeliveryError(
                    context.channel,
                    f"cannot write the site in {self.folder}: {exc}",
                    retryable=not isinstance(exc, PermissionError),
                ) from exc
        return Receipt(
            channel=context.channel,
            remote_id=message.update_id,
            url=self._incident_url(context.organization, message.incident_id),
            thread_root=message.incident_id,
        )

    async def aclose(self) -> None:
        """Nothing to release: every write is finished before ``post`` returns."""

    async def refresh(self, incident: Incident, organization: Organization) -> None:
        """Show the incident's write-up action items as they now stand (see ``Refreshing``)."""
        async with self._lock:
            try:
                await asyncio.to_thread(self._refresh, incident, organization)
            except OSError as exc:
                raise DeliveryError(
                    self.channel.name, f"cannot write the site in {self.folder}: {exc}"
                ) from exc

    def _refresh(self, incident: Incident, organization: Organization) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(self.folder / _LOCK_FILE):
            state = self._load()
            old = state.incidents.get(incident.id)
            if old is None or old.action_items == incident.action_items:
                return
            incidents = dict(state.incidents)
            incidents[incident.id] = old.model_copy(update={"action_items": incident.action_items})
            moments = [i.updated_at for i in incident.action_items]
            generated = max([state.generated_at or incident.updated_at, *moments])
            new = state.model_copy(update={"incidents": incidents, "generated_at": generated})
            _write(self.folder / STATE_FILE, new.model_dump_json(indent=2).encode() + b"\n")
            self._generate(new, organization)

    # -- the record -----------------------------------------------------------------

    def _publish(self, message: Message, context: DeliveryContext) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(self.folder / _LOCK_FILE):
            state = self._load()
            new = _merge(state, message, context, self.settings.components)
            if new != state:
                _write(self.folder / STATE_FILE, new.model_dump_json(indent=2).encode() + b"\n")
            # Regenerating from the record (and its own clock) gives the same bytes
            # for the same record, so a repeated post rewrites nothing.
            self._generate(new, context.organization)

    def _load(self) -> _SiteState:
        path = self.folder / STATE_FILE
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return _SiteState()
        try:
            state = _SiteState.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            raise DeliveryError(
                self.channel.name,
                f"{path} is not a record this version of candor wrote ({exc.error_count()} "
                "problems); move it aside to start the site afresh",
                retryable=False,
            ) from None
        if state.format != _STATE_FORMAT:
            raise DeliveryError(
                self.channel.name,
                f"{path} has format {state.format}; this candor reads format {_STATE_FORMAT}",
                retryable=False,
            )
        return state

    # -- outputs --------------------------------------------------------------------

    def _generate(self, state: _SiteState, organization: Organization) -> None:
        now = state.generated_at or datetime.now(UTC)
        view = _SiteView(state, organization, self.settings, now)
        env = self._environment()
        common = view.common()
        _write(
            self.folder / "index.html",
            env.get_template("index.html.j2").render(common, **view.index()).encode(),
        )
        for incident in state.incidents.values():
            _write(
                self.folder / "incidents" / f"{page_name(incident.id)}.html",
                env.get_template("incident.html.j2")
                .render(common, **view.incident_page(incident))
                .encode(),
            )
        _write(self.folder / "feed.atom", view.feed())
        summary, incidents = view.statuspage()
        _write(self.folder / "api" / "v2" / "summary.json", _json(summary))
        _write(self.folder / "api" / "v2" / "incidents.json", _json(incidents))

    def _environment(self) -> jinja2.Environment:
        if self._env is None:
            import jinja2

            self._env = jinja2.Environment(
                loader=jinja2.PackageLoader("candor", "templates/site"),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        return self._env

    def _incident_url(self, organization: Organization, incident_id: str) -> str:
        base = organization.status_page_url
        if base:
            return f"{base.rstrip('/')}/incidents/{page_name(incident_id)}.html"
        return (self.folder / "incidents" / f"{page_name(incident_id)}.html").as_uri()


def _merge(
    state: _SiteState, message: Message, context: DeliveryContext, configured: list[str]
) -> _SiteState:
    """``state`` with this update's entry and its incident's facts upserted."""
    incident, update = context.incident, context.update
    old = state.incidents.get(incident.id)
    entry = _Entry(
        id=message.update_id,
        seq=update.seq,
        status=update.status,
        impact=update.impact,
        scope=update.scope,
        text=message.text,
        created_at=update.created_at,
        next_update_by=update.next_update_by,
        kind=update.kind.value,
        promised_by=update.promised_by,
    )
    entries = dict(old.updates) if old else {}
    entries[entry.id] = entry
    # The facts shown beside the timeline come from its newest published entry,
    # so a retry of an old update delivered late never rolls the page back.
    latest = max(entries.values(), key=lambda e: (e.seq, e.created_at))
    newest_incident = old is None or incident.version >= old.version
    title = incident.title if newest_incident or old is None else old.title
    resolved_at = latest.created_at if latest.status is Status.RESOLVED else None
    merged = _SiteIncident(
        id=incident.id,
        title=title,
        status=latest.status,
        impact=latest.impact,
        scope=latest.scope,
        started_at=incident.started_at,
        created_at=incident.created_at,
        resolved_at=resolved_at,
        next_update_by=None if latest.status is Status.RESOLVED else latest.next_update_by,
        version=max(incident.version, old.version if old else 0),
        updates=entries,
        action_items=incident.action_items if newest_incident or old is None else old.action_items,
    )
    if old == merged and all(name in state.components for name in configured):
        return state
    components = dict(state.components)
    for name in [*configured, *merged.scope.components]:
        components.setdefault(name, context.now.astimezone(UTC))
    incidents = dict(state.incidents)
    incidents[incident.id] = merged
    return _SiteState(
        generated_at=context.now.astimezone(UTC), components=components, incidents=incidents
    )


_KIND_LABEL = {"holding": "No news yet", "postmortem": "Write-up"}
_ACTION_LABEL = {"open": "Open", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}


class _SiteView:
    """What the pages, the feed and the JSON say, computed once from the record."""

    def __init__(
        self,
        state: _SiteState,
        organization: Organization,
        settings: StaticSiteSettings,
        now: datetime,
    ) -> None:
        self.state = state
        self.organization = organization
        self.settings = settings
        self.now = now
        self.zone = ZoneInfo(organization.timezone)
        base = organization.status_page_url
        self.base_url = base.rstrip("/") if base else None
        self.page_id = slug(organization.name)
        ordered = sorted(state.incidents.values(), key=lambda i: i.started_at, reverse=True)
        self.open = [i for i in ordered if i.is_open]
        resolved = sorted(
            (i for i in ordered if not i.is_open),
            key=lambda i: i.resolved_at or i.updated_at,
            reverse=True,
        )
        self.resolved = resolved[: settings.history]
        self.all = ordered
        self.component_names = list(dict.fromkeys([*settings.components, *state.components]))

    # -- shared facts -----------------------------------------------------------------

    def component_status(self, name: str) -> tuple[str, list[_SiteIncident]]:
        """The Statuspage status of a component and the open incidents that set it."""
        status, causes = "operational", []
        for incident in self.open:
            if name in incident.scope.components:
                causes.append(incident)
                hit = (
                    "major_outage"
                    if incident.scope.effect is Effect.OUTAGE
                    else "degraded_performance"
                )
                if _COMPONENT_RANK[hit] > _COMPONENT_RANK[status]:
                    status = hit
        return status, causes

    def overall(self) -> tuple[str, str]:
        """Statuspage's ``status``: an indicator and a description."""
        if not self.open:
            return "none", _OVERALL["none"]
        statuses = [self.component_status(name)[0] for name in self.component_names]
        indicator = max((i.impact for i in self.open), key=lambda i: i.rank)
        if "major_outage" in statuses:
            indicator = max(indicator, Impact.MAJOR, key=lambda i: i.rank)
            everything = all(s == "major_outage" for s in statuses)
            description = _OVERALL["major" if everything else "partial"]
        else:
            indicator = max(indicator, Impact.MINOR, key=lambda i: i.rank)
            description = _OVERALL["degraded"]
        return indicator.value, description

    def url(self, relative: str) -> str:
        return f"{self.base_url}/{relative}" if self.base_url else relative

    def clock(self, when: datetime) -> str:
        local = when.astimezone(self.zone)
        return local.strftime("%H:%M ") + (local.tzname() or self.organization.timezone)

    def stamp(self, when: datetime) -> str:
        local = when.astimezone(self.zone)
        return f"{local.day} {local.strftime('%b %Y')}, {self.clock(when)}"

    # -- HTML -------------------------------------------------------------------------

    def common(self) -> dict[str, Any]:
        import markupsafe

        return {
            "lang": "en",
            "site_title": self.settings.title or f"{self.organization.name} status",
            "organization": self.organization.name,
            "script": markupsafe.Markup(_SCRIPT),
            "script_hash": _SCRIPT_HASH,
            "generated": self.stamp(self.now),
            "generated_iso": _iso(self.now),
        }

    def index(self) -> dict[str, Any]:
        indicator, description = self.overall()
        components = []
        for name in self.component_names:
            status, causes = self.component_status(name)
            components.append(
                {
                    "name": name,
                    "status": status,
                    "label": _STATUS_LABEL[status],
                    "notes": [_scope_note(i.scope) for i in causes],
                }
            )
        return {
            "root": "",
            "indicator": indicator,
            "description": description,
            "components": components,
            "open_incidents": [self.incident_view(i, root="") for i in self.open],
            "resolved_incidents": [self.incident_view(i, root="") for i in self.resolved],
        }

    def incident_page(self, incident: _SiteIncident) -> dict[str, Any]:
        return {"root": "../", "incident": self.incident_view(incident, root="../")}

    def incident_view(self, incident: _SiteIncident, *, root: str) -> dict[str, Any]:
        facts = describe_scope(incident.scope)
        updated = incident.updated_at
        due = incident.next_update_by
        view: dict[str, Any] = {
            "id": incident.id,
            "title": incident.title,
            "href": f"{root}incidents/{page_name(incident.id)}.html",
            "status": incident.status.value,
            "status_label": incident.status.value.capitalize(),
            "impact": incident.impact.value,
            "is_open": incident.is_open,
            "what": facts["what"]
            if incident.is_open
            else f"{facts['components']} {facts['was']} {facts['state']}{facts['where']}",
            "who": facts["who"],
            "for_you": facts["for_you"],
            "started": self.stamp(incident.started_at),
            "started_iso": _iso(incident.started_at),
            "updated_iso": _iso(updated),
            "updated_ago": _ago(self.now - updated),
            "updated": self.stamp(updated),
            "due_iso": _iso(due) if due else None,
            "due": self.clock(due) if due else None,
            "late": bool(due and self.now > due),
            "resolved": self.stamp(incident.resolved_at) if incident.resolved_at else None,
            "resolved_iso": _iso(incident.resolved_at) if incident.resolved_at else None,
            "duration": (
                _duration(incident.resolved_at - incident.started_at)
                if incident.resolved_at
                else None
            ),
            "timeline": [
                {
                    "id": entry.id,
                    "status": entry.status.value,
                    "status_label": _KIND_LABEL.get(entry.kind, entry.status.value.capitalize()),
                    "at": self.stamp(entry.created_at),
                    "at_iso": _iso(entry.created_at),
                    "text": entry.text,
                    "missed": self.missed(entry),
                }
                for entry in incident.timeline()
            ],
            "action_items": [
                {
                    "number": item.number,
                    "text": item.text,
                    "status": item.status.value,
                    "status_label": _ACTION_LABEL[item.status.value],
                    "updated": self.stamp(item.updated_at),
                }
                for item in incident.action_items
            ],
        }
        return view

    def missed(self, entry: _Entry) -> str | None:
        """A plain sentence when this update came after the time we had promised it by."""
        promised = entry.promised_by
        if entry.kind == "postmortem" or promised is None or entry.created_at <= promised:
            return None
        late = _duration(entry.created_at - promised)
        return f"We promised this update by {self.clock(promised)} and posted it {late} late."

    # -- Atom -------------------------------------------------------------------------

    def feed(self) -> bytes:
        ET.register_namespace("", _ATOM)

        def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
            node = ET.SubElement(parent, f"{{{_ATOM}}}{tag}", attrs)
            if text is not None:
                node.text = text
            return node

        title = self.settings.title or f"{self.organization.name} status"
        feed = ET.Element(f"{{{_ATOM}}}feed")
        feed.set("xml:lang", "en")
        feed_id = self.url("feed.atom") if self.base_url else f"urn:candor:feed:{self.page_id}"
        sub(feed, "id", feed_id)
        sub(feed, "title", title)
        entries = [
            (incident, entry)
            for incident in [*self.open, *self.resolved]
            for entry in incident.updates.values()
        ]
        entries.sort(key=lambda pair: (pair[1].created_at, pair[1].seq), reverse=True)
        updated = entries[0][1].created_at if entries else self.now
        sub(feed, "updated", _iso(updated))
        author = sub(feed, "author")
        sub(author, "name", self.organization.name)
        if self.base_url:
            sub(feed, "link", rel="self", type="application/atom+xml", href=self.url("feed.atom"))
        sub(feed, "link", rel="alternate", type="text/html", href=self.url("index.html"))
        sub(feed, "generator", "candor")
        for incident, entry in entries:
            item = sub(feed, "entry")
            sub(item, "id", f"urn:candor:update:{entry.id}")
            sub(item, "title", f"{entry.status.value.capitalize()}: {incident.title}")
            sub(item, "published", _iso(entry.created_at))
            sub(item, "updated", _iso(entry.created_at))
            sub(
                item,
                "link",
                rel="alternate",
                type="text/html",
                href=self.url(f"incidents/{page_name(incident.id)}.html"),
            )
            sub(item, "content", entry.text, type="text")
        ET.indent(feed)
        document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return document + b"\n"

    # -- Statuspage JSON --------------------------------------------------------------

    def statuspage(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``summary.json`` and ``incidents.json``, in the shape of Statuspage's public API."""
        page = {
            "id": self.page_id,
            "name": self.organization.name,
            "url": self.base_url or "",
            "time_zone": self.organization.timezone,
            "updated_at": _iso(self.now),
        }
        components = [
            self.component_json(name, position)
            for position, name in enumerate(self.component_names, start=1)
        ]
        indicator, description = self.overall()
        summary = {
            "page": page,
            "components": components,
            "incidents": [self.incident_json(i) for i in self.open],
            "scheduled_maintenances": [],
            "status": {"indicator": indicator, "description": description},
        }
        incidents = {"page": page, "incidents": [self.incident_json(i) for i in self.all]}
        return summary, incidents

    def component_json(self, name: str, position: int) -> dict[str, Any]:
        status, _ = self.component_status(name)
        created = self.state.components.get(name, self.now)
        touched = [
            entry.created_at
            for incident in self.all
            for entry in incident.updates.values()
            if name in entry.scope.components
        ]
        return {
            "id": slug(name),
            "name": name,
            "status": status,
            "created_at": _iso(created),
            "updated_at": _iso(max([created, *touched])),
            "position": position,
            "description": None,
            "showcase": True,
            "start_date": None,
            "group_id": None,
            "page_id": self.page_id,
            "group": False,
            "only_show_if_degraded": False,
        }

    def incident_json(self, incident: _SiteIncident) -> dict[str, Any]:
        timeline = incident.timeline()
        monitoring = [e.created_at for e in timeline if e.status is Status.MONITORING]
        positions = {name: n for n, name in enumerate(self.component_names, start=1)}
        return {
            "id": incident.id,
            "name": incident.title,
            "status": incident.status.value,
            "created_at": _iso(incident.created_at),
            "updated_at": _iso(incident.updated_at),
            "monitoring_at": _iso(min(monitoring)) if monitoring else None,
            "resolved_at": _iso(incident.resolved_at) if incident.resolved_at else None,
            "impact": incident.impact.value,
            "shortlink": self.url(f"incidents/{page_name(incident.id)}.html"),
            "started_at": _iso(incident.started_at),
            "page_id": self.page_id,
            "incident_updates": [
                {
                    "id": entry.id,
                    "status": entry.status.value,
                    "body": entry.text,
                    "incident_id": incident.id,
                    "created_at": _iso(entry.created_at),
                    "updated_at": _iso(entry.created_at),
                    "display_at": _iso(entry.created_at),
                    "affected_components": [
                        {
                            "code": slug(name),
                            "name": name,
                            "old_status": "operational",
                            "new_status": _entry_component_status(entry),
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
                self.component_json(name, positions.get(name, len(positions) + 1))
                for name in incident.scope.components
            ],
        }


def _entry_component_status(entry: _Entry) -> str:
    if entry.status is Status.RESOLVED:
        return "operational"
    return "major_outage" if entry.scope.effect is Effect.OUTAGE else "degraded_performance"


def _scope_note(scope: Scope) -> str:
    """Who a component is broken for, precisely: "for 1.2% of our customers, in eu-west"."""
    who = describe_scope(scope)["who"]
    where = f", in {', '.join(scope.regions)}" if scope.regions else ""
    return f"for {who}{where}"


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


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ago(delta: timedelta) -> str:
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


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically; leave the file alone when it already says so."""
    try:
        if path.read_bytes() == content:
            return
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` so that two processes never interleave a publish."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process per site folder
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
