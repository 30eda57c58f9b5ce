"""How well an incident was told: the comms scorecard, and a small SVG of it.

Pure: it reads an incident's timeline, deliveries and promises at a moment and
says how fast the first public update came, the longest silence, the promises
made, kept and broken, the channels left without the ending, and the overrides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from html import escape
from itertools import pairwise

from pydantic import BaseModel, ConfigDict

from candor.model import (
    ActionItem,
    DeliveryState,
    Incident,
    Promise,
    PromiseKind,
    Status,
    UpdateKind,
)
from candor.promises import channels_that_carried

__all__ = ["OverrideRecord", "Scorecard", "scorecard", "timeline_svg"]


class OverrideRecord(BaseModel):
    """A check override on the timeline: which update, which checks, why, who."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    codes: tuple[str, ...]
    reason: str
    by: str | None = None


class Scorecard(BaseModel):
    """How well an incident was told: speed, silences, promises, endings and overrides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: str
    title: str
    status: Status
    detected_at: datetime
    impact_ended_at: datetime | None = None
    """When customers stopped being hit (the resolution's ``ended_at``); None while open."""
    impact_duration: timedelta | None = None
    """From ``detected_at`` (the incident's start) to ``impact_ended_at``."""
    first_public_update_at: datetime | None
    time_to_first_update: timedelta | None
    longest_silence: timedelta
    longest_silence_from: datetime | None
    longest_silence_to: datetime | None
    promises_made: int
    promises_kept: int
    promises_broken: int
    promises_open: int
    promises: tuple[Promise, ...]
    update_times: tuple[datetime, ...]
    channels_without_resolution: tuple[str, ...]
    overrides: tuple[OverrideRecord, ...]
    action_items: tuple[ActionItem, ...]
    generated_at: datetime

    def text(self) -> str:
        """The scorecard as a few plain lines, for a terminal or a postmortem document."""
        lines = [f"{self.incident_id}: {self.title} ({self.status.value})"]
        first = (
            f"{_span(self.time_to_first_update)} (at {_clock(self.first_public_update_at)})"
            if self.time_to_first_update is not None and self.first_public_update_at
            else "no public channel has received an update"
        )
        lines.append(f"  detection to first public update: {first}")
        if self.impact_ended_at is not None:
            lines.append(
                f"  impact: {_span(self.impact_duration)} (from {_clock(self.detected_at)} "
                f"to {_clock(self.impact_ended_at)})"
            )
        silence = _span(self.longest_silence)
        if self.longest_silence_from and self.longest_silence_to:
            silence += (
                f" (from {_clock(self.longest_silence_from)} to {_clock(self.longest_silence_to)})"
            )
        lines.append(f"  longest silence: {silence}")
        lines.append(
            f"  promises: {self.promises_made} made, {self.promises_kept} kept, "
            f"{self.promises_broken} broken, {self.promises_open} open"
        )
        left = ", ".join(self.channels_without_resolution) or "none"
        lines.append(f"  channels left without the resolution: {left}")
        if not self.overrides:
            lines.append("  check overrides: none")
        for override in self.overrides:
            who = f" by {override.by}" if override.by else ""
            lines.append(
                f"  check override in update {override.seq}{who}: "
                f"{', '.join(override.codes)}: {override.reason}"
            )
        for item in self.action_items:
            lines.append(f"  action {item.number} [{item.status.value}]: {item.text}")
        return "\n".join(lines)


def scorecard(
    incident: Incident,
    promises: Iterable[Promise],
    now: datetime,
    *,
    public: Callable[[str], bool] = lambda channel: True,
) -> Scorecard:
    """The comms scorecard of ``incident`` at ``now``; ``public`` says which channels count."""
    made = tuple(sorted((p for p in promises if p.incident_id == incident.id), key=_made_at))
    first_sent = min(
        (
            d.sent_at
            for d in incident.deliveries
            if d.state is DeliveryState.SENT and d.sent_at is not None and public(d.channel)
        ),
        default=None,
    )
    times = [u.created_at for u in incident.told]  # a correction breaks no silence
    marks = [*times, now] if incident.is_open else times
    silence, since, until = timedelta(0), None, None
    for earlier, later in pairwise(marks):
        if later - earlier > silence:
            silence, since, until = later - earlier, earlier, later
    kept = sum(1 for p in made if not p.is_open and not p.is_broken(now))
    broken = sum(1 for p in made if p.is_broken(now))
    ended = incident.impact_ended_at
    return Scorecard(
        incident_id=incident.id,
        title=incident.title,
        status=incident.status,
        detected_at=incident.started_at,
        impact_ended_at=ended,
        impact_duration=ended - incident.started_at if ended is not None else None,
        first_public_update_at=first_sent,
        # Never negative: a delivery stamped by a host whose clock is behind the one that
        # opened the incident came no sooner than the detection.
        time_to_first_update=(
            max(first_sent - incident.started_at, timedelta(0)) if first_sent else None
        ),
        longest_silence=silence,
        longest_silence_from=since,
        longest_silence_to=until,
        promises_made=len(made),
        promises_kept=kept,
        promises_broken=broken,
        promises_open=len(made) - kept - broken,
        promises=made,
        update_times=tuple(times),
        channels_without_resolution=tuple(_without_resolution(incident)),
        overrides=tuple(
            OverrideRecord(
                seq=u.seq, codes=u.override.codes, reason=u.override.reason, by=u.override.by
            )
            for u in incident.updates
            if u.override is not None
        ),
        action_items=incident.action_items,
        generated_at=now,
    )


def _made_at(promise: Promise) -> tuple[datetime, str]:
    return (promise.due_at, promise.update_id)


def _without_resolution(incident: Incident) -> list[str]:
    resolution = next((u for u in reversed(incident.updates) if u.kind is UpdateKind.RESOLVE), None)
    if incident.status is not Status.RESOLVED or resolution is None:
        return []
    got = {
        d.channel
        for d in incident.deliveries
        if d.seq >= resolution.seq and d.state is DeliveryState.SENT
    }
    return [channel for channel in channels_that_carried(incident) if channel not in got]


def _span(delta: timedelta | None) -> str:
    if delta is None:
        return "unknown"
    delta = max(delta, timedelta(0))
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _clock(when: datetime | None) -> str:
    return "?" if when is None else f"{when:%Y-%m-%d %H:%M} UTC"


def timeline_svg(card: Scorecard, *, width: int = 720) -> str:
    """A small SVG chart: updates as dots on a time line, each promise as a bar to its due time.

    A kept promise is drawn green, a broken one red, an open one grey; a dashed
    line marks detection. It has no dependencies and no script.
    """
    starts = [card.detected_at, *card.update_times]
    ends = [
        card.generated_at,
        *(p.due_at for p in card.promises if p.kind is PromiseKind.NEXT_UPDATE),
    ]
    first, last = min(starts), max([*starts, *ends])
    span = max((last - first).total_seconds(), 1.0)
    left, right = 20, width - 20
    rows = [p for p in card.promises if p.kind is PromiseKind.NEXT_UPDATE]
    height = 70 + 14 * len(rows)

    def x(when: datetime) -> float:
        return round(left + (right - left) * (when - first).total_seconds() / span, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(card.incident_id)}: updates against the promises</title>",
        f'<line x1="{left}" y1="30" x2="{right}" y2="30" stroke="#444"/>',
        f'<line x1="{x(card.detected_at)}" y1="14" x2="{x(card.detected_at)}" y2="{height - 6}" '
        'stroke="#444" stroke-dasharray="3 3"/>',
        f'<text x="{left}" y="12">{escape(_clock(first))}</text>',
        f'<text x="{right}" y="12" text-anchor="end">{escape(_clock(last))}</text>',
    ]
    for when in card.update_times:
        parts.append(f'<circle cx="{x(when)}" cy="30" r="4" fill="#1f4e99"/>')
    for row, promise in enumerate(rows):
        start = _made_time(card, promise)
        colour = (
            "#b3261e"
            if promise.is_broken(card.generated_at)
            else "#2e7d32"
            if not promise.is_open
            else "#888"
        )
        y = 50 + 14 * row
        parts.append(
            f'<rect x="{x(start)}" y="{y}" width="{max(x(promise.due_at) - x(start), 1)}" '
            f'height="8" fill="{colour}"><title>{escape(promise.update_id)}: next update by '
            f"{escape(_clock(promise.due_at))}</title></rect>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _made_time(card: Scorecard, promise: Promise) -> datetime:
    seq = promise.update_id.rsplit(".", 1)[-1]
    if seq.isdigit() and 0 < int(seq) <= len(card.update_times):
        return card.update_times[int(seq) - 1]
    return card.detected_at
