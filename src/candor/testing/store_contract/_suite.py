"""The store contract's shared part: its hooks, its fixtures, and builders of incidents and rows.

See :mod:`candor.testing.store_contract` for how a store's tests use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from candor.model import Impact, Incident, Scope, Status, Update, UpdateKind, WriteUp
from candor.typing import Store
from candor.vocabulary import Form, Message, OutboxItem

__all__ = ["LEASE", "T0", "THREADS", "Suite"]

T0 = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
"""When the incidents the builders make begin."""
SCOPE = Scope(components=["API"], regions=["eu-west"], affected_fraction=0.012)
STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)
LEASE = timedelta(minutes=2)
"""The lease the claim tests take."""
CADENCE = timedelta(minutes=30)
THREADS = 4
"""How many threads race in the tests of concurrency."""


class Suite:
    """What every part of the store contract shares: the hooks, the fixtures, the builders."""

    #: When the incidents the builders make begin; update ``seq`` comes 30 minutes per step later.
    start: ClassVar[datetime] = T0
    #: The lease the claim tests take.
    lease: ClassVar[timedelta] = LEASE

    # -- hooks ----------------------------------------------------------------------------

    def make_store(self, tmp_path: Path) -> Store:
        """A new, empty store; ``tmp_path`` is this test's own folder."""
        raise NotImplementedError("a StoreContract subclass must implement make_store")

    def another_store(self, store: Store) -> Store | None:
        """A second store on the data ``store`` holds, as another process would open it.

        None (the default) when the store cannot be opened twice; the tests
        that need two handles are then skipped.
        """
        return None

    # -- machinery ------------------------------------------------------------------------

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """A fresh store from :meth:`make_store`, closed after the test."""
        made = self.make_store(tmp_path)
        yield made
        made.close()

    @pytest.fixture
    def second(self, store: Store) -> Iterator[Store]:
        """A second handle on ``store``'s data, from :meth:`another_store`."""
        other = self.another_store(store)
        if other is None:
            pytest.skip("implement another_store() to test two handles on one store")
        yield other
        other.close()

    # -- builders -------------------------------------------------------------------------

    @staticmethod
    def make_update(
        incident_id: str,
        seq: int,
        *,
        status: Status | None = None,
        kind: UpdateKind | None = None,
        message: str | None = None,
        update_id: str | None = None,
        postmortem_by: datetime | None = None,
        write_up: WriteUp | None = None,
    ) -> Update:
        """Update ``seq`` of an incident, 30 minutes after the one before, promising the next."""
        if status is None:
            status = STATUSES[min(seq - 1, len(STATUSES) - 1)]
        if kind is None:
            kind = UpdateKind.OPEN if seq == 1 else UpdateKind.UPDATE
            if status is Status.RESOLVED:
                kind = UpdateKind.RESOLVE
        created_at = T0 + timedelta(minutes=30 * (seq - 1))
        return Update(
            id=update_id or f"{incident_id}-u{seq}",
            incident_id=incident_id,
            seq=seq,
            kind=kind,
            status=status,
            impact=Impact.MAJOR,
            scope=SCOPE,
            message=message or f"Update {seq}: API requests in eu-west return 503 errors.",
            next_update_by=None
            if status is Status.RESOLVED
            else created_at + timedelta(minutes=30),
            postmortem_by=postmortem_by,
            write_up=write_up,
            created_at=created_at,
        )

    @staticmethod
    def make_incident(incident_id: str, updates: tuple[Update, ...], **changes: Any) -> Incident:
        """The incident as it stands after ``updates``; its version is the number of updates."""
        first, last = updates[0], updates[-1]
        fields: dict[str, Any] = {
            "id": incident_id,
            "title": "API requests failing in eu-west",
            "status": last.status,
            "impact": last.impact,
            "scope": last.scope,
            "started_at": first.created_at - timedelta(minutes=5),
            "created_at": first.created_at,
            "updated_at": last.created_at,
            "resolved_at": last.created_at if last.status is Status.RESOLVED else None,
            "next_update_by": last.next_update_by,
            "postmortem_by": last.postmortem_by,
            "version": len(updates),
            "updates": updates,
        }
        fields.update(changes)
        return Incident(**fields)

    @staticmethod
    def next_version(incident: Incident, **update_fields: Any) -> Incident:
        """``incident`` with one more update appended (fields as :meth:`make_update` takes)."""
        update = Suite.make_update(incident.id, len(incident.updates) + 1, **update_fields)
        return Suite.make_incident(incident.id, (*incident.updates, update))

    @staticmethod
    def outbox_for(update: Update, *channels: str) -> list[OutboxItem]:
        """One outbox row per channel for ``update``, in the order of ``channels``."""
        return [
            OutboxItem(
                incident_id=update.incident_id,
                update_id=update.id,
                seq=update.seq,
                channel=channel,
                idempotency_key=f"{update.incident_id}:{update.id}:{channel}",
                message=Message(
                    channel=channel,
                    form=Form.SHORT,
                    title="API requests failing in eu-west",
                    text=update.message,
                    incident_id=update.incident_id,
                    update_id=update.id,
                    seq=update.seq,
                    status=update.status,
                    next_update_by=update.next_update_by,
                ),
                created_at=update.created_at,
            )
            for channel in channels
        ]

    @staticmethod
    def open_incident(store: Store, incident_id: str = "inc-1", *channels: str) -> Incident:
        """Save a new incident with its first update, owed to ``channels``; return it as stored."""
        incident = Suite.make_incident(incident_id, (Suite.make_update(incident_id, 1),))
        store.save(
            incident,
            expected_version=None,
            outbox=Suite.outbox_for(incident.updates[0], *channels),
        )
        return store.get(incident_id)

    @staticmethod
    def advance(store: Store, incident: Incident, *channels: str, **fields: Any) -> Incident:
        """Save the next update of ``incident`` against its version; return the stored result."""
        changed = Suite.next_version(incident, **fields)
        store.save(
            changed,
            expected_version=incident.version,
            outbox=Suite.outbox_for(changed.updates[-1], *channels),
        )
        return store.get(incident.id)

    def _claim_one(self, store: Store, channel: str, incident_id: str = "inc-1") -> int:
        (item,) = store.claim(
            token="a", now=T0, lease=LEASE, incident_id=incident_id, channels=[channel]
        )
        assert item.id is not None
        return item.id
