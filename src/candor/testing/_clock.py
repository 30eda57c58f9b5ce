"""A clock that tests set and advance by hand: no real sleeping, ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["Clock"]

_DEFAULT_START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


class Clock:
    """The current time as a test decides it; call it to read it.

    Pass it wherever candor takes a clock (``Communicator(clock=...)``,
    ``capture(clock=...)``, a fake's ``clock=``): promises, cadence, overdue
    checks and rate limits then all follow it. It only ever moves when told to.
    """

    def __init__(self, start: datetime = _DEFAULT_START) -> None:
        self._now = _aware(start)

    def __call__(self) -> datetime:
        return self._now

    def __repr__(self) -> str:
        return f"<Clock {self._now.isoformat()}>"

    @property
    def now(self) -> datetime:
        """The time the clock shows."""
        return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` (timezone-aware; it may go back, for tests that need it)."""
        self._now = _aware(when)

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> datetime:
        """Move the clock forward by ``delta`` or by ``timedelta(**parts)``; returns the new time.

        ``clock.advance(minutes=31)`` and ``clock.advance(timedelta(minutes=31))`` are the same.
        """
        step = (delta or timedelta()) + timedelta(**parts)
        if step < timedelta(0):
            raise ValueError(f"a clock advances forward; use set() to go back (got {step})")
        self._now += step
        return self._now

    async def sleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` stand-in that advances the clock instead of waiting."""
        self.advance(seconds=max(0.0, seconds))


def _aware(when: datetime) -> datetime:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"a Clock needs a timezone-aware datetime, got {when!r}")
    return when.astimezone(UTC)
