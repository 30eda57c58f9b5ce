"""One row's tries: the incident they read, how a failed try is classified, when they stop."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from tenacity import RetryCallState
from tenacity.stop import stop_base

from candor.errors import DeliveryError
from candor.model import DeliveryState
from candor.vocabulary import Receipt

if TYPE_CHECKING:
    from candor.model import Incident

__all__ = ["Deadline", "IncidentRead", "announced_wait", "as_delivery_error", "failure_kind"]


class Deadline(stop_base):
    """Stop when the next wait would end past ``seconds`` after ``started`` (tenacity)."""

    def __init__(self, seconds: float, started: float, now: Callable[[], float]) -> None:
        self.seconds = seconds
        self.started = started
        self.now = now

    def __call__(self, retry_state: RetryCallState) -> bool:
        elapsed = self.now() - self.started + retry_state.upcoming_sleep
        return elapsed >= self.seconds


class IncidentRead:
    """An incident as read for delivery, with each channel's receipts indexed once.

    A fan-out delivers every channel from the same read; finding a row's earlier
    receipts by sorting all the incident's deliveries again for each row would
    cost O(channels^2).
    """

    __slots__ = ("_receipts", "incident")

    def __init__(self, incident: Incident) -> None:
        self.incident = incident
        self._receipts: dict[str, list[tuple[int, Receipt]]] | None = None

    def _index(self) -> dict[str, list[tuple[int, Receipt]]]:
        if self._receipts is None:
            self._receipts = {}
            seen: set[tuple[str, str]] = set()
            for d in sorted(self.incident.deliveries, key=lambda d: d.seq):
                if d.state is not DeliveryState.SENT:
                    continue
                if d.remote_id is not None:
                    if (d.channel, d.remote_id) in seen:
                        # An edit of a post made before (a correction): no new post, so
                        # not one to reply to or thread under.
                        continue
                    seen.add((d.channel, d.remote_id))
                receipt = Receipt(
                    channel=d.channel,
                    remote_id=d.remote_id,
                    url=d.remote_url,
                    thread_root=d.thread_root,
                )
                self._receipts.setdefault(d.channel, []).append((d.seq, receipt))
        return self._receipts

    def previous(self, channel: str, seq: int) -> tuple[Receipt, ...]:
        """The receipts of the posts before ``seq`` on ``channel``, oldest first (no edits)."""
        return tuple(r for at, r in self._index().get(channel, ()) if at < seq)

    def receipt(self, channel: str, seq: int) -> Receipt | None:
        """The receipt of the update numbered ``seq`` on ``channel``, if it was sent there."""
        return next((r for at, r in self._index().get(channel, ()) if at == seq), None)


def announced_wait(error: DeliveryError) -> float | None:
    """The wait ``error`` says the service asked for, if it is one to believe: finite, >= 0.

    The kit's parsers never give ``inf`` or ``nan``, but an adapter may build its
    own DeliveryError; such a wait, or a negative one, counts as none announced.
    """
    wait = error.retry_after
    if isinstance(wait, bool) or not isinstance(wait, int | float):
        return None
    try:
        value = float(wait)
    except OverflowError:
        return math.inf if wait > 0 else None
    if math.isnan(value) or value < 0:
        return None
    return value


def failure_kind(error: DeliveryError, *, idempotent: bool) -> str:
    """How one failed attempt is logged: refused, rate_limited, not_sent or maybe_sent."""
    if not error.retryable:
        return "refused"
    if announced_wait(error) is not None:
        return "rate_limited"
    return "maybe_sent" if error.maybe_delivered else "not_sent"


def as_delivery_error(channel: str, exc: Exception) -> DeliveryError:
    """Any exception from an adapter, as a classified DeliveryError naming the channel."""
    if isinstance(exc, DeliveryError):
        return exc
    import httpx

    if isinstance(exc, httpx.HTTPError):
        from candor.adapters.http import transport_error

        return transport_error(channel, exc)
    # An adapter bug: keep the row owed, and assume the worst about whether it went.
    return DeliveryError(channel, f"{type(exc).__name__}: {exc}", maybe_delivered=True)
