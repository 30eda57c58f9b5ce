"""Where incidents, their timeline, promises and the outbox live: what every store shares.

The :class:`~candor.typing.Store` protocol itself lives in :mod:`candor.typing`;
the outbox rows in :mod:`candor.vocabulary`. Both are re-exported here.

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

from candor.model import Promise, PromiseKind, Update
from candor.typing import Store
from candor.vocabulary import OutboxFailure, OutboxItem, OutboxSent, OutboxTransition

__all__ = [
    "OutboxFailure",
    "OutboxItem",
    "OutboxSent",
    "OutboxTransition",
    "Store",
    "promises_made_by",
]


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
