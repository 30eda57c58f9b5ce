"""What an adapter is: the protocol, its capabilities, and what it is given and returns.

An adapter turns one rendered :class:`~candor.render.Message` into a post on one
service. A *channel* is a configured adapter: a name, the adapter, its settings
and its audience. Adapters are found through the entry-point group
``candor.adapters``; candor's own are registered there the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from candor.adapters.masking import mask_settings, reveal
from candor.errors import ConfigError
from candor.model import Incident, Organization, Update

if TYPE_CHECKING:
    import httpx

    from candor.render import Message

__all__ = [
    "Adapter",
    "Audience",
    "Capabilities",
    "Channel",
    "DeliveryContext",
    "Form",
    "LengthUnit",
    "Markup",
    "Receipt",
    "Reconciling",
    "Refreshing",
    "http_url",
    "parse_settings",
    "required_secret",
]


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


class Receipt(BaseModel):
    """What a service said it did with a message: its id, a link, the thread it joined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    remote_id: str | None = None
    url: str | None = None
    thread_root: str | None = None


class DeliveryContext(BaseModel):
    """Everything an adapter may need beyond the message itself.

    ``incident`` carries the whole timeline, ``update`` the facts this message was
    rendered from, ``previous`` the receipts of this incident's earlier updates on
    this channel (the first is the thread root), and ``idempotency_key`` is stable
    across retries and restarts for this (incident, update, channel): send it
    the way the service honours it (a header, a transaction id, a record key).
    ``attempt`` counts the tries of this row, 1 for the first, across restarts.
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


class Channel(BaseModel):
    """A configured adapter: a name, the adapter (a registered name or an instance), settings.

    Secret settings are held masked (see :mod:`candor.adapters.masking`): a key
    that names a credential, or a value already given as ``SecretStr``, prints
    as ``**********`` in ``repr``, ``str`` and every dump of the channel.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    adapter: Any
    audience: Audience = Audience.PUBLIC
    settings: Mapping[str, Any] = Field(default_factory=dict)

    @pydantic.field_validator("settings")
    @classmethod
    def _mask_secrets(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        return mask_settings(value)


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


SettingsT = TypeVar("SettingsT", bound=BaseModel)

_HTTP_URL = re.compile(r"^https?://[^/\s]+")


def http_url(value: str) -> str:
    """A settings validator: an ``http://`` or ``https://`` address, without a trailing slash."""
    if not _HTTP_URL.match(value):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def required_secret(value: SecretStr) -> SecretStr:
    """A settings validator: a credential that is not empty or blank."""
    if not value.get_secret_value().strip():
        raise ValueError("must not be empty")
    return value


def parse_settings(model: type[SettingsT], channel: Channel) -> SettingsT:
    """``channel.settings`` validated by ``model``; a ConfigError names the channel and key.

    Masked settings are handed to ``model`` unmasked: declare a credential
    ``SecretStr`` there, so that it stays masked in the adapter too.
    """
    try:
        return model.model_validate(reveal(dict(channel.settings)))
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or None
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown setting"
        elif first["type"] == "missing":
            reason = "required setting is missing"
        raise ConfigError(reason, channel=channel.name, key=key) from None


class AdapterInit(Protocol):
    """**Protocol:** the constructor every registered adapter class has."""

    def __call__(
        self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path
    ) -> Adapter: ...
