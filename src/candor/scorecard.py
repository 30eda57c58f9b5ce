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
    update_statuses: tuple[Status, ...] = ()
    """The status of each update, in the order of ``update_times``."""
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
        update_statuses=tuple(u.status for u in incident.updates),
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


_KEPT, _LATE, _OPEN, _INK, _MUTED = "#2e7d32", "#b3261e", "#6b6f76", "#1b1d21", "#55595f"
_MARKS = {
    Status.INVESTIGATING: "circle",
    Status.IDENTIFIED: "square",
    Status.MONITORING: "diamond",
    Status.RESOLVED: "big circle",
}


def timeline_svg(card: Scorecard, *, width: int = 720) -> str:
    """An SVG chart of how the incident was told, readable at the width of a docs page.

    Each update is a mark on the time line, shaped by its status and labelled with
    it and its time; below, each promise is a bar from the update that made it to
    when it was kept (or to now, while open): green where it was kept in time, red
    from its due time on when it was late, grey while open. The write-up promise
    has a row of its own. Time ticks along the top, a legend at the bottom, and a
    dashed line at detection. Colour is never the only signal: late stretches are
    also hatched, and every bar and mark has a tooltip in words. No script, no
    dependencies.
    """
    now = card.generated_at
    promises = sorted(
        card.promises, key=lambda p: (p.kind is PromiseKind.POSTMORTEM, _made_time(card, p))
    )
    starts = [card.detected_at, *card.update_times]
    # The axis spans the updates and the next-update promises (and now, while open); a
    # write-up due days later points off its right edge instead of squeezing the rest.
    nexts = [p for p in promises if p.kind is PromiseKind.NEXT_UPDATE]
    ends = [
        *([now] if card.status is not Status.RESOLVED else []),
        *(p.due_at for p in nexts),
        *(p.kept_at for p in nexts if p.kept_at),
    ]
    first, last = min(starts), max([*starts, *ends])
    span = max((last - first).total_seconds(), 60.0)
    left, right = 24, width - 24
    axis = 44
    labels = max(1, min(len(card.update_times), 4))  # label rows, staggered so none overlap
    bars_top = axis + 22 + 14 * labels
    row_height = 18
    legend = bars_top + row_height * len(promises) + 16
    height = legend + 26

    def x(when: datetime) -> float:
        at = left + (right - left) * (when - first).total_seconds() / span
        return round(min(at, right + 6), 1)  # past the axis: just off its right edge

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="11" '
        f'role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(card.incident_id)}: {len(card.update_times)} updates'
        f" against {len(promises)} promises ({card.promises_kept} kept,"
        f" {card.promises_broken} broken, {card.promises_open} open)</title>",
        '<defs><pattern id="late" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#b3261e"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>',
        f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" stroke="{_INK}"/>',
    ]
    for tick in _ticks(first, last):
        parts.append(
            f'<line x1="{x(tick)}" y1="{axis - 4}" x2="{x(tick)}" y2="{axis + 4}" '
            f'stroke="{_INK}"/><text x="{x(tick)}" y="{axis - 8}" text-anchor="middle" '
            f'fill="{_MUTED}">{tick:%H:%M}</text>'
        )
    parts.append(f'<text x="{left}" y="12" fill="{_MUTED}">{escape(_clock(first))}</text>')
    detected = x(card.detected_at)
    parts.append(
        f'<line x1="{detected}" y1="{axis - 14}" x2="{detected}" y2="{legend - 10}" '
        f'stroke="{_MUTED}" stroke-dasharray="3 3"><title>detected '
        f"{escape(_clock(card.detected_at))}</title></line>"
    )
    statuses: list[Status | None] = [*card.update_statuses] or [None] * len(card.update_times)
    for index, (when, status) in enumerate(zip(card.update_times, statuses, strict=False)):
        name = status.value if status is not None else "update"
        tag, attributes = _mark(_MARKS.get(status, "circle") if status else "circle", x(when), axis)
        parts.append(
            f"<{tag} {attributes}><title>{escape(name)} at {escape(_clock(when))}</title></{tag}>"
        )
        label_y = axis + 20 + 14 * (index % labels)
        anchor = "start" if x(when) < left + 40 else "end" if x(when) > right - 40 else "middle"
        parts.append(
            f'<text x="{x(when)}" y="{label_y}" text-anchor="{anchor}" fill="{_INK}">'
            f"{escape(name.capitalize())} {when:%H:%M}</text>"
        )
    for row, promise in enumerate(promises):
        y = bars_top + row_height * row
        made = _made_time(card, promise)
        until = promise.kept_at or now
        what = "write-up" if promise.kind is PromiseKind.POSTMORTEM else "next update"
        state = "late" if promise.is_broken(now) else "open" if promise.is_open else "kept in time"
        words = f"{what} promised at {_clock(made)} for {_clock(promise.due_at)}: {state}" + (
            f", kept at {_clock(promise.kept_at)}" if promise.kept_at else ""
        )
        on_time_end = min(until, promise.due_at)
        # Green only for a promise kept in time; grey while it waited, then hatched red.
        colour = _OPEN if promise.is_open or promise.is_broken(now) else _KEPT
        parts.append(f"<g><title>{escape(words)}</title>")
        parts.append(
            f'<rect x="{x(made)}" y="{y}" width="{max(x(on_time_end) - x(made), 1)}" '
            f'height="10" fill="{colour}"/>'
        )
        if until > promise.due_at:
            parts.append(
                f'<rect x="{x(promise.due_at)}" y="{y}" '
                f'width="{max(x(until) - x(promise.due_at), 1)}" height="10" fill="url(#late)"/>'
            )
        parts.append(
            f'<line x1="{x(promise.due_at)}" y1="{y - 2}" x2="{x(promise.due_at)}" '
            f'y2="{y + 12}" stroke="{_INK}"/>'
        )
        if promise.kind is PromiseKind.POSTMORTEM:
            beyond = " →" if promise.due_at > last else ""
            parts.append(
                f'<text x="{x(made) - 4}" y="{y + 9}" text-anchor="end" fill="{_INK}">'
                f"write-up, due {promise.due_at:%d %b %H:%M}{beyond}</text>"
            )
        parts.append("</g>")
    legend_items = [
        ("rect", _KEPT, "kept in time"),
        ("late", _LATE, "late (past its due time)"),
        ("rect", _OPEN, "waiting, not yet due"),
        ("tick", _INK, "due time"),
    ]
    cursor = left
    for kind, colour, words in legend_items:
        if kind == "tick":
            parts.append(
                f'<line x1="{cursor + 5}" y1="{legend - 2}" x2="{cursor + 5}" y2="{legend + 10}" '
                f'stroke="{colour}"/>'
            )
        else:
            fill = "url(#late)" if kind == "late" else colour
            parts.append(f'<rect x="{cursor}" y="{legend}" width="14" height="8" fill="{fill}"/>')
        parts.append(f'<text x="{cursor + 18}" y="{legend + 8}" fill="{_INK}">{words}</text>')
        cursor += 30 + 6 * len(words)
    marks = "  ".join(f"{shape}: {status.value}" for status, shape in _MARKS.items())
    parts.append(f'<text x="{left}" y="{legend + 22}" fill="{_MUTED}">Marks, {marks}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _ticks(first: datetime, last: datetime) -> list[datetime]:
    """Round times between ``first`` and ``last``, at a step that gives four to eight."""
    span = (last - first).total_seconds()
    for minutes in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440):
        if span / (minutes * 60) <= 8:
            break
    step = timedelta(minutes=minutes)
    start = first.replace(second=0, microsecond=0)
    offset = (start.hour * 60 + start.minute) % minutes
    tick = start + timedelta(minutes=(minutes - offset) % minutes)
    found = []
    while tick <= last:
        found.append(tick)
        tick += step
    return found


def _mark(shape: str, cx: float, cy: float) -> tuple[str, str]:
    """An update's mark, as an SVG tag and its attributes; the shape says the status."""
    if shape == "square":
        return "rect", f'x="{cx - 4}" y="{cy - 4}" width="8" height="8" fill="#1f4f8f"'
    if shape == "diamond":
        points = f"{cx},{cy - 5} {cx + 5},{cy} {cx},{cy + 5} {cx - 5},{cy}"
        return "polygon", f'points="{points}" fill="#7a4a00"'
    if shape == "big circle":
        return "circle", f'cx="{cx}" cy="{cy}" r="5" fill="{_KEPT}"'
    return "circle", f'cx="{cx}" cy="{cy}" r="4" fill="#1f4f8f"'


def _made_time(card: Scorecard, promise: Promise) -> datetime:
    seq = promise.update_id.rsplit(".", 1)[-1]
    if seq.isdigit() and 0 < int(seq) <= len(card.update_times):
        return card.update_times[int(seq) - 1]
    return card.detected_at
