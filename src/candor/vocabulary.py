"""The vocabulary every layer passes around: messages, findings, receipts, outbox rows.

These are plain frozen pydantic models and enums. They sit just above the
domain (:mod:`candor.model`, whose statuses and incidents they mention) and
below everything that renders, checks, stores or delivers, so that a lower
module never has to import a higher one to name what it is handed. Every
``Protocol`` that speaks of them lives one step up, in :mod:`candor.typing`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from candor._state import masked
from candor.errors import InputError
from candor.masking import mask_settings
from candor.model import (
    ITEM_LIMITS,
    DeliveryState,
    Effect,
    Impact,
    Incident,
    Organization,
    Scope,
    Status,
    Update,
    clean_text,
    names,
)

__all__ = [
    "Audience",
    "Capabilities",
    "Channel",
    "DeliveryContext",
    "DeliverySettings",
    "Finding",
    "Form",
    "Imported",
    "LengthUnit",
    "Markup",
    "Message",
    "OutboxFailure",
    "OutboxItem",
    "OutboxSent",
    "OutboxTransition",
    "Receipt",
    "Recipient",
    "RecipientOutcome",
    "RecipientState",
    "Severity",
    "Subscriber",
    "TemplateLimits",
    "email_address",
    "idempotency_key",
]


# -- what a service can do -------------------------------------------------------------


class Form(StrEnum):
    """Which template form a channel takes: long (status page, email), chat, or short (social)."""

    LONG = "long"
    CHAT = "chat"
    SHORT = "short"


class LengthUnit(StrEnum):
    """How a service counts a message's length."""

    CHARACTERS = "characters"
    GRAPHEMES = "graphemes"
    WEIGHTED = "weighted"


class Markup(StrEnum):
    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"


class Audience(StrEnum):
    """Who reads a channel: customers (public) or the team (internal)."""

    PUBLIC = "public"
    INTERNAL = "internal"


class Capabilities(BaseModel):
    """What a service can do, so that candor renders and delivers to fit it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    form: Form = Form.LONG
    max_length: int | None = None
    length_unit: LengthUnit = LengthUnit.CHARACTERS
    markup: Markup = Markup.TEXT
    threading: bool = False
    editing: bool = False
    idempotency: bool = False
    """True when the service deduplicates a repeated post by its idempotency key."""
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second the service allows this channel (None: no limit known)."""
    burst: int = Field(default=1, ge=1)
    """How many requests may go at once before ``rate_limit`` paces them."""
    guarantee: str = "at least once"
    """What one update becomes on the service, in words for docs/adapters.md."""


class TemplateLimits(BaseModel):
    """How far one rendering of one template may go before candor refuses it.

    A template that runs past either limit (a loop that never ends, text that grows
    without bound) raises :class:`~candor.errors.TemplateError`, so nothing is stored
    or sent. The defaults leave room many times over for any message a person reads.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout: float = Field(default=2.0, gt=0, le=3600)
    """Seconds one rendering may take, counted as its loops and calls run."""
    max_output: int = Field(default=1_000_000, ge=1_000)
    """Characters one rendering may produce; no string or list a template builds may be longer."""


class Channel(BaseModel):
    """A configured adapter: a name, the adapter (a registered name or an instance), settings.

    Secret settings are held masked (see :mod:`candor.masking`): a key that names
    a credential, or a value already given as ``SecretStr``, prints as
    ``**********`` in ``repr``, ``str`` and every dump of the channel.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    adapter: Any
    audience: Audience = Audience.PUBLIC
    settings: Mapping[str, Any] = Field(default_factory=dict)
    unset: tuple[str, ...] = ()
    """Environment variables the settings name that were not set when they were loaded.

    A channel with any is *unconfigured*: no adapter is built for it, its
    messages are composed and recorded as owed, and nothing is sent to it until
    the variables are set and ``candor deliver`` runs. Commands that do not
    deliver never need them.
    """

    @property
    def unconfigured(self) -> str | None:
        """Why this channel cannot deliver now, in words; None when it can."""
        if not self.unset:
            return None
        names = ", ".join(self.unset)
        verb = "is" if len(self.unset) == 1 else "are"
        noun = "variable" if len(self.unset) == 1 else "variables"
        return f"environment {noun} {names} {verb} not set"

    @field_validator("settings")
    @classmethod
    def _mask_secrets(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        return mask_settings(value)


# -- what a check says about a message ---------------------------------------------------


class Severity(StrEnum):
    """How much a finding weighs: an error blocks delivery, a warning is shown and never blocks."""

    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """One thing a message says that it should not, or fails to say.

    ``excerpt`` is the words that triggered it (``text[start:end]``), ``message``
    says what they do to the reader, ``why`` why that counts, and ``suggestion``
    what to write instead.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    severity: Severity
    start: int
    end: int
    excerpt: str
    message: str
    suggestion: str
    why: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def position(self, text: str) -> tuple[int, int]:
        """1-based (line, column) of the finding's start in ``text``."""
        line = text.count("\n", 0, self.start) + 1
        column = self.start - (text.rfind("\n", 0, self.start) + 1) + 1
        return line, column


# -- what is posted, and what the service said -----------------------------------------


class Message(BaseModel):
    """One rendered update for one channel: exactly what will be posted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    form: Form
    title: str
    text: str
    incident_id: str
    update_id: str
    seq: int
    status: Status
    next_update_by: datetime | None = None
    url: str | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)


class Receipt(BaseModel):
    """What a service said it did with a message: its id, a link, the thread it joined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    remote_id: str | None = None
    url: str | None = None
    thread_root: str | None = None

    @field_validator("remote_id", "url", "thread_root")
    @classmethod
    def _no_secret(cls, value: str | None) -> str | None:
        # What a service answered: one that echoes the request (a webhook URL as its
        # "url") must not put a registered secret into the store.
        return masked(value) if value else value


class DeliveryContext(BaseModel):
    """Everything an adapter may need beyond the message itself.

    ``incident`` carries the whole timeline, ``update`` the facts this message was
    rendered from, ``previous`` the receipts of this incident's earlier updates on
    this channel (the first is the thread root), and ``idempotency_key`` is stable
    across retries and restarts for this (incident, update, channel): send it
    the way the service honours it (a header, a transaction id, a record key).
    ``attempt`` counts the tries of this row, 1 for the first, across restarts.
    ``corrected`` is, when this update corrects an earlier one, the receipt of that
    earlier update on this channel (what an :class:`~candor.typing.Editing` adapter
    edits).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    incident: Incident
    update: Update
    idempotency_key: str
    organization: Organization
    now: datetime
    previous: tuple[Receipt, ...] = ()
    attempt: int = Field(default=1, ge=1)
    corrected: Receipt | None = None


# -- people told one by one: subscribers and the recipient ledger --------------------

_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def email_address(value: object, field: str = "address") -> str:
    """``value`` as a mail address candor sends to, its domain lower-cased; InputError if not one.

    An ASCII ``local@domain.tld`` of at most 254 characters (RFC 5321's limit), the
    form every SMTP server takes without the SMTPUTF8 extension; a display name,
    spaces or several addresses are refused, so no header can be forged through one.
    """
    if not isinstance(value, str) or len(value) > 254 or not _ADDRESS.fullmatch(value.strip()):
        raise InputError(field, value, "must be one mail address, such as ana@example.org")
    local, domain = value.strip().rsplit("@", 1)
    if len(local) > 64:
        raise InputError(field, value, "the part before @ may have at most 64 characters")
    return f"{local}@{domain.lower()}"


class Subscriber(BaseModel):
    """Someone who asked to be told: an address, what they care about, when and how they asked.

    ``components`` and ``regions`` filter the incidents they hear of: an incident
    matches when its scope names one of the components (or the filter is empty) and
    one of the regions (or the filter is empty, or the incident names no region, which
    means everywhere). Only a confirmed subscriber (``confirmed_at`` set, by the
    double opt-in) is sent updates.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    components: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    subscribed_at: AwareDatetime
    source: str = Field(default="api", min_length=1, max_length=40)
    """How they subscribed: ``api``, ``cli``, ``import``, or what the caller names."""
    confirmed_at: AwareDatetime | None = None

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: Any) -> Any:
        return email_address(value)

    @field_validator("components", "regions", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        value = names(value)
        if isinstance(value, tuple):
            return tuple(dict.fromkeys(clean_text(name, "scope.components") for name in value))
        return value

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def matches(self, scope: Scope) -> bool:
        """Whether an incident of ``scope`` is one this subscriber asked to hear of."""
        if self.components:
            wanted = {name.casefold() for name in self.components}
            if not wanted & {name.casefold() for name in scope.components}:
                return False
        if self.regions and scope.regions:
            wanted = {name.casefold() for name in self.regions}
            if not wanted & {name.casefold() for name in scope.regions}:
                return False
        return True


class RecipientState(StrEnum):
    """Where one recipient of one update stands in the ledger.

    ``pending`` -> ``in_flight`` (handed to one SMTP connection) -> ``sent`` (the
    server accepted it), ``retry`` (deferred: a 4xx, a dropped connection) or
    ``failed`` (refused for good: a 5xx). ``withdrawn``: they unsubscribed before
    it went.
    """

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class Recipient(BaseModel):
    """One person one update goes to, and where it stands: a row of the recipient ledger."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    subscriber: bool = False
    """There because they subscribed (an unsubscribe withdraws it), not a fixed recipient."""
    state: RecipientState = RecipientState.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None


class RecipientOutcome(BaseModel):
    """What happened to one recipient's message: sent, deferred (``final`` False) or refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str
    sent: bool
    at: datetime
    error: str | None = None
    final: bool = False


# -- the outbox ------------------------------------------------------------------------


_NAMESPACE = uuid.UUID("6f1c1c9e-64a4-4b55-9d8e-6b1d2f3c0a11")


def idempotency_key(incident_id: str, update_id: str, channel: str) -> str:
    """A key for (incident, update, channel), the same on every retry and after a restart."""
    return str(uuid.uuid5(_NAMESPACE, f"{incident_id}\x1f{update_id}\x1f{channel}"))


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
    recipients: tuple[Recipient, ...] = ()
    """For a channel that tells people one by one (email): who this update goes to.

    Decided when the update is committed; a store that keeps a recipient ledger
    (:class:`~candor.typing.SubscriberStore`) records one ledger row per recipient in
    the same transaction as the outbox row, so a later change of the subscriber list
    never changes who was promised this update. Not read back with the row.
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
"""One claimed row's outcome, as :meth:`~candor.typing.Store.record_many` records it."""


class DeliverySettings(BaseModel):
    """How hard and how long delivery tries; every duration is in seconds.

    ``[delivery]`` in ``candor.toml`` sets them (:mod:`candor.config`), and
    :class:`~candor.delivery.Courier` follows them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=4, ge=1)
    """Tries of one row in one delivery pass, the first included."""
    backoff: float = Field(default=0.25, gt=0, allow_inf_nan=False)
    """The first wait between tries; it doubles (with full jitter) up to ``backoff_max``."""
    backoff_max: float = Field(default=8.0, gt=0, allow_inf_nan=False)
    deadline: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    """How long one row's tries may take in one pass, waits included."""
    max_wait: float = Field(default=30.0, ge=0, allow_inf_nan=False)
    """The longest ``Retry-After`` waited for in process; a longer one goes back to the outbox."""
    max_retry_after: float = Field(default=3600.0, gt=0, le=30 * 86400, allow_inf_nan=False)
    """The longest wait a service's answer may impose on a row (at most 30 days).

    A longer one (``Retry-After: 1e400``, a date in the year 9999) is not believed:
    the row goes back to the outbox due this long from now, and its error says so.
    """
    retry_later: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    """When a row goes back to the outbox, the first delay before its next pass; it doubles."""
    retry_later_max: float = Field(default=900.0, gt=0, le=30 * 86400, allow_inf_nan=False)
    lease: float = Field(default=120.0, gt=0, le=30 * 86400, allow_inf_nan=False)
    """How long a claim holds; after it another process may take the row over."""

    @model_validator(mode="after")
    def _lease_outlives_the_tries(self) -> DeliverySettings:
        if self.lease <= self.deadline:
            raise ValueError("lease must be longer than deadline, or a live claim could be taken")
        return self


# -- what a service already has --------------------------------------------------------


class Imported(BaseModel):
    """One incident as a service holds it, in candor's terms."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    remote_id: str = Field(min_length=1)
    """The service's id of the incident: the thread root of every later update."""
    remote_update_id: str | None = None
    """The service's id of its newest update (the receipt's remote id)."""
    url: str | None = None
    title: str = Field(min_length=1, max_length=255)
    status: Status
    impact: Impact
    components: tuple[str, ...] = Field(min_length=1)
    effect: Effect = Effect.OUTAGE
    message: str = Field(min_length=1)
    """What the service says now: its newest update's text."""
    started_at: AwareDatetime
    candor_incident_id: str | None = None
    """candor's id, when candor created the incident (found in the service's metadata)."""

    @field_validator("title", "message", mode="before")
    @classmethod
    def _clean(cls, value: Any, info: ValidationInfo) -> Any:
        # The service's text is not the operator's to fix: it is made acceptable
        # (control characters and lone surrogates replaced, cut to the limit), not refused.
        if isinstance(value, str):
            return clean_text(value, info.field_name or "message", fallback="Incident")
        return value

    @field_validator("components", mode="before")
    @classmethod
    def _clean_names(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            names = [clean_text(v, "scope.components") if isinstance(v, str) else v for v in value]
            return tuple(dict.fromkeys(names))[: ITEM_LIMITS["scope.components"]]
        return value
