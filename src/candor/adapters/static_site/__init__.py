"""The static status page: candor's embedded default public channel.

Credentials: none. The adapter writes files into a folder (``path``, relative to
the configuration's folder; ``site`` by default) that any web server, object
store or CDN can serve as it is:

- ``index.html``: every component's status, the overall status, each open
  incident with its whole timeline and its promised next update, and the
  recently resolved incidents;
- ``incidents/<incident id>.html``: one page per incident, whole timeline;
- ``feed.atom``: an Atom 1.0 feed (RFC 4287) with one entry per update, and
  ``feeds/<component>.atom``, one per component, with the updates that touch it;
- ``api/v2/summary.json`` and ``api/v2/incidents.json``: the shape of Atlassian
  Statuspage's public API, so tools that read a Statuspage page read this one;
- ``.candor-site.json``: the adapter's own record of what it has published.

Posting is idempotent: the record keeps one timeline entry per update id, so
posting the same update twice changes nothing. Every output is regenerated
from the record and written atomically (a temporary file, then ``os.replace``);
a reader never sees half a page. Writers in several processes are serialised
with a lock file where the platform has ``fcntl``.

The parts: :mod:`.record` (the record and how it is written), :mod:`.view`
(what every output says, computed once), :mod:`.html` (the pages; all user
text is escaped, the one script pinned by a Content-Security-Policy hash),
:mod:`.feed` (Atom) and :mod:`.api` (the JSON). This module is the adapter.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from candor.adapters import Capabilities, Form, Receipt, ServiceAdapter
from candor.adapters.static_site import api, html, record
from candor.adapters.static_site.feed import component_feeds, feed
from candor.adapters.static_site.record import STATE_FILE, SiteState
from candor.adapters.static_site.view import SiteView, page_name, slug
from candor.errors import DeliveryError
from candor.model import Incident, Organization

if TYPE_CHECKING:
    import httpx

    from candor.adapters import Channel, DeliveryContext, Message

__all__ = ["STATE_FILE", "StaticSiteAdapter", "StaticSiteSettings", "page_name", "slug"]


class ComponentGroup(BaseModel):
    """A named group of components, shown together with the worst state among them."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: str = Field(min_length=1)
    components: list[str] = Field(min_length=1)

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name the group, such as 'Payments'")
        return value.strip()

    @pydantic.field_validator("components")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if not all(names):
            raise ValueError("every component name must be a non-empty string")
        return list(dict.fromkeys(names))


class StaticSiteSettings(BaseModel):
    """The ``[[channels]]`` settings of a static site."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    path: str = "site"
    components: list[str] = Field(default_factory=list)
    groups: list[ComponentGroup] = Field(default_factory=list)
    """Component groups, in the order the page shows them; their components need not be
    listed in ``components`` too."""
    title: str | None = Field(default=None, min_length=1)
    history: int = Field(default=20, ge=0)

    @pydantic.field_validator("path", mode="before")
    @classmethod
    def _path(cls, value: object) -> object:
        if isinstance(value, Path):  # a Channel built in Python may hand over a Path
            value = str(value)
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a folder, such as 'site'")
        if isinstance(value, str) and ("\x00" in value or not _encodable(value)):
            raise ValueError("holds a NUL or a lone surrogate, which no folder's name may hold")
        return value

    @pydantic.field_validator("components")
    @classmethod
    def _components(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value]
        if not all(names):
            raise ValueError("every component name must be a non-empty string")
        return list(dict.fromkeys(names))

    @pydantic.model_validator(mode="after")
    def _groups(self) -> StaticSiteSettings:
        seen: dict[str, str] = {}
        names = {group.name for group in self.groups}
        if len(names) != len(self.groups):
            raise ValueError("groups: two groups have the same name")
        for group in self.groups:
            if group.name in self.components:
                raise ValueError(f"groups: {group.name!r} names a group and a component")
            for member in group.components:
                if member in seen:
                    raise ValueError(
                        f"groups: {member!r} is in both {seen[member]!r} and {group.name!r};"
                        " a component belongs to one group"
                    )
                if member in names:
                    raise ValueError(f"groups: {member!r} names a group and a component")
                seen[member] = group.name
        return self

    @property
    def all_components(self) -> list[str]:
        """Every configured component: the listed ones, then the groups' members."""
        members = [m for group in self.groups for m in group.components]
        return list(dict.fromkeys([*self.components, *members]))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StaticSiteAdapter(ServiceAdapter[StaticSiteSettings]):
    """Publishes updates as a static status page, an Atom feed and Statuspage-shaped JSON."""

    settings_model = StaticSiteSettings
    capabilities = Capabilities(
        form=Form.LONG,
        threading=True,
        editing=True,
        idempotency=True,
        guarantee="exactly once per update: the record keeps one entry per update id",
    )

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        super().__init__(channel, client=client, base_dir=base_dir)
        self.folder = (self.base_dir / self.settings.path).resolve()
        self._lock = asyncio.Lock()

    probe_is_local = True

    async def probe(self) -> str:
        """Whether the site's folder can be written, without writing anything in it.

        A folder that does not exist yet is fine when the nearest folder above
        it can be written: the first update makes it.
        """
        folder = self.folder
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            what = "is not a folder" if not existing.is_dir() else "cannot be written"
            raise DeliveryError(
                self.channel.name,
                f"cannot write the site in {folder}: {existing} {what}",
                retryable=False,
            )
        if existing == folder:
            return f"the site's folder {folder} can be written"
        return (
            f"the site's folder {folder} is not there yet; {existing} can be written, so it will be"
        )

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

    async def edit(self, message: Message, context: DeliveryContext) -> Receipt:
        """Show a correction: the corrected update's entry takes ``message``'s text, marked
        corrected with the time, and every page is regenerated. A record without that
        entry (a site started afresh since) gets the correction as an entry of its own."""
        async with self._lock:
            try:
                done = await asyncio.to_thread(self._correct, message, context)
            except OSError as exc:
                raise DeliveryError(
                    context.channel,
                    f"cannot write the site in {self.folder}: {exc}",
                    retryable=not isinstance(exc, PermissionError),
                ) from exc
        if not done:
            return await self.post(message, context)
        assert context.corrected is not None
        return context.corrected.model_copy(update={"channel": context.channel})

    def _correct(self, message: Message, context: DeliveryContext) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        with record.exclusive(self.folder / record.LOCK_FILE):
            state = record.load(self.folder, self.channel.name)
            new = record.corrected(state, message, context)
            if new is None:
                return False
            if new != state:
                record.save(self.folder, new)
            self._generate(new, context.organization)
        return True

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

    async def republish(self, now: datetime, organization: Organization) -> bool:
        """Write the pages again if a promised update has passed since they were written."""
        async with self._lock:
            try:
                return await asyncio.to_thread(self._republish, now, organization)
            except OSError as exc:
                raise DeliveryError(
                    self.channel.name, f"cannot write the site in {self.folder}: {exc}"
                ) from exc

    def _republish(self, now: datetime, organization: Organization) -> bool:
        if not (self.folder / record.STATE_FILE).is_file():
            return False  # nothing published yet: nothing can have aged
        with record.exclusive(self.folder / record.LOCK_FILE):
            new = record.aged(record.load(self.folder, self.channel.name), now)
            if new is None:
                return False
            record.save(self.folder, new)
            self._generate(new, organization)
            return True

    def _refresh(self, incident: Incident, organization: Organization) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with record.exclusive(self.folder / record.LOCK_FILE):
            new = record.refreshed(record.load(self.folder, self.channel.name), incident)
            if new is None:
                return
            record.save(self.folder, new)
            self._generate(new, organization)

    def _publish(self, message: Message, context: DeliveryContext) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with record.exclusive(self.folder / record.LOCK_FILE):
            state = record.load(self.folder, self.channel.name)
            new = record.merge(state, message, context, self.settings.all_components)
            if new != state:
                record.save(self.folder, new)
            # Regenerating from the record (and its own clock) gives the same bytes
            # for the same record, so a repeated post rewrites nothing.
            self._generate(new, context.organization)

    def _generate(self, state: SiteState, organization: Organization) -> None:
        """Write every output from ``state``: the pages, the feed and the JSON."""
        now = state.generated_at or datetime.now(UTC)
        view = SiteView(
            state,
            organization,
            now,
            components=self.settings.all_components,
            groups={group.name: group.components for group in self.settings.groups},
            title=self.settings.title,
            history=self.settings.history,
        )
        outputs = {
            **html.pages(view),
            "feed.atom": feed(view),
            **component_feeds(view),
            **api.documents(view),
        }
        for relative, content in outputs.items():
            record.write(self.folder / relative, content)

    def _incident_url(self, organization: Organization, incident_id: str) -> str:
        base = organization.status_page_url
        if base:
            return f"{base.rstrip('/')}/incidents/{page_name(incident_id)}.html"
        return (self.folder / "incidents" / f"{page_name(incident_id)}.html").as_uri()
