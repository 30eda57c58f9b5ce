"""Every ``Protocol`` in candor: what an adapter, a store, an importer or a test seam must offer.

A third party that writes an adapter or a store implements one of these; candor
checks them at run time (each is ``runtime_checkable``) and mypy checks them
statically. They speak only of the domain (:mod:`candor.model`) and the
vocabulary (:mod:`candor.vocabulary`), so any layer may name them.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from candor.model import ActionItem, ActionStatus, Closure, Incident, Organization, Promise
from candor.vocabulary import (
    Capabilities,
    Channel,
    DeliveryContext,
    Imported,
    Message,
    OutboxItem,
    OutboxTransition,
    Receipt,
    Recipient,
    RecipientOutcome,
    Subscriber,
)

if TYPE_CHECKING:
    import httpx  # only named in a signature; importing it here would make this module heavy

__all__ = [
    "Adapter",
    "AdapterInit",
    "Addressees",
    "Clock",
    "Confirming",
    "Editing",
    "Fanning",
    "Importing",
    "Interceptor",
    "Probing",
    "RecipientLedger",
    "Reconciling",
    "Refreshing",
    "Republishing",
    "Store",
    "SubscriberStore",
]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""


# -- adapters --------------------------------------------------------------------------


@runtime_checkable
class Adapter(Protocol):
    """**Protocol:** posts one rendered message to one service.

    Implementations are constructed with ``(channel, *, client, base_dir)``: the
    :class:`Channel` with its settings, a shared ``httpx.AsyncClient`` (never
    create one per call), and the folder relative paths are resolved against.
    ``post`` raises :class:`candor.errors.DeliveryError` when the service refuses
    or fails, with ``retryable`` saying whether trying again could help.
    """

    capabilities: Capabilities

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Post ``message`` and say what the service did with it."""
        ...

    async def aclose(self) -> None:
        """Release what the adapter holds (not the shared client)."""
        ...


@runtime_checkable
class Editing(Protocol):
    """**Protocol:** an adapter that can change a message it posted before.

    When an update corrects an earlier one (``context.update.corrects`` names it)
    and the channel holds a receipt for that update (``context.corrected``),
    delivery calls ``edit`` instead of ``post`` on adapters whose capabilities say
    ``editing``. ``message`` is the corrected text in full, rendered to say
    "Corrected:"; the edit replaces the earlier post's text on the service and
    returns the receipt of the edited post. Channels that cannot edit are given the
    correction as a follow-up ``post``.
    """

    async def edit(self, message: Message, context: DeliveryContext) -> Receipt:
        """Replace the text of the post ``context.corrected`` with ``message``."""
        ...


@runtime_checkable
class Reconciling(Protocol):
    """**Protocol:** an adapter that can ask its service whether a post already happened.

    Delivery calls ``reconcile`` before posting again a message whose earlier
    attempt may have reached the service (a crash, a read timeout, a 5xx):
    a receipt means the service has it and nothing is posted; None means it
    does not, and the message is posted. Adapters whose service deduplicates
    by idempotency key need not implement it.
    """

    async def reconcile(self, message: Message, context: DeliveryContext) -> Receipt | None:
        """The receipt of the earlier post of ``message``, or None if the service has none."""
        ...


@runtime_checkable
class Refreshing(Protocol):
    """**Protocol:** an adapter that shows facts which change without a new update.

    A write-up's action items change status long after the write-up was posted;
    the communicator calls ``refresh`` with the incident as it now stands, so a
    status page can show it. Chat rooms and social accounts do not implement it.
    """

    async def refresh(self, incident: Incident, organization: Organization) -> None:
        """Show ``incident`` as it now stands, without posting anything new."""
        ...


@runtime_checkable
class Republishing(Protocol):
    """**Protocol:** an adapter whose published page says things that age (a promise now late).

    The promise keeper calls ``republish`` on every run (``candor watch``), with the
    time; the adapter writes its page again when a promise it shows has passed
    since it last wrote it, so that a missed promise shows even if nobody posts and
    the page is read with JavaScript off or from a cache. It returns whether it
    wrote anything.
    """

    async def republish(self, now: datetime, organization: Organization) -> bool:
        """Write the page again if a promise it shows has passed since it was written."""
        ...


@runtime_checkable
class RecipientLedger(Protocol):
    """**Protocol:** the recipients one outbox row still owes, handed out one at a time.

    Delivery gives one to a :class:`Fanning` adapter for each attempt of a row.
    ``next`` records what happened to the recipient the caller had (``settled``,
    None the first time) and hands it the next one still owed, marked in flight,
    or None when none is left; calls made at the same moment by several
    connections share one store transaction. A recipient who unsubscribed is never
    handed out, and one settled in this attempt is not handed out again in it.
    """

    async def next(self, settled: RecipientOutcome | None = None) -> str | None:
        """Record ``settled``, then the next address owed (None: this attempt is done)."""
        ...

    async def recipients(self) -> builtins.list[Recipient]:
        """Every recipient of the row and where each stands, in the order they were decided."""
        ...


@runtime_checkable
class Addressees(Protocol):
    """**Protocol:** who a channel that tells people one by one tells.

    ``fixed_recipients`` always; and, when ``include_subscribers``, the confirmed
    subscribers :func:`candor.compose.recipients` picks. A :class:`Fanning` adapter
    is one. So is what its class's ``addressees(channel)`` returns for a channel
    that cannot be built yet (a secret it names is not set): its recipients are
    decided at commit all the same, so that the update reaches them once the
    secret is set, instead of nobody.
    """

    @property
    def fixed_recipients(self) -> tuple[str, ...]:
        """The addresses told of every incident."""
        ...

    @property
    def include_subscribers(self) -> bool:
        """Whether the confirmed subscribers whose filter matches are told too."""
        ...


@runtime_checkable
class Fanning(Protocol):
    """**Protocol:** an adapter that tells each of many people separately (email).

    Its outbox row carries the recipients decided when the update was committed:
    ``fixed_recipients``, and, when ``include_subscribers``, every confirmed
    subscriber whose filter matches the incident and everyone this channel told of
    the incident before. Delivery then calls ``post_each`` instead of ``post``, with
    the row's :class:`RecipientLedger`; it returns the receipt once no recipient is
    owed, and raises :class:`~candor.errors.DeliveryError` (retryable when some
    recipients were deferred) otherwise.
    """

    fixed_recipients: tuple[str, ...]
    include_subscribers: bool

    async def post_each(
        self, message: Message, context: DeliveryContext, ledger: RecipientLedger
    ) -> Receipt:
        """Send ``message`` to every recipient ``ledger`` hands out, recording each."""
        ...


@runtime_checkable
class Confirming(Protocol):
    """**Protocol:** an adapter that runs subscribers' double opt-in, and signs their links.

    ``token`` signs (purpose, address) with the channel's secret, for a link in a
    mail; ``read_token`` gives them back, or raises InputError for a token this
    channel did not sign (or one expired); ``send_confirmation`` mails a new
    subscriber the link that confirms them.
    """

    def token(self, purpose: Literal["confirm", "unsubscribe"], address: str) -> str:
        """A signed token saying ``purpose`` for ``address``."""
        ...

    def read_token(self, token: str) -> tuple[str, str]:
        """``(purpose, address)`` of a token this channel signed; InputError otherwise."""
        ...

    async def send_confirmation(self, subscriber: Subscriber, organization: Organization) -> None:
        """Mail ``subscriber`` the signed link that confirms the subscription."""
        ...


class AdapterInit(Protocol):
    """**Protocol:** the constructor every registered adapter class has."""

    def __call__(
        self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path
    ) -> Adapter: ...


@runtime_checkable
class Importing(Protocol):
    """**Protocol:** an adapter that can list the incidents still open on its service."""

    async def existing(self) -> list[Imported]:
        """The service's unresolved incidents, oldest first."""
        ...


@runtime_checkable
class Probing(Protocol):
    """**Protocol:** an adapter with a harmless read, for ``candor doctor``.

    ``probe`` changes nothing anywhere (a ``GET`` the service documents, or a
    look at a local folder) and returns one line saying what it found; it
    raises :class:`candor.errors.DeliveryError` (or another ``CandorError``)
    saying what is wrong. ``probe_is_local`` is True for one that makes no
    network request (``candor doctor --offline`` still runs it).
    """

    probe_is_local: bool

    async def probe(self) -> str:
        """Read something harmless from the service; one line saying what was found."""
        ...


# -- stores ----------------------------------------------------------------------------


@runtime_checkable
class Store(Protocol):
    """**Protocol:** durable storage for incidents, timeline, promises and outbox.

    ``save`` takes the incident as it is after its newest update (which is the
    last of ``incident.updates``). When ``expected_version`` is None the incident
    must be new; otherwise the stored version must equal it, or ConflictError is
    raised and nothing is written. In the same transaction the store appends the
    update to the timeline (append-only), keeps every open next-update promise
    of the incident (kept by this update), records the promises this update makes
    (:func:`candor.store.promises_made_by`), and inserts ``outbox``. A correction
    (kind ``correction``) keeps and makes no promise: it is appended, with its outbox.
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


@runtime_checkable
class SubscriberStore(Protocol):
    """**Protocol:** a store that also keeps subscribers and the per-recipient ledger.

    A separate protocol from :class:`Store`, so that a store without it still
    works for every channel but the ones that tell people one by one. ``save``
    of such a store records each outbox row's ``recipients`` as ledger rows in
    the same transaction.

    Addresses compare without regard to the case of their domain (they are kept
    as :func:`~candor.vocabulary.email_address` gives them).
    """

    def add_subscriber(self, subscriber: Subscriber) -> Subscriber:
        """Record ``subscriber``, or change the filters of the one with that address.

        An address already confirmed stays confirmed; returns the subscriber as stored.
        """
        ...

    def confirm_subscriber(self, address: str, *, at: datetime) -> Subscriber:
        """Mark the address confirmed (a later call keeps the first time); InputError if absent."""
        ...

    def remove_subscriber(self, address: str) -> bool:
        """Forget the address, and withdraw it, in the same transaction, from every row still owed.

        True when there was such a subscriber. A message already handed to a
        connection may still arrive; nothing queued after that does.
        """
        ...

    def subscribers(self, *, confirmed_only: bool = False) -> builtins.list[Subscriber]:
        """Every subscriber, in the order they subscribed."""
        ...

    def told(self, incident_id: str, channel: str) -> builtins.list[str]:
        """The subscribers this channel was to tell of the incident for any earlier update."""
        ...

    def recipients(self, item_id: int) -> builtins.list[Recipient]:
        """The ledger of one outbox row, in the order its recipients were decided."""
        ...

    def advance_recipients(
        self,
        item_id: int,
        *,
        token: str,
        settled: Sequence[RecipientOutcome],
        take: int,
    ) -> builtins.list[str]:
        """Record ``settled``, then hand out up to ``take`` recipients owed, in one transaction.

        Handed out means ``in_flight`` under ``token``. A recipient is owed when it
        is ``pending``, or ``retry`` or ``in_flight`` under another token (an earlier
        attempt, or a process that died: its message may have gone, and goes again).
        A withdrawn or settled recipient is never handed out.
        """
        ...


# -- test seams ------------------------------------------------------------------------


@runtime_checkable
class Interceptor(Protocol):
    """**Protocol:** what :func:`candor.testing.capture` installs for communicators to ask.

    It is held in ``candor._state.interceptor``, a context variable.
    """

    def clock(self, clock: Clock | None) -> Clock | None:
        """The clock a communicator uses instead of ``clock`` (the one it was given)."""
        ...

    def channels(self, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        """The channels a communicator has instead of ``channels`` (the configured ones)."""
        ...

    def adapter(self, channel: Channel, adapter: Adapter) -> Adapter:
        """The adapter a communicator uses for ``channel`` instead of the one it built."""
        ...

    def store(self) -> Store | str | Path:
        """The store a communicator uses when it was given none (not the configured one)."""
        ...
