"""Delivery: draining the outbox to the channels.

Each channel's messages go out in order (update 3 never overtakes update 2 on
the same channel); channels run concurrently, so one slow or failing channel
never delays the others. A failure is recorded on its outbox row and logged,
never dropped; ``deliver_pending()`` tries again later.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from candor.adapters.base import DeliveryContext
from candor.errors import DeliveryError
from candor.log import get_logger

if TYPE_CHECKING:
    from candor.adapters.base import Adapter
    from candor.model import Incident, Organization
    from candor.store.base import OutboxItem, Store

__all__ = ["Outcome", "deliver", "idempotency_key"]

log = get_logger("candor.delivery")

_NAMESPACE = uuid.UUID("6f1c1c9e-64a4-4b55-9d8e-6b1d2f3c0a11")


def idempotency_key(incident_id: str, update_id: str, channel: str) -> str:
    """A key for (incident, update, channel), the same on every retry and after a restart."""
    return str(uuid.uuid5(_NAMESPACE, f"{incident_id}\x1f{update_id}\x1f{channel}"))


class Outcome:
    """What one attempt at one outbox row came to."""

    __slots__ = ("channel", "error", "item", "sent")

    def __init__(self, item: OutboxItem, *, sent: bool, error: str | None = None) -> None:
        self.item = item
        self.channel = item.channel
        self.sent = sent
        self.error = error

    def __repr__(self) -> str:
        state = "sent" if self.sent else f"failed: {self.error}"
        return f"<Outcome {self.channel} update {self.item.seq} {state}>"


async def deliver(
    store: Store,
    adapters: Mapping[str, Adapter],
    organization: Organization,
    clock: Callable[[], datetime],
    *,
    incident_id: str | None = None,
) -> list[Outcome]:
    """Try every pending outbox row once (all of them, or one incident's)."""
    pending = await asyncio.to_thread(store.pending, incident_id=incident_id)
    by_channel: dict[str, list[OutboxItem]] = defaultdict(list)
    for item in pending:
        by_channel[item.channel].append(item)
    incidents: dict[str, Incident] = {}
    for item in pending:
        if item.incident_id not in incidents:
            incidents[item.incident_id] = await asyncio.to_thread(store.get, item.incident_id)
    results = await asyncio.gather(
        *(
            _drain(store, channel, adapters.get(channel), items, incidents, organization, clock)
            for channel, items in by_channel.items()
        )
    )
    return [outcome for outcomes in results for outcome in outcomes]


async def _drain(
    store: Store,
    channel: str,
    adapter: Adapter | None,
    items: list[OutboxItem],
    incidents: Mapping[str, Incident],
    organization: Organization,
    clock: Callable[[], datetime],
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for item in items:
        assert item.id is not None
        if adapter is None:
            # The channel was removed from the configuration: keep the row owed.
            error = f"channel {channel!r} is not configured; the message stays owed"
            log.warning("delivery_channel_missing", channel=channel, incident_id=item.incident_id)
            outcomes.append(Outcome(item, sent=False, error=error))
            break
        incident = incidents[item.incident_id]
        update = next(u for u in incident.updates if u.id == item.update_id)
        previous = await asyncio.to_thread(store.receipts, item.incident_id, channel)
        context = DeliveryContext(
            channel=channel,
            incident=incident,
            update=update,
            idempotency_key=item.idempotency_key,
            organization=organization,
            now=clock(),
            previous=tuple(previous),
        )
        try:
            receipt = await adapter.post(item.message, context)
        except asyncio.CancelledError:
            raise
        except DeliveryError as exc:
            final = not exc.retryable
            await asyncio.to_thread(
                store.record_failure, item.id, str(exc), final=final, at=clock()
            )
            log.warning(
                "delivery_failed",
                channel=channel,
                incident_id=item.incident_id,
                seq=item.seq,
                status_code=exc.status_code,
                final=final,
                error=exc.reason,
            )
            outcomes.append(Outcome(item, sent=False, error=str(exc)))
            break  # later updates wait, so they never overtake this one
        except Exception as exc:
            error = f"channel {channel!r}: {type(exc).__name__}: {exc}"
            await asyncio.to_thread(store.record_failure, item.id, error, final=False, at=clock())
            log.error(
                "delivery_crashed", channel=channel, incident_id=item.incident_id, error=error
            )
            outcomes.append(Outcome(item, sent=False, error=error))
            break
        await asyncio.to_thread(store.record_sent, item.id, receipt, at=clock())
        log.info("update_delivered", channel=channel, incident_id=item.incident_id, seq=item.seq)
        outcomes.append(Outcome(item, sent=True))
    return outcomes
