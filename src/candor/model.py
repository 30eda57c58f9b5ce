"""The domain: what an incident is, what an update records, and how status may move.

Everything here is a frozen pydantic model. Bad input raises
:class:`candor.errors.InputError` naming the field and the value: a fraction of
``"50%"`` is refused, not read as a half; a naive datetime is refused, not
guessed to be UTC.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Self

import pydantic
from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from candor.errors import InputError, TransitionError

__all__ = [
    "ActionItem",
    "ActionStatus",
    "Closure",
    "Delivery",
    "DeliveryState",
    "Effect",
    "Impact",
    "Incident",
    "Organization",
    "Override",
    "Promise",
    "PromiseKind",
    "Reminder",
    "ReminderState",
    "Scope",
    "Status",
    "Update",
    "UpdateKind",
    "WriteUp",
    "check_transition",
    "parse_duration",
]


class _OrderedChoice(StrEnum):
    """A StrEnum whose members are ordered as declared and parsed leniently from text."""

    @property
    def rank(self) -> int:
        return type(self)._member_names_.index(self.name)

    @classmethod
    def parse(cls, value: object, field: str | None = None) -> Self:
        """``value`` as a member, or an InputError naming ``field`` and the known values."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        noun = cls.__name__.lower()
        known = ", ".join(member.value for member in cls)
        raise InputError(field or noun, value, f"unknown {noun}; use one of: {known}")


class Status(_OrderedChoice):
    """Where an incident stands, in the vocabulary status pages already use."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Impact(_OrderedChoice):
    """How bad it is for the customers it hits; ordered none < minor < major < critical."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Effect(StrEnum):
    """What the affected customers see: it does not work at all, or it works badly."""

    OUTAGE = "outage"
    DEGRADED = "degraded"


class UpdateKind(StrEnum):
    """Which facade call made an update."""

    OPEN = "open"
    UPDATE = "update"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    HOLDING = "holding"
    """An honest "nothing new yet" posted by the promise policy to keep a next-update promise."""
    POSTMORTEM = "postmortem"
    """The published write-up, which keeps the resolution's write-up promise."""


class PromiseKind(StrEnum):
    NEXT_UPDATE = "next_update"
    POSTMORTEM = "postmortem"


class ReminderState(StrEnum):
    """How a promise stands when it is reported: about to break, or broken."""

    DUE_SOON = "due_soon"
    BROKEN = "broken"


class ActionStatus(StrEnum):
    """Where one action item of a write-up stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class DeliveryState(StrEnum):
    """Where one outbox row stands: the states of the delivery state machine.

    ``pending`` -> ``in_flight`` (claimed by one delivering process, under a
    lease) -> ``sent``, or -> ``retry`` (waiting for ``next_attempt_at``), or
    -> ``failed`` (for good, with the reason). ``retry`` goes back to
    ``in_flight`` when it is due; an ``in_flight`` row whose lease ran out (its
    process died) is claimed again by the next delivering process.
    """

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"

    @property
    def owed(self) -> bool:
        """True while the channel has not yet taken the update (nor refused it for good)."""
        return self not in {DeliveryState.SENT, DeliveryState.FAILED}


class _Model(pydantic.BaseModel):
    """Frozen, strict about unknown fields, and raising candor's InputError on bad input."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)
    _label: ClassVar[str] = "value"

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _input_error(self._label, exc) from None


def _input_error(label: str, exc: pydantic.ValidationError) -> InputError:
    first = exc.errors()[0]
    field = ".".join([label, *(str(part) for part in first["loc"])])
    reason = first["msg"].removeprefix("Value error, ")
    if first["type"] == "timezone_aware":
        reason = "a timezone-aware datetime is required (naive datetimes are not guessed)"
    elif first["type"] == "extra_forbidden":
        reason = "unknown field"
    return InputError(field, first.get("input"), reason)


class Scope(_Model):
    """Who and what is affected: components, regions, and how many customers.

    ``affected_fraction`` is the share of customers hit, in (0, 1]; ``affected_count``
    the number of customers (or accounts, or requests: say which in ``customers``).
    Either may be left out when it is not known, and the messages say so rather than
    guess. ``effect`` says whether it is down for them or only slow.
    """

    _label = "scope"

    components: tuple[str, ...] = Field(min_length=1)
    regions: tuple[str, ...] = ()
    affected_fraction: float | None = None
    affected_count: int | None = None
    customers: str | None = None
    effect: Effect = Effect.OUTAGE

    @field_validator("components", "regions", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("give a list of names, not one string")
        if isinstance(value, list | tuple):
            for name in value:
                if not isinstance(name, str) or not name.strip():
                    raise ValueError(f"every name must be a non-empty string, got {name!r}")
            return tuple(name.strip() for name in value)
        return value

    @field_validator("affected_fraction", mode="before")
    @classmethod
    def _fraction(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number in (0, 1], such as 0.012 for 1.2% of customers")
        if not math.isfinite(value) or not 0 < value <= 1:
            raise ValueError("must be a finite number in (0, 1], such as 0.012 for 1.2%")
        return float(value)

    @field_validator("affected_count", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number of customers")
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("effect", mode="before")
    @classmethod
    def _effect(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in {e.value for e in Effect}:
            raise ValueError("must be 'outage' or 'degraded'")
        return value

    @property
    def everyone(self) -> bool:
        """True when every customer is affected."""
        return self.affected_fraction == 1.0


class Override(_Model):
    """Check errors let through on purpose: which codes, why, and who decided."""

    _label = "override"

    codes: tuple[str, ...] = Field(min_length=1)
    reason: str = Field(min_length=1)
    by: str | None = None
    findings: tuple[str, ...] = ()


class WriteUp(_Model):
    """The public write-up: the three sections postmortem guidance asks for, and what will change.

    ``summary`` says in a few sentences what happened and to whom; ``what_happened``
    tells the story with times and the cause; ``what_we_are_doing`` says what will
    stop it happening again. ``action_items`` are the concrete changes, each tracked
    with a status (:class:`ActionItem`) once published.
    """

    _label = "write_up"

    summary: str = Field(min_length=1)
    what_happened: str = Field(min_length=1)
    what_we_are_doing: str = Field(min_length=1)
    action_items: tuple[str, ...] = ()

    @field_validator("summary", "what_happened", "what_we_are_doing")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be non-empty text")
        return value.strip()

    @field_validator("action_items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("give a list of action items, not one string")
        if isinstance(value, list | tuple):
            for item in value:
                if not isinstance(item, str) or not item.strip():
                    raise ValueError(f"every action item must be non-empty text, got {item!r}")
            return tuple(item.strip() for item in value)
        return value


class ActionItem(_Model):
    """One change a write-up promised, numbered from 1, with where it stands."""

    _label = "action_item"

    number: int = Field(ge=1)
    text: str = Field(min_length=1)
    status: ActionStatus = ActionStatus.OPEN
    updated_at: AwareDatetime


class Closure(_Model):
    """The books closed on an incident: when, by whom, and why if a promise was still open."""

    _label = "closure"

    closed_at: AwareDatetime
    by: str | None = None
    reason: str | None = None
    overridden: tuple[str, ...] = ()
    """The open promises the closing overrode, described; empty when none was open."""


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
    promised_by: AwareDatetime | None = None
    """For a holding update: the time the update it stands in for was promised by."""
    write_up: WriteUp | None = None
    """For the published write-up: its sections and action items."""
    override: Override | None = None
    created_at: AwareDatetime

    @field_validator("next_update_by", "postmortem_by", "promised_by", "created_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @property
    def is_final(self) -> bool:
        return self.status is Status.RESOLVED

    @property
    def is_back_step(self) -> bool:
        """True when this update moved the status backwards (monitoring to identified, say)."""
        return (
            self.previous_status is not None
            and self.status is not Status.RESOLVED
            and self.previous_status is not Status.RESOLVED
            and self.status.rank < self.previous_status.rank
        )


class Delivery(_Model):
    """Where one update stands on one channel."""

    _label = "delivery"

    channel: str
    update_id: str
    seq: int
    state: DeliveryState
    attempts: int = 0
    last_error: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    thread_root: str | None = None
    sent_at: AwareDatetime | None = None
    next_attempt_at: AwareDatetime | None = None


class Promise(_Model):
    """Something an update said would happen by a time: the next update, or the write-up."""

    _label = "promise"

    incident_id: str
    update_id: str
    kind: PromiseKind
    due_at: AwareDatetime
    kept_at: AwareDatetime | None = None
    kept_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.kept_at is None

    def is_broken(self, now: datetime) -> bool:
        """Broken when its time passed before anything kept it (now, or in the record)."""
        kept_or_now = self.kept_at if self.kept_at is not None else now
        return kept_or_now > self.due_at


class Reminder(_Model):
    """A promise that is broken or about to be, for the incident or for one channel.

    ``channel`` is None when the incident as a whole owes the update; it names a
    channel when the incident kept the promise but that channel never received the
    update that kept it (its delivery failed, or is still owed past the time).
    """

    _label = "reminder"

    incident_id: str
    update_id: str
    kind: PromiseKind
    due_at: AwareDatetime
    state: ReminderState
    channel: str | None = None

    @property
    def key(self) -> str:
        """Names this reminder uniquely, so that only one watcher acts on it."""
        return f"{self.incident_id}/{self.update_id}/{self.kind.value}/{self.channel or '*'}"


class Organization(_Model):
    """Who is speaking, and where the status page lives."""

    _label = "organization"

    name: str = Field(default="Our service", min_length=1)
    status_page_url: str | None = None
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "unknown time zone; use an IANA name such as 'UTC' or 'Europe/Paris'"
            ) from None
        return value


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
    next_update_by: AwareDatetime | None = None
    postmortem_by: AwareDatetime | None = None
    cause: str | None = None
    version: int = Field(ge=1)
    updates: tuple[Update, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    closure: Closure | None = None

    @field_validator(
        "started_at", "created_at", "updated_at", "resolved_at", "next_update_by", "postmortem_by"
    )
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.RESOLVED

    @property
    def last_update(self) -> Update | None:
        return self.updates[-1] if self.updates else None

    @property
    def write_up(self) -> Update | None:
        """The published write-up, if there is one."""
        return next((u for u in self.updates if u.kind is UpdateKind.POSTMORTEM), None)

    def with_deliveries(self, deliveries: tuple[Delivery, ...]) -> Self:
        return self.model_copy(update={"deliveries": deliveries})


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


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(value: object, field: str = "next_update_in") -> timedelta:
    """A positive duration from a timedelta or text such as ``"30m"``, ``"1h30m"``, ``"90s"``."""
    if isinstance(value, timedelta):
        delta = value
    elif (
        isinstance(value, str)
        and (match := _DURATION.fullmatch(value.strip().lower()))
        and any(match.groups())
    ):
        days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    else:
        raise InputError(
            field, value, "must be a duration such as '30m', '1h', '1h30m' or a timedelta"
        )
    if delta <= timedelta(0):
        raise InputError(field, value, "must be longer than zero")
    if delta > timedelta(days=7):
        raise InputError(field, value, "must be at most 7 days: promise a nearer update")
    return delta


def parse_when(value: object, field: str) -> datetime:
    """A timezone-aware datetime from a datetime or ISO 8601 text; naive values are refused."""
    parsed = value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:  # a date alone means the end of that day, UTC
                parsed = datetime.fromisoformat(text).replace(hour=23, minute=59, tzinfo=UTC)
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(field, value, "must be an ISO 8601 date or datetime") from None
    if not isinstance(parsed, datetime):
        raise InputError(field, value, "must be a timezone-aware datetime")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        # The error quotes the value as it was given, text or datetime.
        raise InputError(
            field, value, "a timezone-aware datetime is required (naive datetimes are not guessed)"
        )
    return parsed.astimezone(UTC)
