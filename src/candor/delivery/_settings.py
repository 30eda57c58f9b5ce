"""What delivery is told and what it reports: its settings, a row's outcome, rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from candor.model import DeliveryState
from candor.vocabulary import DeliverySettings  # where delivery's users find it

if TYPE_CHECKING:
    from candor.vocabulary import OutboxItem

__all__ = ["Clock", "DeliverySettings", "Outcome", "Sleep", "TokenBucket"]

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class Outcome:
    """Where one outbox row stands after a delivery pass."""

    __slots__ = (
        "attempts",
        "channel",
        "elsewhere",
        "error",
        "item",
        "latency",
        "next_attempt_at",
        "state",
        "unconfigured",
    )

    def __init__(
        self,
        item: OutboxItem,
        state: DeliveryState,
        *,
        error: str | None = None,
        attempts: int = 0,
        next_attempt_at: datetime | None = None,
        latency: float = 0.0,
        elsewhere: bool = False,
        unconfigured: str | None = None,
    ) -> None:
        self.item = item
        self.channel = item.channel
        self.state = state
        self.error = error
        self.attempts = attempts
        self.next_attempt_at = next_attempt_at
        self.latency = latency
        self.elsewhere = elsewhere
        """Claimed by another live process, which is delivering it now and records its outcome."""
        self.unconfigured = unconfigured
        """Why the channel cannot deliver yet (a secret not set), when it cannot; the row
        stays owed until it can."""

    @property
    def sent(self) -> bool:
        return self.state is DeliveryState.SENT

    def __repr__(self) -> str:
        detail = f": {self.error}" if self.error else ""
        return f"<Outcome {self.channel} update {self.item.seq} {self.state.value}{detail}>"


class TokenBucket:
    """``rate`` requests a second with bursts of ``burst``, on a clock that can be injected.

    :meth:`take` reserves a token and sleeps until it is due, so concurrent
    callers queue up in order instead of all waking at once.
    """

    def __init__(self, rate: float, burst: int, clock: Clock, sleep: Sleep) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._at = clock().timestamp()

    async def take(self) -> float:
        """Take a token, waiting for one if needed; returns how many seconds it waited."""
        now = self._clock().timestamp()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        wait = -self._tokens / self.rate
        await self._sleep(wait)
        return wait
