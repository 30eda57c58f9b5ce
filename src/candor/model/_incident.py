"""An incident, its timeline of updates, and the moves its status may make."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

from pydantic import AwareDatetime, Field, field_validator

from candor.errors import InputError, TransitionError
from candor.model._choices import Impact, Status, UpdateKind
from candor.model._text import check_items, check_text
from candor.model._values import (
    ActionItem,
    Closure,
    Correction,
    Delivery,
    Override,
    Scope,
    WriteUp,
    _Model,
)


class Update(_Model):
    """One entry of an incident's timeline: the facts snapshot every channel renders from."""

    _label = "update"

    id: str
    incident_id: str
    seq: int = Field(ge=1)
    kind: UpdateKind
    status: Status
    previous_status: Status | None = None
    impact: Impact
    scope: Scope
    message: str = Field(min_length=1)
    cause: str | None = None
    workaround: str | None = None
    changed: str | None = None
    prevention: str | None = None
    next_update_by: AwareDatetime | None = None
    postmortem_by: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    """For a resolution: when the impact ended (customers stopped being hit), which may be
    well before the resolution was posted (a fix that held from 19:00, confirmed at 19:35).
    None means it ended when the resolution was posted."""
    promised_by: AwareDatetime | None = None
    """The time this update was promised by: the next-update time the incident had promised
    when it came (a holding update stands in for that update), or for the write-up the date
    the resolution gave. None when nothing promised it. Set by :meth:`Incident.append`."""
    write_up: WriteUp | None = None
    """For the published write-up: its sections and action items."""
    override: Override | None = None
    correction: Correction | None = None
    """For a correction (kind ``correction``): the update it corrects, why, and who said so.
    ``message`` is then the corrected text of that update."""
    channels: tuple[str, ...] | None = None
    """The channels this update was addressed to, when only some were chosen; None for every
    configured channel. Later updates keep the choice unless they make another, and the
    resolution reaches every channel that carried any update."""
    created_at: AwareDatetime

    @field_validator("next_update_by", "postmortem_by", "ended_at", "promised_by", "created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @property
    def impact_ended_at(self) -> datetime:
        """When the impact ended, as this update tells it: ``ended_at``, else its own time."""
        return self.ended_at if self.ended_at is not None else self.created_at

    @property
    def is_final(self) -> bool:
        return self.status is Status.RESOLVED

    @property
    def corrects(self) -> str | None:
        """The id of the update this one corrects (None unless it is a correction)."""
        return self.correction.update_id if self.correction is not None else None

    @property
    def is_back_step(self) -> bool:
        """True when this update moved the status backwards (monitoring to identified, say)."""
        return (
            self.previous_status is not None
            and self.status is not Status.RESOLVED
            and self.previous_status is not Status.RESOLVED
            and self.status.rank < self.previous_status.rank
        )


class Incident(_Model):
    """An incident and its whole timeline, as last recorded."""

    _label = "incident"

    id: str
    title: str = Field(min_length=1, max_length=255)
    status: Status
    impact: Impact
    scope: Scope
    started_at: AwareDatetime
    created_at: AwareDatetime
    updated_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    """When the impact ended, as the resolution said (None while open, or when the
    resolution gave no time: then it ended when resolved)."""
    next_update_by: AwareDatetime | None = None
    postmortem_by: AwareDatetime | None = None
    cause: str | None = None
    version: int = Field(ge=1)
    updates: tuple[Update, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    closure: Closure | None = None

    @field_validator(
        "started_at",
        "created_at",
        "updated_at",
        "resolved_at",
        "ended_at",
        "next_update_by",
        "postmortem_by",
    )
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.RESOLVED

    @property
    def impact_ended_at(self) -> datetime | None:
        """When customers stopped being hit: the resolution's ``ended_at``, else ``resolved_at``.

        None while the incident is open. The published window is ``started_at`` to this.
        """
        if self.resolved_at is None:
            return None
        return self.ended_at if self.ended_at is not None else self.resolved_at

    @property
    def last_update(self) -> Update | None:
        return self.updates[-1] if self.updates else None

    @property
    def told(self) -> tuple[Update, ...]:
        """The updates that told the story, oldest first: every one but the corrections."""
        return tuple(u for u in self.updates if u.kind is not UpdateKind.CORRECTION)

    @property
    def latest(self) -> Update:
        """The newest update that told the story (a correction only changes an earlier one's text).

        What the next update follows: its channels, its workaround, the promise it keeps.
        """
        return next(u for u in reversed(self.updates) if u.kind is not UpdateKind.CORRECTION)

    def update_numbered(self, seq: int) -> Update:
        """The update numbered ``seq`` (from 1); an InputError naming the numbers there are."""
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= len(self.updates):
            raise InputError(
                "update",
                seq,
                f"{self.id} has no update by this number; its updates are numbered 1 to "
                f"{len(self.updates)}",
            )
        return self.updates[seq - 1]

    def corrections(self, update_id: str) -> tuple[Update, ...]:
        """The corrections of the update ``update_id``, oldest first."""
        return tuple(u for u in self.updates if u.corrects == update_id)

    def as_corrected(self, update: Update) -> Update:
        """``update`` with the text of its newest correction (itself, if never corrected)."""
        found = self.corrections(update.id)
        if not found:
            return update
        return update.model_copy(update={"message": found[-1].message})

    @property
    def write_up(self) -> Update | None:
        """The published write-up, if there is one."""
        return next((u for u in self.updates if u.kind is UpdateKind.POSTMORTEM), None)

    def with_deliveries(self, deliveries: tuple[Delivery, ...]) -> Self:
        return self.model_copy(update={"deliveries": deliveries})

    # -- growing the timeline: every path goes through start() and append() -----------------

    @classmethod
    def start(cls, update: Update, *, title: str, started_at: datetime | None = None) -> Self:
        """A new incident, version 1, from its first update (an ``open`` numbered 1).

        ``started_at`` is when the trouble began (the update's time when not
        given); the incident's status, impact, scope and promise are the update's.
        """
        if update.kind is not UpdateKind.OPEN or update.seq != 1:
            raise InputError("update", update.id, "an incident starts with an open, numbered 1")
        if update.id != f"{update.incident_id}.1":
            raise InputError("update.id", update.id, f"must be {update.incident_id}.1")
        check_transition(Status.INVESTIGATING, update.status, via=UpdateKind.OPEN)
        if isinstance(title, str):
            check_text(title, "title")
        _check_new_text(update, None)
        if started_at is not None:
            _not_before(update.created_at, "the update's time", started_at, "the incident's start")
        _check_promises(update)
        if update.ended_at is not None:
            raise InputError(
                "ended_at", update.ended_at.isoformat(), "only a resolution says when it ended"
            )
        first = update.model_copy(update={"previous_status": None, "promised_by": None})
        return cls(
            id=update.incident_id,
            title=title,
            status=update.status,
            impact=update.impact,
            scope=update.scope,
            started_at=started_at if started_at is not None else update.created_at,
            created_at=update.created_at,
            updated_at=update.created_at,
            next_update_by=update.next_update_by,
            cause=update.cause,
            version=1,
            updates=(first,),
        )

    def check_next(self, target: Status, *, via: UpdateKind) -> None:
        """Raise TransitionError unless ``via`` may move this incident to ``target``."""
        if via is UpdateKind.OPEN:
            raise TransitionError(
                self.status, target, f"{self.id} was opened already; an incident is opened once"
            )
        check_transition(self.status, target, via=via)

    def append(self, update: Update) -> Self:
        """This incident after ``update``, one version on: the one way an incident grows.

        The update must be the next of this incident (``{id}.{seq}``) and a move
        :func:`check_transition` allows. Its ``previous_status`` is this status,
        and its ``promised_by`` the time it was promised by: the next-update time
        this incident promised, or for the write-up the date the resolution gave.
        The incident takes the update's status, impact, scope and promise; a
        resolution records when, and the write-up date; a reopening clears
        ``resolved_at``. The new state is validated as a whole, like any incident.
        """
        seq = len(self.updates) + 1
        if update.incident_id != self.id or update.seq != seq or update.id != f"{self.id}.{seq}":
            raise InputError(
                "update.id", update.id, f"the next update of {self.id} is {self.id}.{seq}"
            )
        if update.kind is UpdateKind.CORRECTION:
            return self._corrected(update)
        if update.correction is not None:
            raise InputError("correction", update.correction.update_id, "only a correction has one")
        self.check_next(update.status, via=update.kind)
        _check_new_text(update, self)
        _not_before(update.created_at, "the update's time", self.started_at, "the incident's start")
        _not_before(
            update.created_at,
            "the update's time",
            self.updated_at,
            f"the time of the previous update ({self.id}.{seq - 1})",
        )
        _check_promises(update)
        _check_window(update, self)
        promised = (
            self.postmortem_by if update.kind is UpdateKind.POSTMORTEM else self.next_update_by
        )
        update = update.model_copy(update={"previous_status": self.status, "promised_by": promised})
        fields: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        fields.update(
            status=update.status,
            impact=update.impact,
            scope=update.scope,
            updated_at=update.created_at,
            next_update_by=update.next_update_by,
            version=self.version + 1,
            updates=(*self.updates, update),
            deliveries=(),
        )
        if update.cause is not None:
            fields["cause"] = update.cause
        if update.kind is UpdateKind.RESOLVE:
            fields["resolved_at"] = update.created_at
            fields["ended_at"] = update.ended_at
            fields["postmortem_by"] = update.postmortem_by
        elif update.kind is UpdateKind.REOPEN:
            fields["resolved_at"] = None
            fields["ended_at"] = None
        return type(self)(**fields)

    def _corrected(self, update: Update) -> Self:
        """This incident with the correction ``update`` on its timeline; nothing else changes.

        The corrected update stays as it was (the timeline is append-only); its
        status, impact, scope and promises are the incident's, so a correction keeps
        no promise and makes none.
        """
        correction = update.correction
        if correction is None:
            raise InputError("correction", None, "a correction names the update it corrects")
        target = next((u for u in self.updates if u.id == correction.update_id), None)
        if target is None or target.seq != correction.seq:
            raise InputError(
                "correction.update_id",
                correction.update_id,
                f"{self.id} has no such update to correct",
            )
        if target.kind is UpdateKind.CORRECTION:
            raise InputError(
                "update",
                target.seq,
                f"update {target.seq} of {self.id} is itself a correction; correct update "
                f"{_seq_of(self, target.corrects)} instead",
            )
        check_transition(self.status, update.status, via=UpdateKind.CORRECTION)
        if (update.impact, update.scope) != (self.impact, self.scope):
            raise InputError(
                "status", update.status.value, "a correction keeps the incident's facts as they are"
            )
        for name in ("cause", "workaround", "changed", "prevention", "write_up", "ended_at"):
            if getattr(update, name) is not None:
                raise InputError(name, getattr(update, name), "a correction changes only the text")
        if update.next_update_by is not None or update.postmortem_by is not None:
            raise InputError("next_update_by", None, "a correction makes no promise")
        if update.message.strip() == self.as_corrected(target).message.strip():
            raise InputError(
                "message",
                update.message,
                f"update {target.seq} of {self.id} already says this; a correction changes it",
            )
        check_text(update.message, "message")
        check_text(correction.reason, "reason")
        if correction.by is not None:
            check_text(correction.by, "by")
        if update.override is not None:
            check_override(update.override)
        _not_before(
            update.created_at,
            "the correction's time",
            self.updated_at,
            f"the time of the previous update ({self.id}.{len(self.updates)})",
        )
        update = update.model_copy(update={"previous_status": self.status, "promised_by": None})
        fields: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        fields.update(
            updated_at=update.created_at,
            version=self.version + 1,
            updates=(*self.updates, update),
            deliveries=(),
        )
        return type(self)(**fields)


def _seq_of(incident: Incident, update_id: str | None) -> int | str:
    found = next((u for u in incident.updates if u.id == update_id), None)
    return found.seq if found is not None else str(update_id)


def _check_new_text(update: Update, current: Incident | None) -> None:
    """Check the text ``update`` brings that ``current`` does not record already.

    Text carried over as it is (a holding update restating the cause, a resolution
    keeping the scope) was checked when it came, or was recorded by an older
    candor: refusing it now would refuse the update for what is already recorded.
    """
    last = current.updates[-1] if current is not None and current.updates else None
    recorded = {
        "cause": current.cause if current is not None else None,
        "workaround": last.workaround if last is not None else None,
    }
    if update.write_up is not None:
        sections = update.write_up
        for name in ("summary", "what_happened", "what_we_are_doing"):
            check_text(getattr(sections, name), f"write_up.{name}")
        check_items(sections.action_items, "write_up.action_items")
    if last is None or update.message != last.message:
        check_text(update.message, "message")
    for name in ("cause", "workaround", "changed", "prevention"):
        value = getattr(update, name)
        if value is not None and value != recorded.get(name):
            check_text(value, name)
    scope = update.scope
    if current is None or scope != current.scope:
        check_items(scope.components, "scope.components")
        check_items(scope.regions, "scope.regions")
        if scope.customers is not None:
            check_text(scope.customers, "scope.customers")
    if update.override is not None:
        check_override(update.override)


def check_override(override: Override) -> None:
    """Check the text of a check override: why it was let through, and who said so."""
    check_text(override.reason, "override.reason")
    if override.by is not None:
        check_text(override.by, "override.by")


def _not_before(moment: datetime, what: str, earlier: datetime, than: str) -> None:
    """InputError naming both times unless ``moment`` is at or after ``earlier``."""
    if moment < earlier:
        raise InputError(
            "created_at",
            moment.isoformat(),
            f"{what}, {_clock(moment)}, is before {than}, {_clock(earlier)}: time cannot go "
            "backwards on a timeline (is this host's clock behind?)",
        )


def _check_promises(update: Update) -> None:
    """The times an update promises must come after the update itself."""
    for name in ("next_update_by", "postmortem_by"):
        promised: datetime | None = getattr(update, name)
        if promised is not None and promised <= update.created_at:
            raise InputError(
                name,
                promised.isoformat(),
                f"promises {_clock(promised)}, which is not after the update's time, "
                f"{_clock(update.created_at)}",
            )


def _check_window(update: Update, current: Incident) -> None:
    """A resolution's ``ended_at`` lies between the incident's start and the resolution."""
    ended = update.ended_at
    if ended is None:
        return
    if update.kind is not UpdateKind.RESOLVE:
        raise InputError(
            "ended_at", ended.isoformat(), "only a resolution says when the impact ended"
        )
    if ended < current.started_at:
        raise InputError(
            "ended_at",
            ended.isoformat(),
            f"the impact cannot end, {_clock(ended)}, before the incident started, "
            f"{_clock(current.started_at)}",
        )
    if ended > update.created_at:
        raise InputError(
            "ended_at",
            ended.isoformat(),
            f"is after the resolution's time, {_clock(update.created_at)}: a resolution "
            "says when the impact ended, not when it will",
        )


def _clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_transition(current: Status, target: Status, *, via: UpdateKind) -> None:
    """Raise TransitionError unless ``via`` may move an incident from ``current`` to ``target``.

    Forward moves, back-steps (monitoring to identified) and staying put are all
    fine for an open incident; resolving goes through ``resolve`` so that the
    resolution says what happened; a resolved incident changes only through
    ``reopen``.
    """
    if via is UpdateKind.OPEN:
        if target is Status.RESOLVED:
            raise TransitionError(
                "new", target, "an incident is opened unresolved; open it, then resolve it"
            )
        return
    if via is UpdateKind.HOLDING:
        if current is Status.RESOLVED or target is not current:
            raise TransitionError(
                current, target, "a holding update keeps an open incident's status as it is"
            )
        return
    if via is UpdateKind.CORRECTION:
        if target is not current:
            raise TransitionError(
                current, target, "a correction changes an update's text, never the status"
            )
        return
    if via is UpdateKind.POSTMORTEM:
        if current is not Status.RESOLVED or target is not Status.RESOLVED:
            raise TransitionError(current, target, "the write-up follows the resolution")
        return
    if via is UpdateKind.REOPEN:
        if current is not Status.RESOLVED:
            raise TransitionError(current, target, "only a resolved incident can be reopened")
        if target is Status.RESOLVED:
            raise TransitionError(current, target, "reopen to an open status")
        return
    if current is Status.RESOLVED:
        raise TransitionError(current, target, "a resolved incident changes only through reopen")
    if via is UpdateKind.UPDATE and target is Status.RESOLVED:
        raise TransitionError(
            current, target, "use resolve(), so that the resolution says what happened"
        )
