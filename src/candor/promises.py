"""The promise ledger: what is owed to whom, what to do before a promise breaks, and the scorecard.

Every update that is not final promises the next one by a time; a resolution
that names a date promises the write-up. This module reads those promises
against the timeline and the outbox and answers three questions:

- which promises are broken or about to break (:func:`reminders`), for the
  incident as a whole and for each channel: a channel that never received the
  update that kept a promise still waits for it, whatever the incident did;
- what the organisation's policy does about them (:func:`keep_promises`,
  :func:`watch`): warn, or post an honest holding update;
- how well the incident was told (:func:`scorecard`, :func:`timeline_svg`).

It sits beside the facade: :class:`~candor.communicator.AsyncCommunicator`
delegates its ``overdue``, ``keep_promises``, ``watch``, ``publish_postmortem``,
``close`` and ``report`` here.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from itertools import pairwise
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from candor.errors import ConflictError, InputError, PromiseError
from candor.log import get_logger
from candor.model import (
    ActionItem,
    Closure,
    DeliveryState,
    Incident,
    Promise,
    PromiseKind,
    Reminder,
    ReminderState,
    Status,
    Update,
    UpdateKind,
    WriteUp,
    check_transition,
)
from candor.policy import OnDue

if TYPE_CHECKING:
    from candor.communicator import AsyncCommunicator

__all__ = [
    "PolicyAction",
    "Scorecard",
    "keep_promises",
    "reminders",
    "scorecard",
    "timeline_svg",
    "watch",
]

log = get_logger("candor")

HOLDING_MESSAGE = "We have nothing new to tell you yet."
"""What a holding update records as its message; its templates say the rest."""


# -- the ledger (pure) ---------------------------------------------------------------


def reminders(
    incidents: Iterable[Incident],
    promises: Iterable[Promise],
    now: datetime,
    *,
    lead: timedelta,
) -> list[Reminder]:
    """The promises broken at ``now``, or due within ``lead`` of it, soonest due first.

    An open promise past its time is broken for the incident (``channel`` None);
    one due within ``lead`` is due soon. A promise the incident kept on time is
    still broken on each channel that has not received the update that kept it
    (nor any later one) once its time has passed: one reminder per channel, for
    the earliest such promise. Incidents whose books are closed owe nothing.
    """
    by_incident: dict[str, list[Promise]] = defaultdict(list)
    for promise in promises:
        by_incident[promise.incident_id].append(promise)
    found: list[Reminder] = []
    for incident in incidents:
        if incident.closure is not None:
            continue
        per_channel: dict[str, Reminder] = {}
        for promise in sorted(by_incident.get(incident.id, ()), key=lambda p: p.due_at):
            if promise.is_open:
                state = _open_state(promise, now, lead)
                if state is not None:
                    found.append(_reminder(promise, state))
                continue
            if promise.is_broken(now) or now <= promise.due_at:
                continue  # kept late (history, for the scorecard) or not due yet anywhere
            for channel in _channels_still_owed(incident, promise):
                per_channel.setdefault(channel, _reminder(promise, ReminderState.BROKEN, channel))
        found.extend(per_channel.values())
    return sorted(found, key=lambda r: (r.due_at, r.incident_id, r.channel or ""))


def _open_state(promise: Promise, now: datetime, lead: timedelta) -> ReminderState | None:
    if now > promise.due_at:
        return ReminderState.BROKEN
    if now >= promise.due_at - lead:
        return ReminderState.DUE_SOON
    return None


def _reminder(promise: Promise, state: ReminderState, channel: str | None = None) -> Reminder:
    return Reminder(
        incident_id=promise.incident_id,
        update_id=promise.update_id,
        kind=promise.kind,
        due_at=promise.due_at,
        state=state,
        channel=channel,
    )


def _channels_still_owed(incident: Incident, promise: Promise) -> list[str]:
    """Channels that were owed the update keeping ``promise`` and have received none since."""
    keeper = next((u for u in incident.updates if u.id == promise.kept_by), None)
    if keeper is None:
        return []
    owed = {d.channel for d in incident.deliveries if d.update_id == keeper.id}
    received = {
        d.channel
        for d in incident.deliveries
        if d.seq >= keeper.seq and d.state is DeliveryState.SENT
    }
    return sorted(owed - received)


def told_anyone(incident: Incident) -> bool:
    """True when at least one channel received at least one of the incident's updates."""
    return any(d.state is DeliveryState.SENT for d in incident.deliveries)


def channels_that_carried(incident: Incident) -> list[str]:
    """Every channel that was given any update of the incident, whatever became of it."""
    return list(dict.fromkeys(d.channel for d in incident.deliveries))


# -- planning the ledger's own updates (pure) ------------------------------------------


def plan_holding(current: Incident, now: datetime, next_update_by: datetime) -> Incident:
    """The incident after an honest holding update: same status, same facts, a new promise."""
    check_transition(current.status, current.status, via=UpdateKind.HOLDING)
    last = current.updates[-1]
    seq = len(current.updates) + 1
    update = Update(
        id=f"{current.id}.{seq}",
        incident_id=current.id,
        seq=seq,
        kind=UpdateKind.HOLDING,
        status=current.status,
        previous_status=current.status,
        impact=current.impact,
        scope=current.scope,
        message=HOLDING_MESSAGE,
        cause=current.cause,
        workaround=last.workaround,
        next_update_by=next_update_by,
        promised_by=current.next_update_by,
        created_at=now,
    )
    return _appended(current, update, next_update_by=next_update_by)


def plan_write_up(current: Incident, now: datetime, write_up: WriteUp) -> Incident:
    """The incident after its write-up is published; it must be resolved, and not written up."""
    if current.status is not Status.RESOLVED:
        raise PromiseError(current.id, "resolve the incident before publishing its write-up")
    if current.write_up is not None:
        raise PromiseError(
            current.id,
            "its write-up is already published; change an action item's status with "
            "set_action_item()",
        )
    check_transition(current.status, Status.RESOLVED, via=UpdateKind.POSTMORTEM)
    seq = len(current.updates) + 1
    update = Update(
        id=f"{current.id}.{seq}",
        incident_id=current.id,
        seq=seq,
        kind=UpdateKind.POSTMORTEM,
        status=Status.RESOLVED,
        previous_status=Status.RESOLVED,
        impact=current.impact,
        scope=current.scope,
        message=write_up.summary,
        cause=current.cause,
        write_up=write_up,
        created_at=now,
    )
    return _appended(current, update, next_update_by=None)


def _appended(current: Incident, update: Update, *, next_update_by: datetime | None) -> Incident:
    return current.model_copy(
        update={
            "updated_at": update.created_at,
            "next_update_by": next_update_by,
            "version": current.version + 1,
            "updates": (*current.updates, update),
            "deliveries": (),
        }
    )


def closure_for(
    incident: Incident,
    promises: Sequence[Promise],
    now: datetime,
    reason: str | None,
    by: str | None,
) -> Closure:
    """The closure to record, or PromiseError while the write-up is owed and no reason is given."""
    if incident.status is not Status.RESOLVED:
        raise PromiseError(incident.id, "resolve the incident before closing its books")
    if incident.closure is not None:
        raise PromiseError(incident.id, "its books are already closed")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise InputError("reason", reason, "must say why, for the record")
    owed = [p for p in promises if p.incident_id == incident.id and p.is_open]
    described = tuple(
        f"{'write-up' if p.kind is PromiseKind.POSTMORTEM else 'next update'} "
        f"due by {p.due_at:%Y-%m-%d %H:%M} UTC (promised in update {p.update_id})"
        for p in owed
    )
    if owed and reason is None:
        raise PromiseError(
            incident.id,
            f"cannot close while a promise is open: {'; '.join(described)}; publish the "
            "write-up first, or close with a reason, which is recorded",
        )
    return Closure(
        closed_at=now,
        by=by,
        reason=reason.strip() if reason is not None else None,
        overridden=described,
    )


# -- the policy ----------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyAction:
    """What the promise policy did about one reminder: ``warned`` or ``holding_update``."""

    reminder: Reminder
    action: str
    incident: Incident | None = None


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


async def keep_promises(
    comms: AsyncCommunicator, now: datetime | None = None
) -> builtins.list[PolicyAction]:
    """Run the organisation's policy once over every reminder; returns what this process did.

    With ``holding_update`` an open incident whose next update is due soon (or
    late) gets an honest holding update on every channel; the incident's version
    check elects one writer when two watchers race, and the other sees the
    promise kept. Everything else (a write-up, a channel still owed an update,
    and every reminder under ``warn``) is warned about, once: the store records
    who warned, so a second watcher does not warn again.
    """
    moment = now if now is not None else comms.now()
    done: builtins.list[PolicyAction] = []
    for reminder in await comms.overdue(moment):
        holding = (
            comms.policy.on_due is OnDue.HOLDING_UPDATE
            and reminder.kind is PromiseKind.NEXT_UPDATE
            and reminder.channel is None
        )
        if holding:
            posted = await _post_holding(comms, reminder, moment)
            if posted is not None:
                done.append(PolicyAction(reminder, "holding_update", posted))
            continue
        key = f"{reminder.key}/{reminder.state.value}"
        won = await asyncio.to_thread(comms.store.claim_reminder, key, holder=_holder(), at=moment)
        if won:
            await _warn(comms, reminder, moment)
            done.append(PolicyAction(reminder, "warned"))
    return done


async def _post_holding(
    comms: AsyncCommunicator, reminder: Reminder, now: datetime
) -> Incident | None:
    current = await comms.get(reminder.incident_id)
    if not current.is_open or current.updates[-1].id != reminder.update_id:
        return None  # kept meanwhile, by a person or by another watcher
    next_by = comms.policy.next_update_by(current.impact, current.status, now)
    assert next_by is not None
    planned = plan_holding(current, now, next_by)
    try:
        incident = await comms._commit(planned, expected_version=current.version)
    except ConflictError:
        log.info("holding_update_done_elsewhere", incident_id=current.id)
        return None
    log.warning(
        "holding_update_posted",
        incident_id=current.id,
        promised_by=str(reminder.due_at),
        next_update_by=str(next_by),
    )
    return incident


def warning_text(reminder: Reminder, incident: Incident, now: datetime) -> str:
    """The internal warning about one reminder: what was promised, by when, what to do."""
    what = "next update" if reminder.kind is PromiseKind.NEXT_UPDATE else "write-up"
    due = f"{reminder.due_at:%H:%M} UTC"
    where = f" on channel {reminder.channel}" if reminder.channel else ""
    if reminder.state is ReminderState.BROKEN:
        late = max(int((now - reminder.due_at).total_seconds() // 60), 0)
        head = f"The {what} for {incident.id} ({incident.title}) was promised by {due}{where} "
        head += f"and is {late} minute{'s' if late != 1 else ''} late."
    else:
        left = max(int((reminder.due_at - now).total_seconds() // 60), 0)
        head = f"The {what} for {incident.id} ({incident.title}) is promised by {due}: "
        head += f"{left} minute{'s' if left != 1 else ''} left."
    if reminder.channel:
        todo = f"Run `candor deliver`, or fix the channel {reminder.channel}."
    elif reminder.kind is PromiseKind.POSTMORTEM:
        todo = f"Publish it with `candor postmortem {incident.id}`."
    else:
        todo = f"Post it with `candor update {incident.id} -m ...`, even if nothing is new."
    return f"{head} {todo}"


async def _warn(comms: AsyncCommunicator, reminder: Reminder, now: datetime) -> None:
    from candor.vocabulary import Audience, DeliveryContext, Message

    event = "promise_broken" if reminder.state is ReminderState.BROKEN else "promise_due_soon"
    log.warning(
        event,
        incident_id=reminder.incident_id,
        kind=reminder.kind.value,
        due_at=str(reminder.due_at),
        channel=reminder.channel,
    )
    names = comms.policy.warn_channels
    if names is None:
        names = tuple(n for n, c in comms.channels.items() if c.audience is Audience.INTERNAL)
    if not names:
        return
    incident = await comms.get(reminder.incident_id)
    update = incident.updates[-1]
    text = warning_text(reminder, incident, now)
    for name in names:
        adapter = comms.adapters.get(name)
        if adapter is None:
            continue
        message = Message(
            channel=name,
            form=adapter.capabilities.form,
            title=incident.title,
            text=text,
            incident_id=incident.id,
            update_id=update.id,
            seq=update.seq,
            status=incident.status,
            next_update_by=incident.next_update_by,
        )
        context = DeliveryContext(
            channel=name,
            incident=incident,
            update=update,
            idempotency_key=f"candor-reminder:{reminder.key}:{reminder.state.value}:{name}",
            organization=comms.organization,
            now=now,
        )
        try:
            await adapter.post(message, context)
        except Exception as exc:  # a warning that fails is logged; it never stops the watch
            log.error("promise_warning_failed", channel=name, error=str(exc))


Sleep = Callable[[float], Awaitable[None]]


async def watch(
    comms: AsyncCommunicator,
    *,
    interval: timedelta = timedelta(minutes=1),
    ticks: int | None = None,
    duration: timedelta = timedelta(hours=24),
    stop: threading.Event | None = None,
    sleep: Sleep | None = None,
    on_action: Callable[[PolicyAction], None] | None = None,
) -> builtins.list[PolicyAction]:
    """Run :func:`keep_promises` every ``interval`` until ``ticks`` runs, ``duration``, or ``stop``.

    Bounded by design: it ends after ``ticks`` runs when given, and in any case
    once ``duration`` (default 24 hours) has passed on the communicator's clock,
    or as soon as ``stop`` is set. ``sleep`` is how it waits (tests pass one that
    moves their clock). Two watchers on two hosts sharing a store are safe: see
    :func:`keep_promises`.
    """
    if interval <= timedelta(0):
        raise InputError("interval", interval, "must be longer than zero")
    if ticks is not None and ticks < 1:
        raise InputError("ticks", ticks, "must be at least 1")
    stop = stop or threading.Event()
    wait = sleep or _interruptible(stop)
    deadline = comms.now() + duration
    done: builtins.list[PolicyAction] = []
    runs = 0
    while not stop.is_set():
        for action in await keep_promises(comms):
            done.append(action)
            if on_action is not None:
                on_action(action)
        runs += 1
        if (ticks is not None and runs >= ticks) or comms.now() >= deadline or stop.is_set():
            break
        await wait(interval.total_seconds())
    log.info("watch_stopped", runs=runs, actions=len(done))
    return done


def _interruptible(stop: threading.Event) -> Sleep:
    async def sleep(seconds: float) -> None:
        # Wake at least once a second, so that setting ``stop`` ends the watch promptly.
        remaining = seconds
        while remaining > 0 and not stop.is_set():
            step = min(remaining, 1.0)
            await asyncio.sleep(step)
            remaining -= step

    return sleep


# -- the scorecard ---------------------------------------------------------------------


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
    times = [u.created_at for u in incident.updates]
    marks = [*times, now] if incident.is_open else times
    silence, since, until = timedelta(0), None, None
    for earlier, later in pairwise(marks):
        if later - earlier > silence:
            silence, since, until = later - earlier, earlier, later
    kept = sum(1 for p in made if not p.is_open and not p.is_broken(now))
    broken = sum(1 for p in made if p.is_broken(now))
    return Scorecard(
        incident_id=incident.id,
        title=incident.title,
        status=incident.status,
        detected_at=incident.started_at,
        first_public_update_at=first_sent,
        time_to_first_update=first_sent - incident.started_at if first_sent else None,
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
