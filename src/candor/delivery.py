"""Delivery: draining the outbox to the channels, concurrently, in order, once.

:class:`Courier` claims the head row of each (incident, channel) from the
store (``in_flight``, under a claim token and a lease, so two delivering
processes never send the same row), then delivers every claimed row at once,
each (incident, channel) in order: update 3 never overtakes update 2 on the
same channel, and one slow or failing channel never delays the others.

Each row is tried with tenacity, classified by the error it gets
(:class:`~candor.errors.DeliveryError`, see :mod:`candor.adapters.http`):

- refused (``retryable=False``: 400, 401, 403, 404, 413...): failed for good,
  never retried;
- not sent (a connection error before the request left): retried at once;
- maybe delivered (a read timeout, a 5xx): retried at once only where the
  service deduplicates by idempotency key (``Capabilities.idempotency``);
  otherwise it goes back to the outbox, and the next attempt reconciles first
  where the adapter can (:class:`~candor.adapters.base.Reconciling`);
- told to wait (429, 503 with ``Retry-After``): waits as told when that is
  within ``max_wait`` and the deadline; a longer wait goes back to the outbox
  with ``next_attempt_at`` rather than sleeping.

Waits between tries are jittered exponential backoff; the tries of one row
stop at ``max_attempts`` or its ``deadline``, and a row still owed then waits
in the outbox (``retry``) for ``deliver_pending()``. Cancellation is never
retried. Every attempt is one log event, ``delivery_attempt``, with the
channel, incident, update, attempt, outcome and latency, and no secret.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from candor._crash import CRASH_STEPS, crash_point
from candor.errors import DeliveryError
from candor.log import get_logger
from candor.model import DeliveryState
from candor.typing import Reconciling
from candor.vocabulary import (
    DeliveryContext,
    OutboxFailure,
    OutboxSent,
    Receipt,
    idempotency_key,
)

if TYPE_CHECKING:
    from candor.model import Incident, Organization
    from candor.typing import Adapter, Store
    from candor.vocabulary import OutboxItem, OutboxTransition

__all__ = [
    "CRASH_STEPS",
    "Courier",
    "DeliverySettings",
    "Outcome",
    "TokenBucket",
    "crash_point",
    "deliver",
    "idempotency_key",
]

log = get_logger("candor.delivery")

T = TypeVar("T")
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# -- settings, outcomes, rate limits ---------------------------------------------------------


class DeliverySettings(BaseModel):
    """How hard and how long delivery tries; every duration is in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=4, ge=1)
    """Tries of one row in one delivery pass, the first included."""
    backoff: float = Field(default=0.25, gt=0)
    """The first wait between tries; it doubles (with full jitter) up to ``backoff_max``."""
    backoff_max: float = Field(default=8.0, gt=0)
    deadline: float = Field(default=30.0, gt=0)
    """How long one row's tries may take in one pass, waits included."""
    max_wait: float = Field(default=30.0, ge=0)
    """The longest ``Retry-After`` waited for in process; a longer one goes back to the outbox."""
    retry_later: float = Field(default=30.0, gt=0)
    """When a row goes back to the outbox, the first delay before its next pass; it doubles."""
    retry_later_max: float = Field(default=900.0, gt=0)
    lease: float = Field(default=120.0, gt=0)
    """How long a claim holds; after it another process may take the row over."""

    @model_validator(mode="after")
    def _lease_outlives_the_tries(self) -> DeliverySettings:
        if self.lease <= self.deadline:
            raise ValueError("lease must be longer than deadline, or a live claim could be taken")
        return self


class Outcome:
    """Where one outbox row stands after a delivery pass."""

    __slots__ = ("attempts", "channel", "error", "item", "latency", "next_attempt_at", "state")

    def __init__(
        self,
        item: OutboxItem,
        state: DeliveryState,
        *,
        error: str | None = None,
        attempts: int = 0,
        next_attempt_at: datetime | None = None,
        latency: float = 0.0,
    ) -> None:
        self.item = item
        self.channel = item.channel
        self.state = state
        self.error = error
        self.attempts = attempts
        self.next_attempt_at = next_attempt_at
        self.latency = latency

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


# -- the courier ------------------------------------------------------------------------


class Courier:
    """Delivers what the outbox owes: claims, fans out, retries, records.

    One per communicator: it keeps each channel's rate-limit bucket between
    passes, and runs store calls on one thread of its own so that its writes
    never contend with each other. The outcomes of rows delivered at once are
    committed together (:meth:`Store.record_many`), each row's caller going on
    only once its own outcome is durable. ``clock`` gives the time (deadlines, due
    times and rate limits use it too); ``sleep`` waits, and tests pass one
    that moves their clock instead.
    """

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        organization: Organization,
        clock: Clock,
        *,
        settings: DeliverySettings | None = None,
        sleep: Sleep | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.organization = organization
        self.settings = settings or DeliverySettings()
        self.on_outcome = on_outcome
        self._clock = clock
        self._sleep: Sleep = sleep or asyncio.sleep
        self._buckets: dict[str, TokenBucket | None] = {}
        # Stateless (it reads the attempt number from the retry state): one for all rows.
        self._jitter = wait_random_exponential(
            multiplier=self.settings.backoff, max=self.settings.backoff_max
        )
        self._executor: ThreadPoolExecutor | None = None
        # Outcomes waiting for the writer, each with the future its row's delivery awaits.
        self._outcomes: list[tuple[OutboxTransition, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"

    async def _store_call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="candor-store")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    async def _record(self, transition: OutboxTransition) -> None:
        """Commit one row's outcome, in one transaction with the others waiting at that moment.

        A fan-out's responses arrive together; one transaction per row would queue
        them all behind the store's write lock (a commit each), so while one batch
        commits the next one gathers (group commit). The caller returns only once
        its own row is committed: a channel's next row is claimed after it.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._outcomes.append((transition, future))
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._writer = loop.create_task(self._write())
        await future

    async def _write(self) -> None:
        """Commit the waiting outcomes, batch after batch, until none is left."""
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                try:
                    await self._store_call(self.store.record_many, [t for t, _ in batch])
                except Exception:
                    # One bad row must not sink the others: record each alone, so that
                    # every caller gets its own row's error, or none.
                    for transition, future in batch:
                        try:
                            await self._store_call(self.store.record_many, [transition])
                        except Exception as exc:
                            if not future.done():
                                future.set_exception(exc)
                        else:
                            if not future.done():
                                future.set_result(None)
                    continue
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            finally:
                for _, future in batch:
                    if not future.done():  # the writer itself was cancelled
                        future.cancel()

    def close(self) -> None:
        """Stop the store thread (it is started again if the courier is used again)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def deliver(
        self, *, incident_id: str | None = None, force: bool = False
    ) -> list[Outcome]:
        """Deliver every row that may go now (all incidents', or one's); returns the outcomes.

        ``force`` also takes rows waiting for their ``next_attempt_at``. Rows
        in flight in another live process are left to it; rows for a channel
        that is no longer configured stay owed and are reported.
        """
        owed = await self._store_call(self.store.pending, incident_id=incident_id)
        if not owed:
            return []
        queued: Counter[tuple[str, str]] = Counter((i.incident_id, i.channel) for i in owed)
        outcomes: list[Outcome] = []
        for item in owed:
            key = (item.incident_id, item.channel)
            if item.channel not in self.adapters and key in queued:
                del queued[key]  # report each unconfigured (incident, channel) once
                error = f"channel {item.channel!r} is not configured; the message stays owed"
                log.warning(
                    "delivery_channel_missing", channel=item.channel, incident_id=item.incident_id
                )
                outcomes.append(self._report(Outcome(item, item.state, error=error)))
        if not queued:
            return outcomes
        claimed = await self._store_call(
            self.store.claim,
            token=self._token,
            now=self._clock(),
            lease=timedelta(seconds=self.settings.lease),
            incident_id=incident_id,
            channels=sorted({channel for _, channel in queued}),
            due_only=not force,
        )
        crash_point("claimed")
        taken = {(i.incident_id, i.channel) for i in claimed}
        heads: dict[tuple[str, str], OutboxItem] = {}
        for item in owed:
            heads.setdefault((item.incident_id, item.channel), item)
        for key in queued:
            if key not in taken:
                # Waiting for its time, or in flight in another process: still owed.
                head = heads[key]
                outcomes.append(
                    self._report(
                        Outcome(
                            head,
                            head.state,
                            error=head.last_error,
                            attempts=head.attempts,
                            next_attempt_at=head.next_attempt_at,
                        )
                    )
                )
        incidents: dict[str, _Read] = {}
        for item in claimed:
            if item.incident_id not in incidents:
                incidents[item.incident_id] = _Read(
                    await self._store_call(self.store.get, item.incident_id)
                )
        drained = await asyncio.gather(
            *(
                self._drain(item, incidents, more=queued[(item.incident_id, item.channel)] > 1)
                for item in claimed
            )
        )
        outcomes.extend(outcome for group in drained for outcome in group)
        return outcomes

    async def _drain(
        self, item: OutboxItem, incidents: dict[str, _Read], *, more: bool
    ) -> list[Outcome]:
        """Deliver one (incident, channel)'s rows in order, claiming each next one in turn."""
        outcomes = []
        current: OutboxItem | None = item
        while current is not None:
            outcome = await self._deliver_one(current, incidents[current.incident_id])
            outcomes.append(self._report(outcome))
            if outcome.state not in {DeliveryState.SENT, DeliveryState.FAILED} or not more:
                break  # a row still owed holds back the updates behind it
            following = await self._store_call(
                self.store.claim,
                token=self._token,
                now=self._clock(),
                lease=timedelta(seconds=self.settings.lease),
                incident_id=current.incident_id,
                channels=[current.channel],
            )
            current = following[0] if following else None
            if current is not None:
                # The incident has grown since it was read (that is why a row follows).
                incidents[current.incident_id] = _Read(
                    await self._store_call(self.store.get, current.incident_id)
                )
        return outcomes

    def _report(self, outcome: Outcome) -> Outcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def _bucket(self, channel: str, adapter: Adapter) -> TokenBucket | None:
        if channel not in self._buckets:
            capabilities = adapter.capabilities
            self._buckets[channel] = (
                TokenBucket(capabilities.rate_limit, capabilities.burst, self._clock, self._sleep)
                if capabilities.rate_limit is not None
                else None
            )
        return self._buckets[channel]

    def _seconds(self) -> float:
        return self._clock().timestamp()

    async def _deliver_one(self, item: OutboxItem, read: _Read) -> Outcome:
        """Try one claimed row until it is sent, refused, or must wait in the outbox."""
        assert item.id is not None
        incident = read.incident
        channel = item.channel
        adapter = self.adapters[channel]
        update = next(u for u in incident.updates if u.id == item.update_id)
        # The receipts of the earlier updates on this channel, from the incident already read
        # (its deliveries are the outbox rows), rather than one more query per row.
        previous = read.previous(channel, item.seq)
        idempotent = adapter.capabilities.idempotency
        started = self._seconds()
        tries = 0
        last_latency = 0.0

        def context() -> DeliveryContext:
            return DeliveryContext(
                channel=channel,
                incident=incident,
                update=update,
                idempotency_key=item.idempotency_key,
                organization=self.organization,
                now=self._clock(),
                previous=previous,
                attempt=item.attempts + max(tries, 1),
            )

        if item.maybe_sent and isinstance(adapter, Reconciling):
            try:
                found = await adapter.reconcile(item.message, context())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = _as_delivery_error(channel, exc)
                self._log_attempt(item, item.attempts + 1, "reconcile_failed", 0.0, error)
                return await self._settle(item, error, tries=0)
            if found is not None:
                self._log_attempt(item, item.attempts + 1, "reconciled", 0.0, None)
                return await self._record_sent(item, found, tries=0, latency=0.0)

        async def attempt() -> Receipt:
            nonlocal tries, last_latency
            tries += 1
            bucket = self._bucket(channel, adapter)
            if bucket is not None:
                await bucket.take()
            began = self._seconds()
            try:
                receipt = await adapter.post(item.message, context())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                last_latency = self._seconds() - began
                error = _as_delivery_error(channel, exc)
                outcome = _failure_kind(error, idempotent=idempotent)
                self._log_attempt(item, item.attempts + tries, outcome, last_latency, error)
                raise error from None
            last_latency = self._seconds() - began
            crash_point("response")
            self._log_attempt(item, item.attempts + tries, "sent", last_latency, None)
            return receipt

        def retry_now(exc: BaseException) -> bool:
            if not isinstance(exc, DeliveryError) or not exc.retryable:
                return False  # cancellation and refusals are never retried
            if exc.retry_after is not None:
                return exc.retry_after <= self.settings.max_wait
            return idempotent or not exc.maybe_delivered

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, DeliveryError) and exc.retry_after is not None:
                return float(exc.retry_after)
            return float(self._jitter(state))

        # Most rows go at the first try: make it without tenacity, whose machinery costs
        # about 0.2 ms to build per row (a fan-out to 200 channels pays it 200 times).
        # Only a failed first try builds it, and replays that failure as its own first
        # attempt, so attempts, stops and waits are counted exactly as before.
        try:
            receipt: Receipt = await attempt()
        except DeliveryError as first:
            failed = first
        else:
            return await self._record_sent(item, receipt, tries=tries, latency=last_latency)

        replayed = False

        async def again() -> Receipt:
            nonlocal replayed
            if not replayed:
                replayed = True
                raise failed
            return await attempt()

        retrying = AsyncRetrying(
            retry=retry_if_exception(retry_now),
            stop=stop_after_attempt(self.settings.max_attempts)
            | _Deadline(self.settings.deadline, started, self._seconds),
            wait=wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            receipt = await retrying(again)
        except DeliveryError as error:
            return await self._settle(item, error, tries=tries, latency=last_latency)
        return await self._record_sent(item, receipt, tries=tries, latency=last_latency)

    async def _record_sent(
        self, item: OutboxItem, receipt: Receipt, *, tries: int, latency: float
    ) -> Outcome:
        assert item.id is not None
        await self._record(
            OutboxSent(item_id=item.id, receipt=receipt, at=self._clock(), attempts=tries)
        )
        crash_point("saved")
        return Outcome(item, DeliveryState.SENT, attempts=item.attempts + tries, latency=latency)

    async def _settle(
        self, item: OutboxItem, error: DeliveryError, *, tries: int, latency: float = 0.0
    ) -> Outcome:
        """Record a row that did not go: failed for good, or back to the outbox to retry."""
        assert item.id is not None
        now = self._clock()
        attempts = item.attempts + tries
        if not error.retryable:
            await self._record(
                OutboxFailure(item_id=item.id, error=str(error), final=True, at=now, attempts=tries)
            )
            return Outcome(
                item, DeliveryState.FAILED, error=str(error), attempts=attempts, latency=latency
            )
        if error.retry_after is not None:
            delay = error.retry_after
        else:
            exponent = max(0, attempts - 1)
            delay = min(self.settings.retry_later_max, self.settings.retry_later * 2**exponent)
            delay *= random.uniform(0.8, 1.0)  # spread out the channels that failed together
        next_attempt_at = now + timedelta(seconds=delay)
        await self._record(
            OutboxFailure(
                item_id=item.id,
                error=str(error),
                final=False,
                at=now,
                attempts=tries,
                next_attempt_at=next_attempt_at,
                maybe_sent=error.maybe_delivered,
            )
        )
        return Outcome(
            item,
            DeliveryState.RETRY,
            error=str(error),
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            latency=latency,
        )

    def _log_attempt(
        self,
        item: OutboxItem,
        attempt: int,
        outcome: str,
        latency: float,
        error: DeliveryError | None,
    ) -> None:
        fields: dict[str, Any] = {
            "channel": item.channel,
            "incident_id": item.incident_id,
            "update_id": item.update_id,
            "seq": item.seq,
            "attempt": attempt,
            "outcome": outcome,
            "latency_ms": round(latency * 1000, 1),
        }
        if error is None:
            log.info("delivery_attempt", **fields)
            return
        fields["status_code"] = error.status_code
        fields["error"] = error.reason
        if error.retry_after is not None:
            fields["retry_after"] = error.retry_after
        log.warning("delivery_attempt", **fields)


class _Deadline(stop_base):
    """Stop when the next wait would end past ``seconds`` after ``started`` (tenacity)."""

    def __init__(self, seconds: float, started: float, now: Callable[[], float]) -> None:
        self.seconds = seconds
        self.started = started
        self.now = now

    def __call__(self, retry_state: RetryCallState) -> bool:
        elapsed = self.now() - self.started + retry_state.upcoming_sleep
        return elapsed >= self.seconds


class _Read:
    """An incident as read for delivery, with each channel's receipts indexed once.

    A fan-out delivers every channel from the same read; finding a row's earlier
    receipts by sorting all the incident's deliveries again for each row would
    cost O(channels^2).
    """

    __slots__ = ("_receipts", "incident")

    def __init__(self, incident: Incident) -> None:
        self.incident = incident
        self._receipts: dict[str, list[tuple[int, Receipt]]] | None = None

    def previous(self, channel: str, seq: int) -> tuple[Receipt, ...]:
        """The receipts of the updates before ``seq`` sent on ``channel``, oldest first."""
        if self._receipts is None:
            self._receipts = {}
            for d in sorted(self.incident.deliveries, key=lambda d: d.seq):
                if d.state is DeliveryState.SENT:
                    receipt = Receipt(
                        channel=d.channel,
                        remote_id=d.remote_id,
                        url=d.remote_url,
                        thread_root=d.thread_root,
                    )
                    self._receipts.setdefault(d.channel, []).append((d.seq, receipt))
        return tuple(r for at, r in self._receipts.get(channel, ()) if at < seq)


def _failure_kind(error: DeliveryError, *, idempotent: bool) -> str:
    """How one failed attempt is logged: refused, rate_limited, not_sent or maybe_sent."""
    if not error.retryable:
        return "refused"
    if error.retry_after is not None:
        return "rate_limited"
    return "maybe_sent" if error.maybe_delivered else "not_sent"


def _as_delivery_error(channel: str, exc: Exception) -> DeliveryError:
    """Any exception from an adapter, as a classified DeliveryError naming the channel."""
    if isinstance(exc, DeliveryError):
        return exc
    import httpx

    if isinstance(exc, httpx.HTTPError):
        from candor.adapters.http import transport_error

        return transport_error(channel, exc)
    # An adapter bug: keep the row owed, and assume the worst about whether it went.
    return DeliveryError(channel, f"{type(exc).__name__}: {exc}", maybe_delivered=True)


async def deliver(
    store: Store,
    adapters: Mapping[str, Adapter],
    organization: Organization,
    clock: Clock,
    *,
    incident_id: str | None = None,
    settings: DeliverySettings | None = None,
    sleep: Sleep | None = None,
    force: bool = False,
) -> list[Outcome]:
    """Deliver what may go now with a one-off :class:`Courier` (see :meth:`Courier.deliver`)."""
    courier = Courier(store, adapters, organization, clock, settings=settings, sleep=sleep)
    try:
        return await courier.deliver(incident_id=incident_id, force=force)
    finally:
        courier.close()
