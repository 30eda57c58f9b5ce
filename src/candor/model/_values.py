"""The domain's value objects: scope, write-up, closure, deliveries, promises, organisation.

Also the two parsers every layer uses for what people type: durations and times.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pydantic
from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from candor._urls import check_url
from candor.errors import InputError
from candor.model._choices import ActionStatus, DeliveryState, Effect, PromiseKind, ReminderState
from candor.model._text import check_text


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


def names(value: Any) -> Any:
    """A list of component or region names, stripped; ValueError for one string or a blank name.

    Anything else is left to the field's own validation.
    """
    if isinstance(value, str):
        raise ValueError("give a list of names, not one string")
    if isinstance(value, list | tuple):
        for name in value:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"every name must be a non-empty string, got {name!r}")
        return tuple(name.strip() for name in value)
    return value


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
        return names(value)

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


class Correction(_Model):
    """What a correction corrects, why, and who decided: the record beside the corrected text.

    ``update_id`` and ``seq`` name the earlier update whose text is corrected (never a
    correction itself); ``reason`` says what was wrong, in words customers read too
    ("we named the wrong region"); ``by`` is who corrected it.
    """

    _label = "correction"

    update_id: str = Field(min_length=1)
    seq: int = Field(ge=1)
    reason: str = Field(min_length=1)
    by: str | None = None


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
    """Where readers find the status page: an ``http(s)://`` URL (links point there)."""
    timezone: str = "UTC"

    @field_validator("status_page_url")
    @classmethod
    def _page_url(cls, value: str | None) -> str | None:
        # A javascript: or data: URL would become a link on every page and message.
        return None if value is None else check_url(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        try:
            return check_text(value, "organization.name")
        except InputError as exc:
            raise ValueError(exc.reason) from None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        # Here, not at the top: `import candor` loads this module, and most runs never
        # build an Organization, so they need not pay for zoneinfo.
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "unknown time zone; use an IANA name such as 'UTC' or 'Europe/Paris'"
            ) from None
        return value


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
        try:
            delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError:  # more days than a timedelta holds: far past the limit below
            delta = timedelta.max
    else:
        raise InputError(
            field, value, "must be a duration such as '30m', '1h', '1h30m' or a timedelta"
        )
    if delta <= timedelta(0):
        raise InputError(field, value, "must be longer than zero")
    if delta > timedelta(days=7):
        raise InputError(field, value, "must be at most 7 days: promise a nearer update")
    return delta


def describe_duration(delta: timedelta) -> str:
    """A span as people say it: ``"under a minute"``, ``"1 hour 44 minutes"``, ``"2 days 3 hours"``.

    Whole minutes are counted down (a promise 90 seconds late is "1 minute" late, never "2");
    from one day up only days and hours are said, since nobody needs the minutes of a promise
    broken days ago. Negative spans are described by their size.
    """
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        return "under a minute"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60

    def part(n: int, unit: str) -> str:
        return f"{n} {unit}{'' if n == 1 else 's'}"

    if days:
        return " ".join([part(days, "day")] + ([part(hours, "hour")] if hours else []))
    pieces = ([part(hours, "hour")] if hours else []) + (
        [part(minutes, "minute")] if minutes else []
    )
    return " ".join(pieces)


def minute_up(when: datetime) -> datetime:
    """``when`` rounded up to the whole minute: how a promise due then is shown.

    A promise due at 20:10:54 is shown as 20:11, never 20:10: a shown time is never
    earlier than the one promised. Messages and the checks that read them agree on it.
    """
    whole = when.replace(second=0, microsecond=0)
    return whole if whole == when else whole + timedelta(minutes=1)


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
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the first UTC datetime
        raise InputError(
            field, value, "is out of range: in UTC it falls outside years 1-9999"
        ) from None
