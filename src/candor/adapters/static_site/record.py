"""The static site's record, ``.candor-site.json``: what it has published, and how it is kept.

One entry per update id, so posting the same update twice changes nothing. The
record and every output are written atomically (a temporary file, then
``os.replace``); writers in several processes are serialised with a lock file
where the platform has ``fcntl``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from candor.errors import DeliveryError
from candor.model import ActionItem, Impact, Incident, Scope, Status

if TYPE_CHECKING:
    from candor.adapters import DeliveryContext, Message

__all__ = [
    "LOCK_FILE",
    "STATE_FILE",
    "Entry",
    "SiteIncident",
    "SiteState",
    "corrected",
    "exclusive",
    "load",
    "merge",
    "refreshed",
    "save",
    "write",
]

STATE_FILE = ".candor-site.json"
LOCK_FILE = ".candor-site.lock"
STATE_FORMAT = 1


class Entry(BaseModel):
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
    ended_at: AwareDatetime | None = None
    """For a resolution: when the impact ended, as it said (None: when it was posted)."""
    promised_by: AwareDatetime | None = None
    """The time this update was promised by (the previous update's next-update time)."""
    corrected_at: AwareDatetime | None = None
    """When the text was last corrected (``text`` is then the corrected one); None if never."""


class SiteIncident(BaseModel):
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
    ended_at: AwareDatetime | None = None
    """When the impact ended: the resolution's ``ended_at``, else ``resolved_at``."""
    next_update_by: AwareDatetime | None = None
    version: int
    updates: dict[str, Entry]
    action_items: tuple[ActionItem, ...] = ()

    def timeline(self) -> list[Entry]:
        """Entries newest first."""
        return sorted(self.updates.values(), key=lambda e: (e.seq, e.created_at), reverse=True)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.RESOLVED

    @property
    def impact_ended_at(self) -> datetime | None:
        """When the impact ended (a record an older candor wrote knows only ``resolved_at``)."""
        return self.ended_at if self.ended_at is not None else self.resolved_at

    @property
    def updated_at(self) -> datetime:
        return max(e.created_at for e in self.updates.values())


class SiteState(BaseModel):
    """The whole record kept in ``.candor-site.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = STATE_FORMAT
    generated_at: AwareDatetime | None = None
    components: dict[str, AwareDatetime] = Field(default_factory=dict)
    incidents: dict[str, SiteIncident] = Field(default_factory=dict)


def load(folder: Path, channel: str) -> SiteState:
    """The record in ``folder`` (an empty one if there is none yet)."""
    path = folder / STATE_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return SiteState()
    try:
        state = SiteState.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        raise DeliveryError(
            channel,
            f"{path} is not a record this version of candor wrote ({exc.error_count()} "
            "problems); move it aside to start the site afresh",
            retryable=False,
        ) from None
    if state.format != STATE_FORMAT:
        raise DeliveryError(
            channel,
            f"{path} has format {state.format}; this candor reads format {STATE_FORMAT}",
            retryable=False,
        )
    return state


def save(folder: Path, state: SiteState) -> None:
    """Write ``state`` as the record of ``folder``."""
    write(folder / STATE_FILE, state.model_dump_json(indent=2).encode() + b"\n")


def merge(
    state: SiteState, message: Message, context: DeliveryContext, configured: list[str]
) -> SiteState:
    """``state`` with this update's entry and its incident's facts upserted."""
    incident, update = context.incident, context.update
    old = state.incidents.get(incident.id)
    entry = Entry(
        id=message.update_id,
        seq=update.seq,
        status=update.status,
        impact=update.impact,
        scope=update.scope,
        text=message.text,
        created_at=update.created_at,
        next_update_by=update.next_update_by,
        kind=update.kind.value,
        ended_at=update.ended_at,
        promised_by=update.promised_by,
    )
    entries = dict(old.updates) if old else {}
    entries[entry.id] = entry
    # The facts shown beside the timeline come from its newest published entry,
    # so a retry of an old update delivered late never rolls the page back.
    # A correction posted as an entry of its own changes no fact: the facts are the news's.
    told = [e for e in entries.values() if e.kind != "correction"] or list(entries.values())
    latest = max(told, key=lambda e: (e.seq, e.created_at))
    newest_incident = old is None or incident.version >= old.version
    title = incident.title if newest_incident or old is None else old.title
    resolved_at = latest.created_at if latest.status is Status.RESOLVED else None
    # The window ends when the impact did: the resolution's own word (a write-up keeps it).
    resolution = max(
        (e for e in entries.values() if e.kind == "resolve"),
        key=lambda e: (e.seq, e.created_at),
        default=None,
    )
    ended_at = None
    if resolved_at is not None:
        ended_at = resolved_at
        if resolution is not None:
            ended_at = resolution.ended_at or resolution.created_at
    merged = SiteIncident(
        id=incident.id,
        title=title,
        status=latest.status,
        impact=latest.impact,
        scope=latest.scope,
        started_at=incident.started_at,
        created_at=incident.created_at,
        resolved_at=resolved_at,
        ended_at=ended_at,
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
    return SiteState(
        generated_at=context.now.astimezone(UTC), components=components, incidents=incidents
    )


def corrected(state: SiteState, message: Message, context: DeliveryContext) -> SiteState | None:
    """``state`` with the corrected update's entry showing ``message``; None if it has no entry.

    The entry keeps its place and time on the timeline, and records when it was
    corrected; the same correction made twice changes nothing.
    """
    target = context.update.corrects
    old = state.incidents.get(context.incident.id)
    entry = old.updates.get(target) if old is not None and target is not None else None
    if old is None or entry is None:
        return None
    at = context.update.created_at.astimezone(UTC)
    if entry.text == message.text and entry.corrected_at == at:
        return state
    entries = dict(old.updates)
    entries[entry.id] = entry.model_copy(update={"text": message.text, "corrected_at": at})
    incidents = dict(state.incidents)
    incidents[old.id] = old.model_copy(update={"updates": entries})
    generated = max(state.generated_at or at, at)
    return state.model_copy(update={"incidents": incidents, "generated_at": generated})


def refreshed(state: SiteState, incident: Incident) -> SiteState | None:
    """``state`` with ``incident``'s action items as they now stand; None if nothing changed."""
    old = state.incidents.get(incident.id)
    if old is None or old.action_items == incident.action_items:
        return None
    incidents = dict(state.incidents)
    incidents[incident.id] = old.model_copy(update={"action_items": incident.action_items})
    moments = [i.updated_at for i in incident.action_items]
    generated = max([state.generated_at or incident.updated_at, *moments])
    return state.model_copy(update={"incidents": incidents, "generated_at": generated})


def aged(state: SiteState, now: datetime) -> SiteState | None:
    """``state`` written as of ``now`` when a promise it shows has passed since it was
    written (so the page can say so without its script); None when none has."""
    written = state.generated_at
    passed = [
        incident.next_update_by
        for incident in state.incidents.values()
        if incident.is_open
        and incident.next_update_by is not None
        and (written is None or written < incident.next_update_by)
        and incident.next_update_by <= now
    ]
    if not passed:
        return None
    return state.model_copy(update={"generated_at": now.astimezone(UTC)})


def write(path: Path, content: bytes) -> None:
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
def exclusive(path: Path) -> Iterator[None]:
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
