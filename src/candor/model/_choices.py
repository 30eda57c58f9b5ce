"""The domain's choices: statuses, impacts, kinds of update and promise, delivery states."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from candor.errors import InputError


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
    CORRECTION = "correction"
    """A correction of an earlier update's text (:attr:`Update.correction` says which, why and
    who). The earlier update stays on the timeline as it was; the incident's facts and promises
    do not change."""


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
