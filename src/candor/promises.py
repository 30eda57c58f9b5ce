"""The promise ledger: which promises are broken or about to break, and who is still owed.

Every update that is not final promises the next one by a time; a resolution
that names a date promises the write-up. The store records those promises and
marks them kept; this module reads them against the timeline and the outbox.
It is pure: no I/O, no clock of its own. What the organisation does about a
reminder (warn, or post a holding update) is :mod:`candor.keeper`'s; how well
an incident was told, :mod:`candor.scorecard`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from candor.model import DeliveryState, Incident, Promise, Reminder, ReminderState, UpdateKind

__all__ = ["channels_that_carried", "reminders", "told_anyone"]


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
    # A correction changes an earlier update's text: receiving it is not hearing the news.
    corrections = {u.id for u in incident.updates if u.kind is UpdateKind.CORRECTION}
    received = {
        d.channel
        for d in incident.deliveries
        if d.seq >= keeper.seq and d.state is DeliveryState.SENT and d.update_id not in corrections
    }
    return sorted(owed - received)


def told_anyone(incident: Incident) -> bool:
    """True when at least one channel received at least one of the incident's updates."""
    return any(d.state is DeliveryState.SENT for d in incident.deliveries)


def channels_that_carried(incident: Incident) -> list[str]:
    """Every channel that was given any update of the incident, whatever became of it."""
    return list(dict.fromkeys(d.channel for d in incident.deliveries))
