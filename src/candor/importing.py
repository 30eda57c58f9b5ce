"""Importing what a service already has: incidents opened before candor, so it continues them.

A team that adopts candor in the middle of an incident already has that
incident on its status page. :func:`import_incidents` asks a channel's adapter
for the incidents still open there (an adapter that can, implements
:class:`Importing`), and records each one in the store as an incident whose
first update was delivered on that channel, with the service's incident id as
the receipt's ``thread_root``. The next ``update`` or ``resolve`` through candor
then continues that same remote incident, and every other channel hears of it
from then on. Importing is idempotent: an incident already in the store (by its
candor id, or by its remote id on that channel) is not imported again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime

from candor import lifecycle
from candor.errors import AdapterError, ConflictError
from candor.model import DeliveryState, Incident
from candor.policy import Policy
from candor.typing import Adapter, Importing, Store
from candor.vocabulary import Form, Imported, Message, OutboxItem, Receipt, idempotency_key

__all__ = ["Imported", "Importing", "import_incidents", "imported_id"]


def imported_id(channel: str, remote_id: str) -> str:
    """The candor id of an incident imported from ``channel``: the same on every import."""
    digest = hashlib.sha256(f"{channel}\x1f{remote_id}".encode()).hexdigest()
    return f"inc-{digest[:10]}"


async def import_incidents(
    adapter: Adapter,
    store: Store,
    channel: str,
    *,
    policy: Policy,
    now: Callable[[], datetime],
) -> list[Incident]:
    """Record in ``store`` every open incident of ``channel``'s service not yet there.

    Returns the incidents imported now (none when everything is already in
    the store). Raises AdapterError when the adapter cannot list incidents,
    and DeliveryError when the service refuses or fails.
    """
    if not isinstance(adapter, Importing):
        raise AdapterError(channel, "this channel's adapter cannot list existing incidents")
    found = await adapter.existing()
    known = await asyncio.to_thread(store.list)
    roots = {
        delivery.thread_root
        for incident in known
        for delivery in incident.deliveries
        if delivery.channel == channel and delivery.thread_root
    }
    ids = {incident.id for incident in known}
    made: list[Incident] = []
    for remote in found:
        incident_id = remote.candor_incident_id or imported_id(channel, remote.remote_id)
        if remote.remote_id in roots or incident_id in ids:
            continue
        moment = now()
        incident = lifecycle.import_remote(remote, incident_id, policy, moment)
        update = incident.updates[0]
        receipt = Receipt(
            channel=channel,
            remote_id=remote.remote_update_id or remote.remote_id,
            url=remote.url,
            thread_root=remote.remote_id,
        )
        row = OutboxItem(
            incident_id=incident_id,
            update_id=update.id,
            seq=1,
            channel=channel,
            idempotency_key=idempotency_key(incident_id, update.id, channel),
            message=Message(
                channel=channel,
                form=Form.LONG,
                title=incident.title,
                text=update.message,
                incident_id=incident_id,
                update_id=update.id,
                seq=1,
                status=remote.status,
                next_update_by=update.next_update_by,
                url=remote.url,
            ),
            state=DeliveryState.SENT,
            created_at=moment,
            receipt=receipt,
        )
        try:
            await asyncio.to_thread(store.save, incident, expected_version=None, outbox=[row])
        except ConflictError:
            continue  # another import got there first: it is in the store, as wanted
        made.append(await asyncio.to_thread(store.get, incident_id))
    return made
