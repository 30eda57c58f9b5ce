"""Policy: how bad an incident is from its scope, and how often its customers hear from us."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from candor.errors import PolicyError
from candor.model import Effect, Impact, Scope, Status, parse_duration

__all__ = ["DEFAULT_CADENCE", "DEFAULT_WARN_BEFORE", "OnDue", "Policy"]

DEFAULT_WARN_BEFORE = timedelta(minutes=5)


class OnDue(StrEnum):
    """What candor does when a promise is about to break (or has broken)."""

    WARN = "warn"
    """Log an event, make ``candor overdue`` exit non-zero, and tell the internal channels."""
    HOLDING_UPDATE = "holding_update"
    """Post an honest "nothing new yet" update on every channel, promising the next one."""


DEFAULT_CADENCE: Mapping[Impact, timedelta] = {
    Impact.CRITICAL: timedelta(minutes=30),
    Impact.MAJOR: timedelta(minutes=30),
    Impact.MINOR: timedelta(minutes=60),
    Impact.NONE: timedelta(minutes=60),
}


class Policy(BaseModel):
    """The organisation's rules for impact and update cadence.

    With ``partial_is_full`` (the default) a component that is down for some
    customers is down, for them: its impact is at least ``major`` whatever the
    fraction, because "for that 1% it is 100% true".

    ``on_due`` says what happens when a promise is about to break: ``warn`` (the
    default) or ``holding_update``; ``warn_before`` is how long before its time a
    promise counts as about to break; ``warn_channels`` names the channels that
    get the warnings (default: every channel whose audience is internal).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cadence: dict[Impact, timedelta] = dict(DEFAULT_CADENCE)
    partial_is_full: bool = True
    on_due: OnDue = OnDue.WARN
    warn_before: timedelta = DEFAULT_WARN_BEFORE
    warn_channels: tuple[str, ...] | None = None

    @field_validator("on_due", mode="before")
    @classmethod
    def _on_due(cls, value: object) -> object:
        known = [choice.value for choice in OnDue]
        if isinstance(value, str) and value not in known:
            raise ValueError(f"must be one of: {', '.join(known)}")
        return value

    @field_validator("warn_before", mode="before")
    @classmethod
    def _warn_before(cls, value: object) -> timedelta:
        return parse_duration(value, field="policy.warn_before")

    @field_validator("cadence", mode="before")
    @classmethod
    def _cadence(cls, value: object) -> dict[Impact, timedelta]:
        if not isinstance(value, Mapping):
            raise ValueError("cadence must be a table such as { critical = '30m', minor = '60m' }")
        merged = dict(DEFAULT_CADENCE)
        for key, every in value.items():
            impact = Impact.parse(key, field=f"policy.cadence.{key}")
            merged[impact] = parse_duration(every, field=f"policy.cadence.{key}")
        return merged

    def impact_for(self, scope: Scope) -> Impact:
        """The impact a scope implies."""
        fraction = scope.affected_fraction
        if scope.effect is Effect.OUTAGE:
            if fraction is not None and fraction >= 0.5:
                return Impact.CRITICAL
            if self.partial_is_full or fraction is None or fraction >= 0.05:
                return Impact.MAJOR
            return Impact.MINOR
        if fraction is not None and fraction >= 0.5:
            return Impact.MAJOR
        return Impact.MINOR

    def floor(self, scope: Scope) -> Impact:
        """The least impact the policy lets a scope be declared with."""
        if scope.effect is Effect.OUTAGE and self.partial_is_full:
            return Impact.MAJOR
        return Impact.NONE

    def resolve_impact(self, scope: Scope, declared: Impact | str | None) -> Impact:
        """The declared impact if the policy accepts it, else the one derived from the scope."""
        if declared is None:
            return self.impact_for(scope)
        impact = Impact.parse(declared)
        floor = self.floor(scope)
        if impact.rank < floor.rank:
            components = ", ".join(scope.components)
            raise PolicyError(
                "impact",
                impact.value,
                f"understates an outage of {components}: it is down for the customers it "
                f"affects, so the impact is at least {floor.value!r} (policy partial_is_full)",
            )
        return impact

    def next_update_by(
        self,
        impact: Impact,
        status: Status,
        now: datetime,
        requested: object = None,
    ) -> datetime | None:
        """When the next update is promised; None only for a resolution."""
        if status is Status.RESOLVED:
            return None
        every = self.cadence[impact] if requested is None else parse_duration(requested)
        return now + every
