"""The courier: claims the outbox's rows, delivers them at once, each channel in order, once.

See :mod:`candor.delivery` for the whole story: claims and leases, the
classification of failures, retries, and what is logged.

This module is over 500 lines because claiming a row, delivering it and settling
its outcome are one state machine: read together, they show every path a row takes.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import socket
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from candor.delivery._ledger import StoreLedger
from candor.delivery._settings import Clock, DeliverySettings, Outcome, Sleep, TokenBucket
from candor.delivery._tries import (
    Deadline,
    IncidentRead,
    announced_wait,
    as_delivery_error,
    failure_kind,
)
from candor.errors import DeliveryError
from candor.log import get_logger
from candor.model import DeliveryState
from candor.typing import Editing, Fanning, Reconciling, SubscriberStore
from candor.vocabulary import DeliveryContext, OutboxFailure, OutboxSent, Receipt

if TYPE_CHECKING:
    from candor.model import Organization
    from candor.typing import Adapter, Store
    from candor.vocabulary import OutboxItem, OutboxTransition

__all__ = ["Courier", "deliver"]

log = get_logger("candor.delivery")

T = TypeVar("T")


class Courier:
    """Delivers what the outbox owes: claims, fans out, retries, records.

    One per communicator: it keeps each channel's rate-limit bucket between
    passes, and runs store calls on one thread of its own so that its writes
    never contend with each other. The outcomes of rows delivered at once are
    committed together (:meth:`Store.record_many`), each row's caller going on
    only once its own outcome is durable. ``clock`` gives the time (deadlines, due
    times and rate limits use it too); ``sleep`` waits, and tests pass one
    that moves their clock instead. ``unconfigured`` says, per channel that has
    no adapter yet, why (a secret not set): its rows stay owed, and say so.
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
        unconfigured: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.unconfigured = dict(unconfigured or {})
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
                why = self.unconfigured.get(item.channel)
                if why is None:
                    error = f"channel {item.channel!r} is not configured; the message stays owed"
                else:
                    error = (
                        f"channel {item.channel!r} is not configured ({why}); the message stays"
                        " owed: set it, then run `candor deliver`"
                    )
                log.warning(
                    "delivery_channel_missing",
                    channel=item.channel,
                    incident_id=item.incident_id,
                    reason=why,
                )
                outcomes.append(
                    self._report(Outcome(item, item.state, error=error, unconfigured=why))
                )
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
        log.debug("outbox_claimed", rows=len(claimed), incident_id=incident_id)
        taken = {(i.incident_id, i.channel) for i in claimed}
        if any(key not in taken for key in queued):
            # Read again: another process may have claimed, or even sent, a row since.
            owed = await self._store_call(self.store.pending, incident_id=incident_id)
        heads: dict[tuple[str, str], OutboxItem] = {}
        for item in owed:
            heads.setdefault((item.incident_id, item.channel), item)
        for key in queued:
            if key not in taken and key in heads:
                # Waiting for its time, or in flight in another process: still owed.
                outcomes.append(self._report(self._untaken(heads[key])))
        incidents: dict[str, IncidentRead] = {}
        for item in claimed:
            if item.incident_id not in incidents:
                incidents[item.incident_id] = IncidentRead(
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

    def _untaken(self, head: OutboxItem) -> Outcome:
        """The outcome of a row this pass could not claim: waiting, or another process's."""
        if head.state is DeliveryState.IN_FLIGHT and head.claim != self._token:
            # A live lease (an expired one would have been claimed here): not a crash.
            holder = head.claim.rsplit(":", 1)[0] if head.claim else "unknown"
            return Outcome(
                head,
                head.state,
                error=(f"being delivered by another process ({holder}), which records the outcome"),
                attempts=head.attempts,
                elsewhere=True,
            )
        return Outcome(
            head,
            head.state,
            error=head.last_error,
            attempts=head.attempts,
            next_attempt_at=head.next_attempt_at,
        )

    async def _drain(
        self, item: OutboxItem, incidents: dict[str, IncidentRead], *, more: bool
    ) -> list[Outcome]:
        """Deliver one (incident, channel)'s rows in order, claiming each next one in turn."""
        outcomes = []
        current: OutboxItem | None = item
        while current is not None:
            try:
                outcome = await self._deliver_one(current, incidents[current.incident_id])
            except Exception as exc:
                # A bug, or a store that failed this row: it must not sink the other channels,
                # whose outcomes are recorded as each settles, nor escape as a traceback.
                outcome = await self._unsettled(current, exc)
            outcomes.append(self._report(outcome))
            if outcome.state not in {DeliveryState.SENT, DeliveryState.FAILED} or not more:
                break  # a row still owed holds back the updates behind it
            settled = current
            try:
                following = await self._store_call(
                    self.store.claim,
                    token=self._token,
                    now=self._clock(),
                    lease=timedelta(seconds=self.settings.lease),
                    incident_id=current.incident_id,
                    channels=[current.channel],
                )
                log.debug("outbox_claimed", rows=len(following), incident_id=current.incident_id)
                current = following[0] if following else None
                if current is not None:
                    # The incident has grown since it was read (that is why a row follows).
                    incidents[current.incident_id] = IncidentRead(
                        await self._store_call(self.store.get, current.incident_id)
                    )
            except Exception as exc:
                # The rows behind stay owed (a row claimed here is taken over after its lease).
                log.error(
                    "delivery_next_claim_failed",
                    channel=settled.channel,
                    incident_id=settled.incident_id,
                    error=f"{type(exc).__name__}: {exc}",
                )
                break
        return outcomes

    async def _unsettled(self, item: OutboxItem, exc: Exception) -> Outcome:
        """A row whose delivery or settlement raised: back to the outbox, or reported in flight.

        Whether it reached the service is unknown, so it is marked maybe sent (the
        next attempt reconciles where the adapter can). If even that cannot be
        recorded, the row stays claimed until its lease ends and is then taken
        over like the row of a process that died; the outcome says so.
        """
        assert item.id is not None
        what = f"{type(exc).__name__}: {exc}"
        log.error(
            "delivery_unsettled",
            channel=item.channel,
            incident_id=item.incident_id,
            seq=item.seq,
            error=what,
        )
        reason = f"candor could not settle this delivery ({what})"
        now = self._clock()
        next_attempt_at = now + timedelta(seconds=self.settings.retry_later)
        try:
            await self._record(
                OutboxFailure(
                    item_id=item.id,
                    error=reason,
                    final=False,
                    at=now,
                    next_attempt_at=next_attempt_at,
                    maybe_sent=True,
                )
            )
        except Exception as again:
            return Outcome(
                item,
                DeliveryState.IN_FLIGHT,
                error=(
                    f"{reason}; nor could its outcome be recorded ({type(again).__name__}:"
                    f" {again}): it is tried again once its claim expires"
                ),
                attempts=item.attempts + 1,
            )
        self._log_recorded(item, DeliveryState.RETRY)
        return Outcome(
            item,
            DeliveryState.RETRY,
            error=reason,
            attempts=item.attempts + 1,
            next_attempt_at=next_attempt_at,
        )

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

    async def _deliver_one(self, item: OutboxItem, read: IncidentRead) -> Outcome:
        """Try one claimed row until it is sent, refused, or must wait in the outbox."""
        assert item.id is not None
        incident = read.incident
        channel = item.channel
        adapter = self.adapters[channel]
        update = next(u for u in incident.updates if u.id == item.update_id)
        # The receipts of the earlier updates on this channel, from the incident already read
        # (its deliveries are the outbox rows), rather than one more query per row.
        previous = read.previous(channel, item.seq)
        # A correction edits the post it corrects where the channel can and holds its
        # receipt; anywhere else it is posted as a follow-up.
        corrected = (
            read.receipt(channel, update.correction.seq) if update.correction is not None else None
        )
        editing = (
            corrected is not None
            and adapter.capabilities.editing
            and isinstance(adapter, Editing)
            and not isinstance(adapter, Fanning)
        )
        idempotent = adapter.capabilities.idempotency or editing
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
                corrected=corrected,
            )

        # An edit made twice makes the same text: nothing to reconcile before it.
        if item.maybe_sent and not editing and isinstance(adapter, Reconciling):
            try:
                found = await adapter.reconcile(item.message, context())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = as_delivery_error(channel, exc)
                self._log_attempt(item, item.attempts + 1, "reconcile_failed", 0.0, error)
                return await self._settle(item, error, tries=0)
            if found is not None:
                self._log_attempt(item, item.attempts + 1, "reconciled", 0.0, None)
                return await self._record_sent(item, found, tries=0, latency=0.0)

        fanning = isinstance(adapter, Fanning)

        async def attempt() -> Receipt:
            nonlocal tries, last_latency
            tries += 1
            bucket = self._bucket(channel, adapter)
            if bucket is not None and not fanning:
                await bucket.take()
            began = self._seconds()
            try:
                if fanning:
                    receipt = await self._post_each(item, context(), bucket)
                elif editing:
                    assert isinstance(adapter, Editing)
                    receipt = await adapter.edit(item.message, context())
                else:
                    receipt = await adapter.post(item.message, context())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                last_latency = self._seconds() - began
                error = as_delivery_error(channel, exc)
                outcome = failure_kind(error, idempotent=idempotent)
                self._log_attempt(item, item.attempts + tries, outcome, last_latency, error)
                raise error from None
            last_latency = self._seconds() - began
            self._log_attempt(item, item.attempts + tries, "sent", last_latency, None)
            return receipt

        def retry_now(exc: BaseException) -> bool:
            if not isinstance(exc, DeliveryError) or not exc.retryable:
                return False  # cancellation and refusals are never retried
            announced = announced_wait(exc)
            if announced is not None:
                return announced <= self.settings.max_wait
            return idempotent or not exc.maybe_delivered

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, DeliveryError):
                announced = announced_wait(exc)
                if announced is not None:
                    return min(announced, self.settings.max_wait)
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
            | Deadline(self.settings.deadline, started, self._seconds),
            wait=wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            receipt = await retrying(again)
        except DeliveryError as error:
            return await self._settle(item, error, tries=tries, latency=last_latency)
        return await self._record_sent(item, receipt, tries=tries, latency=last_latency)

    async def _post_each(
        self, item: OutboxItem, context: DeliveryContext, bucket: TokenBucket | None
    ) -> Receipt:
        """One attempt of a row that tells many people: the adapter works through its ledger.

        The rate limit paces recipients, not rows. A store without a recipient
        ledger cannot deliver such a row: it fails for good, saying so.
        """
        assert item.id is not None
        adapter = self.adapters[item.channel]
        assert isinstance(adapter, Fanning)
        if not isinstance(self.store, SubscriberStore):
            raise DeliveryError(
                item.channel,
                f"the store ({type(self.store).__name__}) keeps no recipient ledger, which this"
                " channel needs to tell each recipient once: use the SQLite store",
                retryable=False,
            )
        ledger = StoreLedger(self.store, item.id, self._store_call, bucket=bucket)
        return await adapter.post_each(item.message, context, ledger)

    async def _record_sent(
        self, item: OutboxItem, receipt: Receipt, *, tries: int, latency: float
    ) -> Outcome:
        assert item.id is not None
        await self._record(
            OutboxSent(item_id=item.id, receipt=receipt, at=self._clock(), attempts=tries)
        )
        self._log_recorded(item, DeliveryState.SENT)
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
            self._log_recorded(item, DeliveryState.FAILED)
            return Outcome(
                item, DeliveryState.FAILED, error=str(error), attempts=attempts, latency=latency
            )
        said = str(error)
        announced = announced_wait(error)
        if announced is None or announced <= 0:
            # No wait announced (or "now", tried already): the backoff's schedule.
            exponent = min(max(0, attempts - 1), 64)
            delay = min(self.settings.retry_later_max, self.settings.retry_later * 2**exponent)
            delay *= random.uniform(0.8, 1.0)  # spread out the channels that failed together
        elif announced > self.settings.max_retry_after:
            # Not believed: a service cannot park a row for centuries, nor overflow a date.
            delay = self.settings.max_retry_after
            asked = "for ever" if math.isinf(announced) else f"{announced:.0f} s"
            said += (
                f" (the service asked to wait {asked}, more than max_retry_after,"
                f" {delay:.0f} s: trying again then)"
            )
        else:
            delay = announced
        next_attempt_at = now + timedelta(seconds=delay)
        await self._record(
            OutboxFailure(
                item_id=item.id,
                error=said,
                final=False,
                at=now,
                attempts=tries,
                next_attempt_at=next_attempt_at,
                maybe_sent=error.maybe_delivered,
            )
        )
        self._log_recorded(item, DeliveryState.RETRY)
        return Outcome(
            item,
            DeliveryState.RETRY,
            error=said,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            latency=latency,
        )

    def _log_recorded(self, item: OutboxItem, state: DeliveryState) -> None:
        """The row's outcome is durable: one debug event, after the commit."""
        log.debug(
            "outcome_recorded",
            channel=item.channel,
            incident_id=item.incident_id,
            seq=item.seq,
            state=state.value,
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
        if announced_wait(error) is not None:
            fields["retry_after"] = error.retry_after
        log.warning("delivery_attempt", **fields)


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
