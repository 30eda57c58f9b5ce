"""``memory``: an adapter that keeps every message in the process, for tests.

Needs no credentials and sends nothing anywhere. It records each message with
its channel, rendered text, idempotency key and the thread it would join, and
answers with receipts whose ids are stable (``<channel>/<n>``), so a test can
assert on them. Its capabilities are whatever the test says, so it can stand in
for a 500-character social channel as well as for a long-form status page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from candor.adapters.base import parse_settings
from candor.errors import DeliveryError
from candor.model import Status
from candor.testing._length import count
from candor.typing import Adapter
from candor.vocabulary import (
    Capabilities,
    Channel,
    DeliveryContext,
    Form,
    Markup,
    Receipt,
)

if TYPE_CHECKING:
    import httpx

    from candor.vocabulary import Message

__all__ = ["SERVICE_CAPABILITIES", "MemoryAdapter", "Outbox", "PostedMessage"]


class _ServiceCapabilities(Mapping[str, Capabilities]):
    """What each service can take, read from the adapters themselves on first use.

    Each of candor's own adapters declares its capabilities once, as its class's
    ``capabilities``; this mapping holds those, so it cannot drift from them.
    Services candor has no adapter for yet are listed in :data:`_PLANNED`, until
    their adapter lands and declares its own.
    """

    def __init__(self) -> None:
        self._table: dict[str, Capabilities] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Capabilities]:
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    self._table = _read_adapters()
                table = self._table
        return table

    def __getitem__(self, name: str) -> Capabilities:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        return f"SERVICE_CAPABILITIES({self._load()!r})"


def _read_adapters() -> dict[str, Capabilities]:
    # The registry and the adapter modules load here, on first use, so that
    # importing candor.testing stays as light as importing candor.
    from candor.adapters import registry

    table = dict(_PLANNED)
    for name in registry.built_in():
        declared = getattr(registry.load(name), "capabilities", None)
        if not isinstance(declared, Capabilities):
            raise TypeError(f"adapter {name!r} declares no capabilities")
        table[name] = declared
    return table


# Services candor has no adapter for yet; each entry moves to its adapter's class
# when the adapter lands (the test of agreement then covers it).
_PLANNED: Mapping[str, Capabilities] = {
    "slack": Capabilities(
        form=Form.SHORT, max_length=40000, markup=Markup.MARKDOWN, threading=True, editing=True
    ),
    "discord": Capabilities(form=Form.SHORT, max_length=2000, markup=Markup.MARKDOWN, editing=True),
    "teams": Capabilities(form=Form.LONG),
    "matrix": Capabilities(form=Form.LONG, threading=True, editing=True, idempotency=True),
    "email": Capabilities(form=Form.LONG, threading=True),
}

#: What each service can take, for channels a test names without configuring them:
#: candor's own adapters' declared capabilities (read lazily), and the planned services'.
SERVICE_CAPABILITIES: Mapping[str, Capabilities] = _ServiceCapabilities()
_ALIASES = {"status": "static_site", "twitter": "x", "mail": "email"}
_DEFAULT = Capabilities(form=Form.LONG, threading=True, idempotency=True)


def capabilities_for(name: str) -> Capabilities:
    """The capabilities of the service ``name`` suggests (``mastodon``, ``x``...), or long form."""
    key = name.lower()
    for candidate in (key, _ALIASES.get(key, key), key.split("-")[0], key.split("_")[0]):
        if candidate in SERVICE_CAPABILITIES:
            return SERVICE_CAPABILITIES[candidate]
    return _DEFAULT


@dataclass(frozen=True)
class PostedMessage:
    """One message a memory adapter took: what was said, where, and in which thread."""

    channel: str
    text: str
    message: Message
    idempotency_key: str
    remote_id: str
    thread: str | None
    """The remote id of the thread root this message joins, or None for a first post."""
    in_reply_to: str | None
    """The remote id of the post this one follows, or None for a first post."""
    posted_at: datetime
    length: int
    """The text's length as the channel counts it (characters, graphemes or weighted)."""
    context: DeliveryContext = field(repr=False, compare=False)
    """What delivery told the adapter: the update, the idempotency key, earlier receipts..."""

    @property
    def incident_id(self) -> str:
        return self.message.incident_id

    @property
    def update_id(self) -> str:
        return self.message.update_id

    @property
    def seq(self) -> int:
        return self.message.seq

    @property
    def status(self) -> Status:
        return self.message.status

    @property
    def next_update_by(self) -> datetime | None:
        return self.message.next_update_by


class Outbox:
    """Every message the memory adapters of one capture took, in the order they took them."""

    def __init__(self) -> None:
        self.store: object = None
        """Under a capture: the store every communicator given none uses (a temporary one)."""
        self._lock = threading.Lock()
        self._messages: list[PostedMessage] = []
        self._capabilities: dict[str, Capabilities] = {}
        self._counters: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"<Outbox {len(self._messages)} messages on {self.channels}>"

    def __len__(self) -> int:
        return len(self._messages)

    def __iter__(self) -> Iterator[PostedMessage]:
        return iter(list(self._messages))

    @property
    def channels(self) -> list[str]:
        """Every channel routed here, in the order they were set up, posted to or not."""
        return list(self._capabilities)

    def capabilities(self, channel: str) -> Capabilities:
        """What ``channel`` was set up to take."""
        try:
            return self._capabilities[channel]
        except KeyError:
            raise KeyError(f"no channel {channel!r}; channels: {self.channels}") from None

    def messages(self, channel: str | None = None) -> list[PostedMessage]:
        """The messages ``channel`` took (every channel's with None), oldest first."""
        if channel is not None and channel not in self._capabilities:
            raise KeyError(f"no channel {channel!r}; channels: {self.channels}")
        return [m for m in self._messages if channel is None or m.channel == channel]

    def texts(self, channel: str) -> list[str]:
        """The texts ``channel`` took, oldest first."""
        return [m.text for m in self.messages(channel)]

    def for_incident(self, incident_id: str) -> Outbox:
        """A copy holding only the messages about ``incident_id``."""
        view = Outbox()
        view._capabilities = dict(self._capabilities)
        view._messages = [m for m in self._messages if m.incident_id == incident_id]
        return view

    def clear(self) -> None:
        """Forget every message taken so far (the channels stay)."""
        with self._lock:
            self._messages.clear()

    # -- used by MemoryAdapter ----------------------------------------------------------

    def _register(self, channel: str, capabilities: Capabilities) -> None:
        with self._lock:
            self._capabilities.setdefault(channel, capabilities)

    def _next_id(self, channel: str) -> str:
        with self._lock:
            self._counters[channel] = self._counters.get(channel, 0) + 1
            return f"{channel}/{self._counters[channel]}"

    def _record(self, posted: PostedMessage) -> None:
        with self._lock:
            self._messages.append(posted)


class MemorySettings(Capabilities):
    """The ``memory`` adapter's settings: the capabilities it claims (all optional)."""


class MemoryAdapter:
    """Records every message in an :class:`Outbox`; never sends anything.

    Registered as ``memory``, so ``adapter = "memory"`` works in ``candor.toml``
    with the :class:`~candor.Capabilities` fields as settings (``form``,
    ``max_length``, ``length_unit``...). In code: ``MemoryAdapter("social",
    capabilities=Capabilities(form="short", max_length=500))``.

    Like a real service it refuses (``DeliveryError``, not retryable) a message
    longer than ``max_length`` as ``length_unit`` counts it, and with
    ``idempotency`` it takes a message whose idempotency key it has seen as the
    same post (one record, the first receipt). :meth:`fail_next` makes it fail
    on demand.
    """

    def __init__(
        self,
        channel: Channel | str = "memory",
        *,
        client: httpx.AsyncClient | None = None,
        base_dir: Path | None = None,
        capabilities: Capabilities | None = None,
        outbox: Outbox | None = None,
        replaces: Adapter | None = None,
    ) -> None:
        if isinstance(channel, Channel):
            self.name = channel.name
            if capabilities is None:
                settings = parse_settings(MemorySettings, channel)
                chosen = settings.model_dump(exclude_unset=True)
                capabilities = Capabilities(**{**_DEFAULT.model_dump(), **chosen})
        else:
            self.name = channel
        self.capabilities = capabilities if capabilities is not None else _DEFAULT
        self.outbox = outbox if outbox is not None else Outbox()
        self.outbox._register(self.name, self.capabilities)
        self.replaces = replaces
        self._seen: dict[str, Receipt] = {}
        self._failures: list[Exception] = []
        self.closed = False

    def __repr__(self) -> str:
        return f"<MemoryAdapter {self.name!r} {len(self.posted)} posted>"

    @property
    def posted(self) -> list[PostedMessage]:
        """What this adapter took, oldest first."""
        return self.outbox.messages(self.name)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.posted]

    def fail_next(
        self,
        times: int = 1,
        *,
        status_code: int | None = 503,
        reason: str | None = None,
        error: Exception | None = None,
    ) -> None:
        """Fail the next ``times`` posts as a service would answer ``status_code``.

        ``status_code=None`` is a timeout. 5xx, 429 and timeouts are retryable;
        other 4xx are not, as candor's adapters classify them. ``error`` is raised
        instead, as it is: a ``DeliveryError`` of your own, or any exception to play
        an adapter with a bug.
        """
        if error is not None:
            self._failures.extend([error] * times)
            return
        retryable = status_code is None or status_code >= 500 or status_code in (408, 429)
        said = reason or ("timed out" if status_code is None else f"HTTP {status_code}")
        for _ in range(times):
            self._failures.append(
                DeliveryError(self.name, said, status_code=status_code, retryable=retryable)
            )

    async def post(self, message: Message, context: DeliveryContext) -> Receipt:
        """Record ``message`` and answer as the service would, without sending anything."""
        if self._failures:
            raise self._failures.pop(0)
        capabilities = self.capabilities
        if capabilities.idempotency and context.idempotency_key in self._seen:
            return self._seen[context.idempotency_key]
        length = count(message.text, capabilities.length_unit)
        if capabilities.max_length is not None and length > capabilities.max_length:
            raise DeliveryError(
                self.name,
                f"refused: {length} {capabilities.length_unit.value} is over the limit "
                f"of {capabilities.max_length}",
                status_code=422,
                retryable=False,
            )
        root = _thread_root(context.previous) if capabilities.threading else None
        parent = None
        if capabilities.threading and context.previous:
            parent = context.previous[-1].remote_id
        remote_id = self.outbox._next_id(self.name)
        self.outbox._record(
            PostedMessage(
                channel=self.name,
                text=message.text,
                message=message,
                idempotency_key=context.idempotency_key,
                remote_id=remote_id,
                thread=root,
                in_reply_to=parent,
                posted_at=context.now,
                length=length,
                context=context,
            )
        )
        receipt = Receipt(
            channel=self.name,
            remote_id=remote_id,
            url=f"memory://{remote_id}",
            thread_root=root or remote_id,
        )
        self._seen[context.idempotency_key] = receipt
        return receipt

    async def aclose(self) -> None:
        """Close the adapter this one stands in for, if any."""
        self.closed = True
        if self.replaces is not None:
            await self.replaces.aclose()


def _thread_root(previous: tuple[Receipt, ...]) -> str | None:
    if not previous:
        return None
    first = previous[0]
    return first.thread_root or first.remote_id
