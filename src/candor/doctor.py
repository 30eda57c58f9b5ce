"""Which configuration and store a command uses, and ``candor doctor``, which checks a setup.

:func:`locate` finds the configuration the way every command does (``--config``,
then ``$CANDOR_CONFIG``, then ``./candor.toml``, then the embedded default) and
says where its store is, without opening or creating anything: the CLI prints
it with every command and refuses to create a store for a command that only
reads one (cron runs in ``$HOME``, where there is no ``candor.toml``).

:func:`diagnose` runs the doctor's checks, one :class:`Check` each: the
configuration found (and which), the store (opened read-only, never created),
every channel's secrets (naming each variable not set), and each channel's
service reached where its adapter has a harmless read (a ``probe()``; see
:class:`candor.typing.Probing`). Nothing is written anywhere and nothing is
posted.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from candor.config import DEFAULT_PATH, Config, default_config, load_config, masked_url
from candor.errors import CandorError, ConfigError, StoreError
from candor.store import store_path

if TYPE_CHECKING:
    import httpx

    from candor.vocabulary import Channel

__all__ = ["EMBEDDED", "Check", "Setup", "diagnose", "locate"]

EMBEDDED = "the embedded default"
"""How :attr:`Setup.found` names the configuration used when no file is found."""

Result = Literal["ok", "fail", "skipped"]


@dataclass(frozen=True)
class Setup:
    """The configuration a command uses, how it was found, and where its store is."""

    config: Config
    found: str
    """``--config``, ``$CANDOR_CONFIG``, ``./candor.toml`` or :data:`EMBEDDED`."""
    store: Path | None
    """The store's file (absolute), or None when the store is not a file."""

    @property
    def embedded(self) -> bool:
        """Whether no configuration file was found (the embedded default is used)."""
        return self.config.path is None

    @property
    def config_path(self) -> Path | None:
        return self.config.path.resolve() if self.config.path is not None else None

    def describe_config(self) -> str:
        if self.config_path is None:
            return f"{EMBEDDED} (no --config, no $CANDOR_CONFIG, no candor.toml in {Path.cwd()})"
        return f"{self.config_path} (from {self.found})"

    def describe_store(self) -> str:
        return str(self.store) if self.store is not None else masked_url(self.config.store_url)

    def fields(self) -> dict[str, Any]:
        """The setup as ``--json`` output carries it."""
        return {
            "config": str(self.config_path) if self.config_path is not None else None,
            "config_from": self.found,
            "store": self.describe_store(),
        }

    def missing_store(self) -> str:
        """Why a command that reads the store refuses one that does not exist, in one line."""
        return (
            f"no store at {self.store} (configuration: {self.describe_config()}); nothing was "
            "created. Point candor at your configuration with --config PATH or $CANDOR_CONFIG "
            "(cron runs in $HOME), or run `candor open` to start a new store here"
        )


def locate(
    path: str | Path | None = None,
    *,
    found: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Setup:
    """The configuration a command uses and where its store is; nothing is opened or created.

    ``path`` is the file named (``--config``, or ``$CANDOR_CONFIG`` as the
    caller read it), ``found`` says which; with no ``path``, ``$CANDOR_CONFIG``,
    then ``./candor.toml``, then the embedded default. A configuration that
    cannot be loaded raises its ConfigError.
    """
    environ = os.environ if environ is None else environ
    if path is None:
        named = environ.get("CANDOR_CONFIG") or None
        if named is not None:
            path, found = named, "$CANDOR_CONFIG"
        elif Path(DEFAULT_PATH).is_file():
            path, found = DEFAULT_PATH, "./candor.toml"
    if path is None:
        config, found = default_config(), EMBEDDED
    else:
        config, found = load_config(path, environ=environ), found or "--config"
    try:
        location: Path | None = store_path(config.store_url, base_dir=config.base_dir)
    except StoreError:  # a store that is not a file (PostgreSQL): it says why when opened
        location = None
    except ConfigError as exc:
        where = str(config.path) if config.path is not None else None
        raise ConfigError(exc.reason, path=where, key=exc.key) from None
    return Setup(config=config, found=found, store=location)


@dataclass(frozen=True)
class Check:
    """One check of :func:`diagnose`: what was checked, how it went, and why."""

    name: str
    """``config``, ``store``, ``secrets`` or ``reach``."""
    result: Result
    detail: str
    channel: str | None = None

    @property
    def subject(self) -> str:
        return f"channel {self.channel}, {self.name}" if self.channel else self.name

    def line(self) -> str:
        """The check as ``candor doctor`` prints it: ``ok``, ``FAIL`` or ``skipped``, and why."""
        label = {"ok": "ok", "fail": "FAIL", "skipped": "skipped"}[self.result]
        return f"{label:<7} {self.subject}: {self.detail}"

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "channel": self.channel,
            "result": self.result,
            "detail": self.detail,
        }


def diagnose(
    path: str | Path | None = None,
    *,
    found: str | None = None,
    offline: bool = False,
    environ: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
) -> tuple[Setup | None, list[Check]]:
    """Check a setup; the setup found (None when no configuration loads) and every check.

    ``offline`` skips every probe that makes a network request; ``client`` is
    the HTTP client the probes use (by default the one ``[http]`` describes).
    """
    try:
        setup = locate(path, found=found, environ=environ)
    except CandorError as exc:
        why = "skipped: the configuration does not load"
        return None, [
            Check("config", "fail", str(exc)),
            Check("store", "skipped", why),
            Check("channels", "skipped", why),
        ]
    checks = [_config_check(setup), _store_check(setup)]
    channels = setup.config.channels
    for channel in channels:
        checks.append(_secrets_check(channel))
    checks += asyncio.run(_reach(setup, offline=offline, client=client))
    order = {channel.name: n for n, channel in enumerate(channels)}
    # Each channel's secrets, then its reach, in the configuration's order.
    head, rest = checks[:2], checks[2:]
    rest.sort(key=lambda c: (order.get(c.channel or "", 0), c.name != "secrets"))
    return setup, head + rest


def _config_check(setup: Setup) -> Check:
    if setup.embedded:
        return Check(
            "config",
            "fail",
            f"none found: no --config, no $CANDOR_CONFIG, no candor.toml in {Path.cwd()}; "
            f"{EMBEDDED} is for the demo and first steps (cron runs in $HOME: name the file "
            "with --config or $CANDOR_CONFIG)",
        )
    return Check("config", "ok", setup.describe_config())


def _store_check(setup: Setup) -> Check:
    if setup.store is None:
        return Check(
            "store", "fail", f"{setup.describe_store()} is not a store candor can open yet"
        )
    if not setup.store.is_file():
        what = "is not a file" if setup.store.exists() else "does not exist"
        return Check(
            "store",
            "fail",
            f"{setup.store} {what}; nothing was created (`candor open` makes it; or point "
            "candor at the configuration whose store it is)",
        )
    # Imported here: only the doctor's store check needs sqlite3 loaded this way.
    from candor.store.sqlite import SQLiteStore, unwritable

    try:
        with SQLiteStore(setup.store, read_only=True) as store:
            incidents = store.list()
            still_open = len(store.list(open_only=True))
    except CandorError as exc:
        return Check("store", "fail", str(exc))
    detail = (
        f"{setup.store} opened read-only: {len(incidents)} "
        f"incident{'s' if len(incidents) != 1 else ''}, {still_open} open"
    )
    if unwritable(setup.store):
        detail += "; read-only by its permissions, so commands that record will fail"
    return Check("store", "ok", detail)


def _secrets_check(channel: Channel) -> Check:
    if channel.unset:
        names = ", ".join(channel.unset)
        return Check(
            "secrets",
            "fail",
            f"not set: {names} (set it in the environment candor runs in, cron's too)",
            channel.name,
        )
    return Check("secrets", "ok", "every variable its settings name is set", channel.name)


async def _reach(setup: Setup, *, offline: bool, client: httpx.AsyncClient | None) -> list[Check]:
    # Imported here: the adapters and the HTTP client load only when there are channels.
    from candor._http.client import default_client
    from candor.adapters import registry
    from candor.typing import Adapter, Probing

    config = setup.config
    if not config.channels:
        return []
    own = client is None
    http = client if client is not None else default_client(config.http)
    adapters: list[Adapter] = []
    try:
        jobs = []
        for channel in config.channels:
            if channel.unset:
                jobs.append(_skipped(channel.name, "its secrets are not set"))
                continue
            try:
                if isinstance(channel.adapter, str):
                    factory = registry.load(channel.adapter)
                    adapter = factory(channel, client=http, base_dir=config.base_dir)
                else:
                    adapter = channel.adapter
            except CandorError as exc:
                jobs.append(_failed(channel.name, str(exc)))
                continue
            adapters.append(adapter)
            if not isinstance(adapter, Probing):
                jobs.append(_skipped(channel.name, "no harmless read: not checked"))
            elif offline and not adapter.probe_is_local:
                jobs.append(_skipped(channel.name, "--offline: the service was not asked"))
            else:
                jobs.append(_probe(channel.name, adapter))
        return list(await asyncio.gather(*jobs))
    finally:
        for adapter in adapters:
            await adapter.aclose()
        if own:
            await http.aclose()


async def _skipped(channel: str, why: str) -> Check:
    return Check("reach", "skipped", why, channel)


async def _failed(channel: str, why: str) -> Check:
    return Check("reach", "fail", why, channel)


async def _probe(channel: str, adapter: Any) -> Check:
    try:
        found = await adapter.probe()
    except CandorError as exc:
        return Check("reach", "fail", str(exc), channel)
    return Check("reach", "ok", str(found), channel)
