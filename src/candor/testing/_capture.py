"""``capture()``: keep every message of every communicator in the process, and hand them over."""

from __future__ import annotations

import functools
import inspect
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextvars import Token
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from candor import _state
from candor.testing.memory import MemoryAdapter, Outbox, capabilities_for
from candor.typing import Adapter, Store
from candor.vocabulary import Capabilities, Channel

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType

__all__ = ["Capture", "capture", "current_outbox"]

F = TypeVar("F", bound=Callable[..., Any])
ChannelChoice = Iterable[str] | Mapping[str, Capabilities | str]


class _Router:
    """The interceptor a capture installs in ``candor._state.interceptor``."""

    def __init__(
        self,
        outbox: Outbox,
        clock: Callable[[], datetime] | None,
        channels: dict[str, Capabilities] | None,
        store: Store | str | Path,
    ) -> None:
        self.outbox = outbox
        self._clock = clock
        self._channels = channels
        self._store = store

    def store(self) -> Store | str | Path:
        return self._store

    def clock(self, clock: Callable[[], datetime] | None) -> Callable[[], datetime] | None:
        return self._clock if self._clock is not None else clock

    def channels(self, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        if self._channels is None:
            return channels
        return tuple(
            Channel(
                name=name,
                adapter=MemoryAdapter(name, capabilities=caps, outbox=self.outbox),
            )
            for name, caps in self._channels.items()
        )

    def adapter(self, channel: Channel, adapter: Adapter) -> Adapter:
        if isinstance(adapter, MemoryAdapter) and adapter.outbox is self.outbox:
            return adapter
        return MemoryAdapter(
            channel.name, capabilities=adapter.capabilities, outbox=self.outbox, replaces=adapter
        )


class Capture:
    """What :func:`capture` returns: a context manager, and a decorator for test functions.

    Each ``with`` (or each call of a decorated function) starts a fresh
    :class:`Outbox`; inside a decorated function :func:`current_outbox` gives it.
    """

    def __init__(
        self,
        *,
        channels: ChannelChoice | None = None,
        clock: Callable[[], datetime] | None = None,
        store: Store | str | Path | None = None,
    ) -> None:
        self.clock = clock
        self.channels = _channels(channels)
        self.store = store
        self.outbox = Outbox()
        self._tokens: list[tuple[Token[Any], Outbox, Path | None]] = []

    def __enter__(self) -> Outbox:
        self.outbox = Outbox()
        for name, caps in (self.channels or {}).items():
            self.outbox._register(name, caps)
        # A folder of this capture's own: the store of every communicator not given one
        # lives there, never in the configured (production) store.
        folder = None
        store = self.store
        if store is None:
            folder = Path(tempfile.mkdtemp(prefix="candor-capture-"))
            store = folder / "candor.db"
        self.outbox.store = store
        router = _Router(self.outbox, self.clock, self.channels, store)
        token = _state.interceptor.set(router)
        self._tokens.append((token, self.outbox, folder))
        _state.state.captures.append(self)
        return self.outbox

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        token, _, folder = self._tokens.pop()
        _state.interceptor.reset(token)
        if self in _state.state.captures:  # candor.testing.reset() may have ended it
            _state.state.captures.remove(self)
        if self._tokens:
            self.outbox = self._tokens[-1][1]
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def __call__(self, function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await function(*args, **kwargs)

            return cast("F", run_async)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return cast("F", run)


def capture(
    *,
    channels: ChannelChoice | None = None,
    clock: Callable[[], datetime] | None = None,
    store: Store | str | Path | None = None,
) -> Capture:
    """Route every channel of every communicator created inside to memory; yield the record.

    ``with capture() as outbox:`` (or ``@capture()`` on a function): each
    ``Communicator`` or ``AsyncCommunicator`` constructed inside keeps its
    channel names, but every channel posts to a :class:`MemoryAdapter` with the
    capabilities of the adapter it replaces, so messages are rendered and fitted
    exactly as for the real service and nothing leaves the process.

    Nor does anything reach the configured store: a communicator given no
    ``store`` of its own (``Communicator()``, ``Communicator.from_config()``
    on a real ``candor.toml``) uses a temporary SQLite store that this capture
    makes when it starts and deletes when it ends, shared by every
    communicator inside it (``outbox.store`` says where). ``store`` gives
    that store instead (a path, a URL or a :class:`~candor.Store`); a
    communicator constructed with its own ``store=`` keeps it. Since every
    channel is a memory stand-in, no adapter writes a file (the static
    site's folder is left alone).

    ``channels`` replaces each communicator's channels with these (names,
    whose capabilities follow the service they name, such as ``"mastodon"``,
    or a mapping of name to :class:`~candor.Capabilities` or service name).
    ``clock`` replaces each communicator's clock, so a test moves time.

    Only communicators constructed while the capture is active, in this thread
    or task (it is a context variable), are routed.
    """
    return Capture(channels=channels, clock=clock, store=store)


def current_outbox() -> Outbox:
    """The outbox of the innermost active capture (inside a ``@capture()`` function)."""
    active = _state.state.captures
    if not active:
        raise LookupError("no capture is active; use `with capture() as outbox:` or @capture()")
    innermost: Capture = active[-1]
    return innermost.outbox


def _channels(choice: ChannelChoice | None) -> dict[str, Capabilities] | None:
    if choice is None:
        return None
    if isinstance(choice, str):
        choice = [choice]
    if isinstance(choice, Mapping):
        chosen: dict[str, Capabilities] = {}
        for name, caps in choice.items():
            chosen[name] = caps if isinstance(caps, Capabilities) else capabilities_for(caps)
        return chosen
    return {name: capabilities_for(name) for name in choice}
