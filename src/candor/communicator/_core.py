"""The facade's core: wiring a communicator, and the one path every update takes to the channels.

:class:`Facade` builds the HTTP client, the adapters, the store, the courier and
the promise keeper, and commits: compose one checked message per channel, record
the update with its outbox in one transaction, then deliver. The public methods
are :class:`~candor.communicator.AsyncCommunicator`'s.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from candor import _state, compose, lifecycle
from candor import store as stores
from candor._http import HTTPSettings
from candor._http.client import default_client
from candor.adapters import registry
from candor.adapters.service import declared_capabilities
from candor.checks import rules
from candor.config import Config, default_config, load_config
from candor.delivery import Courier, DeliverySettings, Outcome, Sleep
from candor.errors import AdapterError, ConfigError, IncidentNotFound, InputError
from candor.keeper import PromiseKeeper
from candor.log import get_logger
from candor.model import (
    Incident,
    Organization,
    UpdateKind,
)
from candor.policy import Policy
from candor.render import Renderer
from candor.typing import (
    Adapter,
    Addressees,
    Clock,
    Fanning,
    Interceptor,
    Store,
    SubscriberStore,
)
from candor.vocabulary import Capabilities, Channel, Message, Recipient, TemplateLimits

__all__ = ["Facade", "checked_id"]

log = get_logger("candor")


def _system_clock() -> datetime:
    return datetime.now(UTC)


def build_adapter(channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> Adapter:
    """The adapter for ``channel``: the instance it holds, or one its registered name makes."""
    if not isinstance(channel.adapter, str):
        if not isinstance(channel.adapter, Adapter):
            raise ConfigError(
                "is neither an adapter name nor an adapter (needs capabilities, post, aclose)",
                channel=channel.name,
                key="adapter",
            )
        return channel.adapter
    try:
        factory = registry.load(channel.adapter)
    except AdapterError as exc:
        raise ConfigError(str(exc), channel=channel.name, key="adapter") from None
    return factory(channel, client=client, base_dir=base_dir)


def _factory(channel: Channel) -> object:
    """The adapter class a channel names (or its instance), for what it declares."""
    if not isinstance(channel.adapter, str):
        return channel.adapter
    try:
        return registry.load(channel.adapter)
    except AdapterError as exc:
        raise ConfigError(str(exc), channel=channel.name, key="adapter") from None


def open_store(store: Store | str | Path, base_dir: Path) -> Store:
    """``store`` itself, or the store its URL or path names (relative to ``base_dir``)."""
    if isinstance(store, str | Path):
        _path_text(store, "store.url")
        return stores.open_store(str(store), base_dir=base_dir)
    if not isinstance(store, Store):
        raise ConfigError(
            f"must be a store URL, a path or a candor.Store, not {type(store).__name__}",
            key="store.url",
        )
    return store


def checked_id(incident_id: object) -> str:
    """``incident_id`` when it could name an incident; an InputError naming it otherwise."""
    if not isinstance(incident_id, str) or not incident_id:
        raise InputError("incident_id", incident_id, "must be an incident id such as inc-…")
    try:
        incident_id.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no store can even look it up
        raise IncidentNotFound(incident_id) from None
    return incident_id


def _path_text(value: str | Path, key: str) -> None:
    """Refuse a path the file system cannot take (a NUL, a lone surrogate), naming ``key``."""
    text = str(value)
    if "\x00" in text:
        raise ConfigError("holds a NUL character (U+0000), which no path may hold", key=key)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError("holds a lone surrogate, which no path may hold", key=key) from None


def _options(options: Mapping[str, object]) -> None:
    """Refuse a constructor option of the wrong kind, naming it, before anything is built."""
    channels = options["channels"]
    if channels is not None and (
        isinstance(channels, str | bytes | Mapping) or not isinstance(channels, Iterable)
    ):
        raise ConfigError("must be a list of candor.Channel", key="channels")
    kinds: dict[str, tuple[type, str]] = {
        "organization": (Organization, "a candor.Organization"),
        "policy": (Policy, "a candor.Policy"),
        "delivery": (DeliverySettings, "a candor.DeliverySettings"),
        "http": (HTTPSettings, "a candor.config.HTTPSettings"),
        "client": (httpx.AsyncClient, "an httpx.AsyncClient"),
        "template_limits": (TemplateLimits, "a candor.TemplateLimits"),
    }
    for key, (kind, described) in kinds.items():
        if options[key] is not None and not isinstance(options[key], kind):
            raise ConfigError(f"must be {described}", key=key)
    for key in ("clock", "sleep", "on_outcome"):
        if options[key] is not None and not callable(options[key]):
            raise ConfigError("must be a function", key=key)
    for key, named in (("templates_dir", "templates.path"), ("base_dir", "base_dir")):
        folder = options[key]
        if folder is not None:
            if not isinstance(folder, str | Path):
                raise ConfigError("must be a folder's path", key=named)
            _path_text(folder, named)


class Facade:
    """The wiring and the commit path of :class:`~candor.communicator.AsyncCommunicator`.

    See that class for what each parameter of the constructor does.
    """

    def __init__(
        self,
        channels: Iterable[Channel] | None = None,
        *,
        store: Store | str | Path | None = None,
        policy: Policy | None = None,
        organization: Organization | None = None,
        templates_dir: str | Path | None = None,
        template_limits: TemplateLimits | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        base_dir: str | Path | None = None,
        delivery: DeliverySettings | None = None,
        sleep: Sleep | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        http: HTTPSettings | None = None,
    ) -> None:
        _options(
            {
                "channels": channels,
                "organization": organization,
                "policy": policy,
                "templates_dir": templates_dir,
                "clock": clock,
                "client": client,
                "base_dir": base_dir,
                "delivery": delivery,
                "sleep": sleep,
                "on_outcome": on_outcome,
                "http": http,
                "template_limits": template_limits,
            }
        )
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        defaults = default_config(self.base_dir)
        self.organization = organization or defaults.organization
        self.policy = policy or Policy()
        self.renderer = Renderer(
            self.organization, templates_dir=templates_dir, limits=template_limits
        )
        self.renderer.load_all()
        rules()  # reads the check plugins' entry points now, like the adapters': not in an open()
        # While candor.testing.capture() is active in this context, it picks the clock and
        # adapters; unset, this is one lookup per constructor and changes nothing.
        hook: Interceptor | None = _state.interceptor.get()
        if hook is not None:
            clock = hook.clock(clock)
        self._clock = clock or _system_clock
        self._own_client = client is None
        self.client = client if client is not None else default_client(http)
        chosen = tuple(channels) if channels is not None else defaults.channels
        if hook is not None:
            chosen = hook.channels(chosen)
        self.channels: dict[str, Channel] = {}
        self.adapters: dict[str, Adapter] = {}
        self._declared: dict[str, Capabilities] = {}
        self.unconfigured: dict[str, str] = {}
        self._addressees: dict[str, Callable[[Channel], Addressees]] = {}
        for channel in chosen:
            if not isinstance(channel, Channel):
                raise ConfigError(
                    f"every channel must be a candor.Channel, not {type(channel).__name__}",
                    key="channels",
                )
            if channel.name in self.channels:
                raise ConfigError("two channels have this name", channel=channel.name, key="name")
            self.channels[channel.name] = channel
            why = channel.unconfigured
            if why is not None:
                # Composed for and owed, never sent, until its variables are set.
                self.unconfigured[channel.name] = why
                factory = _factory(channel)
                self._declared[channel.name] = declared_capabilities(factory, channel)
                addressees = getattr(factory, "addressees", None)
                if callable(addressees):  # it tells people one by one: who, decided at commit
                    self._addressees[channel.name] = addressees
                continue
            adapter = build_adapter(channel, client=self.client, base_dir=self.base_dir)
            self.adapters[channel.name] = (
                adapter if hook is None else hook.adapter(channel, adapter)
            )
        # Under a capture, a communicator given no store of its own gets the capture's
        # temporary one, never the default candor.db beside the runbook.
        if store is None and hook is not None:
            store = hook.store()
        # The store is opened last, so a configuration mistake leaves no file behind.
        self.store = open_store(store if store is not None else defaults.store_url, self.base_dir)
        self.courier = Courier(
            self.store,
            self.adapters,
            self.organization,
            self.now,
            settings=delivery,
            sleep=sleep,
            on_outcome=on_outcome,
            unconfigured=self.unconfigured,
        )
        self.keeper = PromiseKeeper(
            store=self.store,
            policy=self.policy,
            channels=self.channels,
            adapters=self.adapters,
            organization=self.organization,
            now=self.now,
            commit=self._commit_expecting,
        )

    @classmethod
    def from_config(
        cls,
        path: str | Path | Config | None = None,
        *,
        store: Store | str | Path | None = None,
        policy: Policy | None = None,
        organization: Organization | None = None,
        templates_dir: str | Path | None = None,
        template_limits: TemplateLimits | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        base_dir: str | Path | None = None,
        delivery: DeliverySettings | None = None,
        sleep: Sleep | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        http: HTTPSettings | None = None,
    ) -> Self:
        """A communicator configured by ``candor.toml`` (see :func:`candor.config.load_config`).

        ``path`` may also be a :class:`~candor.config.Config` already loaded (as
        :func:`~candor.config.load_config` returns it). With no path, no
        ``$CANDOR_CONFIG`` and no ``./candor.toml`` this is the embedded default. Every
        adapter is built here, so a wrong setting fails now, before any incident
        is touched (a channel whose secret is not set is built once it is set).
        Each keyword, when given, replaces what the file says (or adds what a
        file cannot hold: ``clock``, ``client``, ``sleep``, ``on_outcome``); they
        are the constructor's.
        """
        config = path if isinstance(path, Config) else load_config(path)
        hook: Interceptor | None = _state.interceptor.get()
        if store is None and hook is not None:
            # Under candor.testing.capture(): the capture's temporary store, never the
            # configured (production) one.
            store = hook.store()
        try:
            return cls(
                config.channels,
                store=store if store is not None else config.store_url,
                policy=policy if policy is not None else config.policy,
                organization=organization if organization is not None else config.organization,
                templates_dir=templates_dir if templates_dir is not None else config.templates_dir,
                template_limits=template_limits
                if template_limits is not None
                else config.template_limits,
                clock=clock,
                client=client,
                base_dir=base_dir if base_dir is not None else config.base_dir,
                delivery=delivery if delivery is not None else config.delivery,
                sleep=sleep,
                on_outcome=on_outcome,
                http=http if http is not None else config.http,
            )
        except ConfigError as exc:
            if exc.path is None and config.path is not None:
                raise ConfigError(
                    exc.reason, path=str(config.path), channel=exc.channel, key=exc.key
                ) from None
            raise

    def now(self) -> datetime:
        """The communicator's clock, checked to be timezone-aware."""
        now = self._clock()
        if not isinstance(now, datetime):
            raise InputError("clock", now, "the clock must return datetimes")
        if now.tzinfo is None or now.utcoffset() is None:
            raise InputError("clock", now, "the clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    # -- compose, commit, deliver --------------------------------------------------------

    @property
    def capabilities(self) -> dict[str, Capabilities]:
        """Every channel's capabilities as they stand (an adapter may learn its service's)."""
        declared = self._declared
        return {
            name: declared[name] if name in declared else self.adapters[name].capabilities
            for name in self.channels
        }

    def _messages(self, incident: Incident) -> builtins.list[Message]:
        return compose.compose(
            incident, self._addressed(incident), self.capabilities, self.renderer
        )

    def _addressed(self, incident: Incident) -> dict[str, Channel]:
        """The configured channels the incident's newest update goes to."""
        update = incident.updates[-1]
        if update.channels is None:
            return self.channels
        gone = [name for name in update.channels if name not in self.channels]
        if gone:
            log.warning(
                "update_cannot_reach", incident_id=incident.id, seq=update.seq, channels=gone
            )
        return {name: self.channels[name] for name in update.channels if name in self.channels}

    def _chosen(self, channels: Iterable[str] | None) -> builtins.list[str] | None:
        """``channels`` checked to name configured channels; InputError naming one that does not."""
        if channels is None:
            return None
        if isinstance(channels, str) or not isinstance(channels, Iterable):
            raise InputError(
                "channels", channels, "give a list of channel names, such as ['status']"
            )
        names = builtins.list(channels)
        for name in names:
            if name not in self.channels:
                known = ", ".join(self.channels) or "none"
                raise InputError("channels", name, f"no channel by this name; configured: {known}")
        return names

    async def _commit(
        self,
        incident: Incident,
        *,
        expected_version: int | None,
        allow: Iterable[str] = (),
        reason: str | None = None,
    ) -> Incident:
        """Compose, guard, record the update with its outbox in one transaction, then deliver."""
        messages = self._messages(incident)
        incident = compose.guard(incident, messages, allow, reason, by=compose.actor())
        people = await self._people(incident)
        outbox = compose.outbox(incident, messages, people)
        await asyncio.to_thread(
            self.store.save, incident, expected_version=expected_version, outbox=outbox
        )
        update = incident.updates[-1]
        log.info(
            "update_recorded",
            incident_id=incident.id,
            seq=update.seq,
            status=update.status.value,
            channels=len(outbox),
        )
        await self._deliver(incident.id)
        return await self._current(incident.id)

    async def _people(self, incident: Incident) -> dict[str, tuple[Recipient, ...]]:
        """The recipients of each channel that tells people one by one, decided now."""
        fanning: dict[str, Addressees] = {
            name: adapter for name, adapter in self.adapters.items() if isinstance(adapter, Fanning)
        }
        for name, addressees in self._addressees.items():
            fanning[name] = addressees(self.channels[name])
        if not fanning:
            return {}
        store = self.store
        if not isinstance(store, SubscriberStore):
            # Only the fixed recipients; delivery then says the store keeps no ledger.
            return {
                name: compose.recipients(incident, adapter, (), ())
                for name, adapter in fanning.items()
            }

        def read() -> dict[str, tuple[Recipient, ...]]:
            assert isinstance(store, SubscriberStore)
            confirmed = store.subscribers(confirmed_only=True)
            return {
                name: compose.recipients(
                    incident,
                    adapter,
                    confirmed,
                    store.told(incident.id, name) if adapter.include_subscribers else (),
                )
                for name, adapter in fanning.items()
            }

        return await asyncio.to_thread(read)

    async def _commit_expecting(self, incident: Incident, expected_version: int) -> Incident:
        return await self._commit(incident, expected_version=expected_version)

    async def _deliver(
        self, incident_id: str | None, *, force: bool = False
    ) -> builtins.list[Outcome]:
        return await self.courier.deliver(incident_id=incident_id, force=force)

    async def _change(
        self,
        incident_id: str,
        *,
        kind: UpdateKind,
        allow: Iterable[str] = (),
        reason: str | None = None,
        **arguments: Any,
    ) -> Incident:
        """Read, plan against what was read, and commit only if nobody wrote in between."""
        current = await self._current(incident_id)
        incident = lifecycle.change(current, self.policy, self.now(), kind=kind, **arguments)
        return await self._commit(
            incident, expected_version=current.version, allow=allow, reason=reason
        )

    async def _current(self, incident_id: str) -> Incident:
        return await asyncio.to_thread(self.store.get, checked_id(incident_id))

    async def aclose(self) -> None:
        """Close the adapters, the HTTP client (if the communicator made it) and the store."""
        for adapter in self.adapters.values():
            await adapter.aclose()
        self.courier.close()
        if self._own_client:
            await self.client.aclose()
        self.store.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
