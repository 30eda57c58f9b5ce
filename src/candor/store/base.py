"""The Store protocol: where incidents, their timeline, promises and the outbox live.

A store writes an update, its promises and one outbox row per channel in one
transaction, before any delivery is attempted, so a crash at any point loses
nothing that was accepted. Writes are checked against the incident's version:
a writer that read an older version gets a ConflictError and nothing is written.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from candor.adapters.base import Receipt
from candor.model import DeliveryState, Incident, Promise, PromiseKind, Update
from candor.render import Message

__all__ = ["OutboxItem", "Store", "promises_made_by"]


class OutboxItem(BaseModel):
    """One message owed to one channel: a row of the outbox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int | None = None
    incident_id: str
    update_id: str
    seq: int
    channel: str
    idempotency_key: str
    message: Message
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime


def promises_made_by(update: Update) -> list[Promise]:
    """The promises an update makes: its next update, and the write-up if it names a date."""
    made = []
    if update.next_update_by is not None:
        made.append(
            Promise(
                incident_id=update.incident_id,
                update_id=update.id,
                kind=PromiseKind.NEXT_UPDATE,
                due_at=update.next_update_by,
            )
        )
    if update.postmortem_by is not None:
        made.append(
            Promise(
                incident_id=update.incident_id,
                update_id=update.id,
                kind=PromiseKind.POSTMORTEM,
                due_at=update.postmortem_by,
            )
        )
    return made


@runtime_checkable
class Store(Protocol):
    """**Protocol:** durable storage for incidents, timeline, promises and outbox.

    ``save`` takes the incident as it is after its newest update (which is the
    last of ``incident.updates``). When ``expected_version`` is None the incident
    must be new; otherwise the stored version must equal it, or ConflictError is
    raised and nothing is written. In the same transaction the store appends the
    update to the timeline (append-only), keeps every open next-update promise
    of the incident (kept by this update), records the promises this update makes
    (:func:`promises_made_by`), and inserts ``outbox``.
    """

    def save(
        self,
        incident: Incident,
        *,
        expected_version: int | None,
        outbox: Sequence[OutboxItem],
    ) -> None: ...

    def get(self, incident_id: str) -> Incident:
        """The incident with its timeline and deliveries; IncidentNotFound if there is none."""
        ...

    def list(self, *, open_only: bool = False) -> builtins.list[Incident]:
        """Incidents, newest first, each with its timeline and deliveries."""
        ...

    def promises(self, *, open_only: bool = True) -> builtins.list[Promise]: ...

    def pending(self, *, incident_id: str | None = None) -> builtins.list[OutboxItem]:
        """Outbox rows still owed, oldest first (so update 3 never overtakes update 2)."""
        ...

    def record_sent(self, item_id: int, receipt: Receipt, *, at: datetime) -> None: ...

    def record_failure(self, item_id: int, error: str, *, final: bool, at: datetime) -> None:
        """Count a failed attempt; ``final`` marks the row failed for good."""
        ...

    def receipts(self, incident_id: str, channel: str) -> builtins.list[Receipt]:
        """Receipts of the incident's delivered updates on a channel, oldest first."""
        ...

    def close(self) -> None: ...
