"""The story of an incident: every way a new state of an incident is made from the last one.

Each function here is pure: it takes the incident as last recorded (or nothing,
to open one), the policy and the time, and returns the incident as it would be
recorded next, or raises :class:`~candor.errors.InputError` (or a subclass)
naming what is wrong. Nothing is read or written; the facade commits what these
return. Every path grows the incident the same way, through
:meth:`Incident.start <candor.model.Incident.start>` and
:meth:`Incident.append <candor.model.Incident.append>`, so one validation
applies to opening, updating, resolving, reopening, holding updates, the
write-up and importing alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from candor.errors import InputError, PromiseError
from candor.model import (
    Closure,
    Correction,
    Incident,
    Override,
    Promise,
    PromiseKind,
    Scope,
    Status,
    Update,
    UpdateKind,
    WriteUp,
    check_override,
    check_text,
    check_transition,
    parse_when,
)
from candor.policy import Policy
from candor.vocabulary import Imported

__all__ = [
    "HOLDING_MESSAGE",
    "addressed",
    "change",
    "close",
    "correct",
    "hold",
    "import_remote",
    "new_incident_id",
    "open_incident",
    "overridden",
    "write_up",
]

HOLDING_MESSAGE = "We have nothing new to tell you yet."
"""What a holding update records as its message; its templates say the rest."""


def new_incident_id() -> str:
    """A fresh, random incident id such as ``inc-3f9a0c51d2``."""
    return f"inc-{secrets.token_hex(5)}"


def open_incident(
    policy: Policy,
    now: datetime,
    *,
    title: str,
    scope: Scope | Mapping[str, Any],
    message: str,
    status: Status | str = Status.INVESTIGATING,
    impact: str | None = None,
    next_update_in: object = None,
    started_at: datetime | str | None = None,
    cause: str | None = None,
    workaround: str | None = None,
    incident_id: str | None = None,
    channels: Sequence[str] | None = None,
) -> Incident:
    """A new incident and its first update; the impact and next-update time come from ``policy``.

    ``channels`` names the only channels it goes to (every configured one when None).
    """
    scope = _scope(scope)
    target = Status.parse(status)
    # Checked again by Incident.start; asked first so that a bad status is named before
    # the policy judges the impact.
    check_transition(Status.INVESTIGATING, target, via=UpdateKind.OPEN)
    decided = policy.resolve_impact(scope, impact)
    started = parse_when(started_at, "started_at") if started_at is not None else now
    if started > now:
        raise InputError(
            "started_at",
            started_at,
            f"is in the future: {started:%Y-%m-%d %H:%M:%S} UTC is after now, "
            f"{now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        )
    chosen = incident_id or new_incident_id()
    first = Update(
        id=f"{chosen}.1",
        incident_id=chosen,
        seq=1,
        kind=UpdateKind.OPEN,
        status=target,
        impact=decided,
        scope=scope,
        message=_message(message),
        cause=_optional_text(cause, "cause"),
        workaround=_optional_text(workaround, "workaround"),
        next_update_by=policy.next_update_by(decided, target, now, next_update_in),
        channels=_channels(channels),
        created_at=now,
    )
    return Incident.start(first, title=_title(title), started_at=started)


def change(
    current: Incident,
    policy: Policy,
    now: datetime,
    *,
    kind: UpdateKind,
    message: str,
    status: Status | str | None = None,
    scope: Scope | Mapping[str, Any] | None = None,
    impact: str | None = None,
    next_update_in: object = None,
    cause: str | None = None,
    postmortem_by: datetime | str | None = None,
    workaround: str | None = None,
    changed: str | None = None,
    prevention: str | None = None,
    ended_at: datetime | str | None = None,
    channels: Sequence[str] | None = None,
) -> Incident:
    """``current`` after an update, a resolution (``kind`` resolve) or a reopening (reopen).

    ``ended_at`` (a resolution only) is when the impact ended, when that was before now:
    the fix that held from 19:00 although the resolution is posted at 19:35.
    ``channels`` names the only channels the update goes to; when None it goes
    where the previous update went (see :func:`addressed`). A resolution goes to
    every channel that carried any update of the incident: a choice that leaves
    one out raises PromiseError.
    """
    if kind is UpdateKind.RESOLVE:
        target = Status.RESOLVED
    elif kind is UpdateKind.REOPEN:
        target = Status.parse(status) if status is not None else Status.INVESTIGATING
    else:
        target = Status.parse(status) if status is not None else current.status
    current.check_next(target, via=kind)  # again in append; first, so a bad move is named first
    new_scope = _scope(scope) if scope is not None else current.scope
    if impact is None and scope is None:
        decided = current.impact
    else:
        decided = policy.resolve_impact(new_scope, impact)
    promised_write_up = None
    if postmortem_by is not None:
        if kind is not UpdateKind.RESOLVE:
            raise InputError(
                "postmortem_by", postmortem_by, "a write-up is promised with resolve()"
            )
        promised_write_up = parse_when(postmortem_by, "postmortem_by")
        if promised_write_up <= now:
            raise InputError("postmortem_by", postmortem_by, "is not in the future")
    ended = parse_when(ended_at, "ended_at") if ended_at is not None else None
    if ended is not None and kind is not UpdateKind.RESOLVE:
        raise InputError("ended_at", ended_at, "when the impact ended is said with resolve()")
    if ended is not None and ended > now:
        raise InputError(
            "ended_at",
            ended_at,
            f"is in the future: {ended:%Y-%m-%d %H:%M:%S} UTC is after now, "
            f"{now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        )
    if next_update_in is not None and target is Status.RESOLVED:
        raise InputError(
            "next_update_in", next_update_in, "a resolution is final and promises no update"
        )
    if kind is UpdateKind.RESOLVE and cause is None:
        cause = current.cause  # the resolution restates the cause already named
    if kind is not UpdateKind.RESOLVE:
        for name, value in (("changed", changed), ("prevention", prevention)):
            if value is not None:
                raise InputError(name, value, "is said in the resolution, with resolve()")
    elif workaround is not None:
        raise InputError("workaround", workaround, "a resolution needs no workaround")
    seq = len(current.updates) + 1
    update = Update(
        id=f"{current.id}.{seq}",
        incident_id=current.id,
        seq=seq,
        kind=kind,
        status=target,
        impact=decided,
        scope=new_scope,
        message=_message(message),
        cause=_optional_text(cause, "cause"),
        workaround=_optional_text(workaround, "workaround"),
        changed=_optional_text(changed, "changed"),
        prevention=_optional_text(prevention, "prevention"),
        next_update_by=policy.next_update_by(decided, target, now, next_update_in),
        postmortem_by=promised_write_up,
        ended_at=ended,
        channels=addressed(current, kind, _channels(channels)),
        created_at=now,
    )
    return current.append(update)


def hold(current: Incident, policy: Policy, now: datetime) -> Incident:
    """``current`` after an honest holding update: same status, same facts, a new promise."""
    current.check_next(current.status, via=UpdateKind.HOLDING)
    seq = len(current.updates) + 1
    update = Update(
        id=f"{current.id}.{seq}",
        incident_id=current.id,
        seq=seq,
        kind=UpdateKind.HOLDING,
        status=current.status,
        impact=current.impact,
        scope=current.scope,
        message=HOLDING_MESSAGE,
        cause=current.cause,
        workaround=current.latest.workaround,
        next_update_by=policy.next_update_by(current.impact, current.status, now),
        channels=addressed(current, UpdateKind.HOLDING, None),
        created_at=now,
    )
    return current.append(update)


def write_up(
    current: Incident, now: datetime, sections: WriteUp, *, cause: str | None = None
) -> Incident:
    """``current`` after its write-up is published; it must be resolved, and not written up.

    ``cause`` names the cause when the resolution could not; else the one named is kept.
    """
    if current.status is not Status.RESOLVED:
        raise PromiseError(current.id, "resolve the incident before publishing its write-up")
    if current.write_up is not None:
        raise PromiseError(
            current.id,
            "its write-up is already published; change an action item's status with "
            "set_action_item()",
        )
    seq = len(current.updates) + 1
    update = Update(
        id=f"{current.id}.{seq}",
        incident_id=current.id,
        seq=seq,
        kind=UpdateKind.POSTMORTEM,
        status=Status.RESOLVED,
        impact=current.impact,
        scope=current.scope,
        message=sections.summary,
        cause=_optional_text(cause, "cause") if cause is not None else current.cause,
        write_up=sections,
        channels=addressed(current, UpdateKind.POSTMORTEM, None),
        created_at=now,
    )
    return current.append(update)


def correct(
    current: Incident,
    now: datetime,
    *,
    update: int,
    message: str,
    reason: str,
    by: str | None,
) -> Incident:
    """``current`` with the text of its update numbered ``update`` corrected to ``message``.

    The correction joins the timeline as an update of its own (kind ``correction``),
    recording ``reason`` and ``by``; the corrected update stays as it was. It goes
    to every channel that was given the corrected update, and to no other, and it
    changes no fact and no promise of the incident.
    """
    target = current.update_numbered(update)
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(
            "reason", reason, "a correction says what was wrong, for the record and the readers"
        )
    seq = len(current.updates) + 1
    given = tuple(dict.fromkeys(d.channel for d in current.deliveries if d.update_id == target.id))
    correction = Update(
        id=f"{current.id}.{seq}",
        incident_id=current.id,
        seq=seq,
        kind=UpdateKind.CORRECTION,
        status=current.status,
        impact=current.impact,
        scope=current.scope,
        message=_message(message),
        correction=Correction(
            update_id=target.id, seq=target.seq, reason=check_text(reason.strip(), "reason"), by=by
        ),
        channels=given,
        created_at=now,
    )
    return current.append(correction)


def import_remote(remote: Imported, incident_id: str, policy: Policy, now: datetime) -> Incident:
    """A new incident from one a service already holds, as its first update says it stands.

    The impact is the service's, raised to the policy's floor for the scope (an
    outage is at least major); the start is the service's, never in the future.
    """
    scope = Scope(components=remote.components, effect=remote.effect)
    floor = policy.floor(scope)
    impact = remote.impact if remote.impact.rank >= floor.rank else floor
    first = Update(
        id=f"{incident_id}.1",
        incident_id=incident_id,
        seq=1,
        kind=UpdateKind.OPEN,
        status=remote.status,
        impact=impact,
        scope=scope,
        message=remote.message,
        next_update_by=policy.next_update_by(impact, remote.status, now),
        created_at=now,
    )
    return Incident.start(first, title=remote.title, started_at=min(remote.started_at, now))


def close(
    current: Incident,
    promises: Sequence[Promise],
    now: datetime,
    *,
    reason: str | None,
    by: str | None,
) -> Incident:
    """``current`` with its books closed; PromiseError while the write-up is owed without a reason.

    The closure records who closed it and, when a promise was still open, the
    reason and the promises it overrode.
    """
    if current.status is not Status.RESOLVED:
        raise PromiseError(current.id, "resolve the incident before closing its books")
    if current.closure is not None:
        raise PromiseError(current.id, "its books are already closed")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise InputError("reason", reason, "must say why, for the record")
    if reason is not None:
        check_text(reason.strip(), "reason")
    if now < current.updated_at:
        raise InputError(
            "closed_at",
            now.isoformat(),
            f"closing at {now:%Y-%m-%d %H:%M:%S} UTC is before the last update, "
            f"{current.updated_at:%Y-%m-%d %H:%M:%S} UTC: time cannot go backwards on a "
            "timeline (is this host's clock behind?)",
        )
    owed = [p for p in promises if p.incident_id == current.id and p.is_open]
    described = tuple(
        f"{'write-up' if p.kind is PromiseKind.POSTMORTEM else 'next update'} "
        f"due by {p.due_at:%Y-%m-%d %H:%M} UTC (promised in update {p.update_id})"
        for p in owed
    )
    if owed and reason is None:
        raise PromiseError(
            current.id,
            f"cannot close while a promise is open: {'; '.join(described)}; publish the "
            "write-up first, or close with a reason, which is recorded",
        )
    closure = Closure(
        closed_at=now,
        by=by,
        reason=reason.strip() if reason is not None else None,
        overridden=described,
    )
    return current.model_copy(update={"closure": closure})


def overridden(incident: Incident, override: Override) -> Incident:
    """``incident`` with ``override`` recorded on its newest update (check errors let through)."""
    check_override(override)
    update = incident.updates[-1].model_copy(update={"override": override})
    return incident.model_copy(update={"updates": (*incident.updates[:-1], update)})


def addressed(
    current: Incident, kind: UpdateKind, chosen: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    """The channels the next update of ``current`` goes to (None: every configured one).

    An update, a reopening or a holding update goes where the previous update
    went unless ``chosen`` says otherwise. A resolution and the write-up go to
    every channel that carried any update (every configured one, when no update
    was ever limited): "every channel that heard it begin hears it end". A
    resolution limited to channels that leave one of those out is refused.
    """
    last = current.latest.channels if current.updates else None
    if kind not in (UpdateKind.RESOLVE, UpdateKind.POSTMORTEM):
        return chosen if chosen is not None else last
    carried = [d.channel for d in current.deliveries]
    if chosen is not None:
        missing = [name for name in dict.fromkeys(carried) if name not in chosen]
        if missing:
            raise PromiseError(
                current.id,
                f"{', '.join(missing)} carried this incident and must hear how it ends; "
                "add them to the channels, or choose none to reach every channel",
            )
        return chosen
    if all(update.channels is None for update in current.updates):
        return None
    every = [name for update in current.updates for name in update.channels or ()]
    return tuple(dict.fromkeys([*every, *carried]))


def _channels(channels: object) -> tuple[str, ...] | None:
    """``channels`` as the names an update is limited to, or None; an InputError if not names."""
    if channels is None:
        return None
    if isinstance(channels, str) or not isinstance(channels, Sequence | set | frozenset):
        raise InputError("channels", channels, "give a list of channel names, such as ['status']")
    names = tuple(dict.fromkeys(channels))
    for name in names:
        if not isinstance(name, str) or not name:
            raise InputError("channels", name, "every channel is named by a string")
    if not names:
        raise InputError("channels", channels, "name at least one channel, or give None")
    return names


def _scope(scope: Scope | Mapping[str, Any]) -> Scope:
    if isinstance(scope, Scope):
        return scope
    if isinstance(scope, Mapping):
        return Scope(**scope)
    raise InputError("scope", scope, "must be a candor.Scope or a mapping of its fields")


def _title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InputError("title", title, "must say what is broken, in a few words")
    return check_text(title.strip(), "title")


def _message(message: object) -> str:
    if not isinstance(message, str) or not message.strip():
        raise InputError("message", message, "must say what customers see, in plain words")
    return check_text(message.strip(), "message")


def _optional_text(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, value, "must be non-empty text")
    return value.strip()
