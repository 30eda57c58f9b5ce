"""The Store protocol: where incidents, their timeline, promises and the outbox live.

A store writes an update, its promises and one outbox row per channel in one
transaction, before any delivery is attempted, so a crash at any point loses
nothing that was accepted. Writes are checked against the incident's version:
a writer that read an older version gets a ConflictError and nothing is written.

The outbox is a state machine (see :class:`~candor.model.DeliveryState`):
``claim`` moves the head row of each (incident, channel) to ``in_flight`` under
a claim token and a lease, so two delivering processes never send the same row
at once, and a row whose process died is claimed again once its lease ends;
``record_sent`` and ``record_failure`` end the claim; ``record_many`` ends many
claims in one transaction (delivery uses it to record a fan-out's outcomes
together, as they come in).
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from candor.adapters.base import Receipt
from candor.model import (
    ActionItem,
    ActionStatus,
    Closure,
    DeliveryState,
    Incident,
    Promise,
    PromiseKind,
    Update,
)
from candor.render import Message

__all__ = [
    "OutboxFailure",
    "OutboxItem",
    "OutboxSent",
    "OutboxTransition",
    "Store",
    "promises_made_by",
]


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
    next_attempt_at: datetime | None = None
    maybe_sent: bool = False
    """An earlier attempt may have reached the service (it crashed or timed out after sending)."""
    claim: str | None = None
    """The claim token of the process delivering it, while ``in_flight``."""
    receipt: Receipt | None = None
    """For a row saved already ``sent`` (an incident imported from the service): its receipt.

    ``save`` records it with the row, in the same transaction, as ``record_sent`` would.
    """


class OutboxSent(BaseModel):
    """A row delivered: the service's receipt, after ``attempts`` tries (see ``record_sent``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: int
    receipt: Receipt
    at: datetime
    attempts: int = 1


class OutboxFailure(BaseModel):
    """A row that did not go: failed for good when ``final``, else back to ``retry``.

    See ``record_failure`` for what each field does to the row.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: int
    error: str
    final: bool
    at: datetime
    attempts: int = 1
    next_attempt_at: datetime | None = None
    maybe_sent: bool = False


OutboxTransition = OutboxSent | OutboxFailure
"""One claimed row's outcome, as :meth:`Store.record_many` records it."""


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
        """Outbox rows still owed (pending, in flight, retry), oldest first.

        Update 3 never comes before update 2 of the same incident on a channel.
        Reading them claims nothing: use :meth:`claim` to deliver.
        """
        ...

    def claim(
        self,
        *,
        token: str,
        now: datetime,
        lease: timedelta,
        incident_id: str | None = None,
        channels: Collection[str] | None = None,
        due_only: bool = True,
    ) -> builtins.list[OutboxItem]:
        """Claim, in one transaction, the head row of each (incident, channel) that may go now.

        The head is the oldest row still owed. It is claimed when it is
        ``pending``, ``retry`` and due (``next_attempt_at`` passed, or any time
        when ``due_only`` is False), or ``in_flight`` with its lease over (its
        process died: the row comes back with ``maybe_sent`` set and the
        unfinished attempt counted). A head in flight under a live lease, or
        waiting for its time, holds back the rows behind it. Claimed rows are
        returned ``in_flight`` with ``claim`` = ``token`` until ``now + lease``.
        """
        ...

    def record_sent(
        self, item_id: int, receipt: Receipt, *, at: datetime, attempts: int = 1
    ) -> None:
        """Mark a row delivered with the service's receipt; ``attempts`` tries were made.

        A row already sent keeps its first receipt.
        """
        ...

    def record_failure(
        self,
        item_id: int,
        error: str,
        *,
        final: bool,
        at: datetime,
        attempts: int = 1,
        next_attempt_at: datetime | None = None,
        maybe_sent: bool = False,
    ) -> None:
        """Count failed attempts: ``final`` fails the row for good, else it waits in ``retry``.

        A ``retry`` row is due at ``next_attempt_at`` (``at`` when None).
        ``maybe_sent`` records that the service may have it already, so the
        next attempt reconciles first where the adapter can. A row already
        sent is left as it is.
        """
        ...

    def record_many(self, transitions: Sequence[OutboxTransition]) -> None:
        """Record many rows' outcomes in one transaction: all of them, or none.

        Each transition does what ``record_sent`` or ``record_failure`` would do
        to its row (a row already sent is left as it is); a row the store does
        not have raises StoreError and nothing is written.
        """
        ...

    def requeue_failed(
        self,
        *,
        now: datetime,
        incident_id: str | None = None,
        channels: Collection[str] | None = None,
    ) -> builtins.list[OutboxItem]:
        """Owe again, in one transaction, the failed rows each channel has not moved past.

        A ``failed`` row goes back to ``retry``, due at ``now`` (its attempts and
        last error kept), when no later update of its incident was sent on its
        channel: the channel then catches up, in order, from the first update it
        missed. A failed row with a later update sent after it stays failed: it
        would arrive out of date. Returns the rows owed again, oldest first.
        """
        ...

    def receipts(self, incident_id: str, channel: str) -> builtins.list[Receipt]:
        """Receipts of the incident's delivered updates on a channel, oldest first."""
        ...

    def close_incident(self, incident_id: str, closure: Closure) -> None:
        """Record the books closed on an incident; StoreError if they already are."""
        ...

    def set_action_item(
        self, incident_id: str, number: int, status: ActionStatus, *, at: datetime
    ) -> ActionItem:
        """Change the status of a write-up's action item; InputError if there is no such item."""
        ...

    def claim_reminder(self, key: str, *, holder: str, at: datetime) -> bool:
        """Record that ``holder`` acts on the reminder ``key``; True only for the first to do so.

        This is how two watchers on two hosts elect the one that warns.
        """
        ...

    def close(self) -> None: ...
