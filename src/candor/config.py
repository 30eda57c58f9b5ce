"""``candor.toml``: the organisation, the store, the policy and the channels.

Secrets never live in the file: a value such as ``"${MASTODON_TOKEN}"`` is
read from the environment when the file is loaded. A variable that is not set
outside the channels (the store's URL, say) is an error then, before any
incident is touched; one that a channel's settings name leaves that channel
*unconfigured* (:attr:`Channel.unset <candor.vocabulary.Channel.unset>` names
the variables): every other channel and every command that does not deliver
work as usual, and what the channel is owed waits in the outbox until the
variable is set. Every error names the file, the channel and the key.

Once loaded, a channel's secret settings stay masked (``**********`` in every
``repr``, ``str`` and dump): those whose key names a credential and those the
adapter's settings model declares ``SecretStr``. :meth:`Config.dump` is the
configuration as ``candor config`` shows it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pydantic
from pydantic import BaseModel

from candor._http import HTTPSettings, Transport
from candor.errors import AdapterError, ConfigError, InputError
from candor.log import get_logger, register_secret
from candor.masking import mask_settings, masked_values, reveal, secret_fields, secret_parts
from candor.model import Organization
from candor.policy import Policy
from candor.vocabulary import Audience, Channel, DeliverySettings, TemplateLimits

__all__ = [
    "DEFAULT_PATH",
    "Config",
    "HTTPSettings",
    "default_config",
    "load_config",
    "masked_url",
    "starter_config",
]

DEFAULT_PATH = "candor.toml"
_SECTIONS = {"organization", "store", "policy", "channels", "templates", "http", "delivery"}
_CHANNEL_KEYS = {"name", "adapter", "audience"}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

log = get_logger("candor.config")


@dataclass(frozen=True)
class Config:
    """A loaded configuration; relative paths in it are relative to ``base_dir``."""

    base_dir: Path
    organization: Organization = field(default_factory=Organization)
    store_url: str = "sqlite:///candor.db"
    policy: Policy = field(default_factory=Policy)
    channels: tuple[Channel, ...] = ()
    templates_dir: Path | None = None
    template_limits: TemplateLimits = field(default_factory=TemplateLimits)
    path: Path | None = None
    http: HTTPSettings = field(default_factory=HTTPSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in (
                ("base_dir", self.base_dir),
                ("organization", self.organization),
                ("store_url", masked_url(self.store_url)),
                ("policy", self.policy),
                ("channels", self.channels),
                ("templates_dir", self.templates_dir),
                ("template_limits", self.template_limits),
                ("path", self.path),
                ("http", self.http),
                ("delivery", self.delivery),
            )
        )
        return f"Config({fields})"

    def dump(self) -> dict[str, Any]:
        """The configuration as loaded, JSON-ready, with every secret shown as ``**********``."""
        return {
            "path": str(self.path) if self.path else None,
            "base_dir": str(self.base_dir),
            "organization": self.organization.model_dump(mode="json"),
            "store": {"url": masked_url(self.store_url)},
            "policy": self.policy.model_dump(mode="json"),
            "templates": {
                "path": str(self.templates_dir) if self.templates_dir else None,
                **self.template_limits.model_dump(mode="json"),
            },
            "http": {
                "transport": str(self.http.transport),
                "allow_link_local": self.http.allow_link_local,
                "allow_loopback": self.http.allow_loopback,
                "allow_private": self.http.allow_private,
            },
            "delivery": self.delivery.model_dump(mode="json"),
            "channels": [
                {
                    "name": channel.name,
                    "adapter": _adapter_name(channel.adapter),
                    "audience": channel.audience.value,
                    "settings": channel.model_dump(mode="json")["settings"],
                }
                for channel in self.channels
            ],
        }


def masked_url(url: str) -> str:
    """``url`` with the password in it (``scheme://user:password@host``) shown as ``**********``."""
    try:
        parts = urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:
        return url
    if password is None:
        return url
    netloc = f"{parts.username or ''}:**********@{parts.hostname or ''}"
    netloc += f":{port}" if port else ""
    return urlunsplit(parts._replace(netloc=netloc))


def _adapter_name(adapter: object) -> str:
    if isinstance(adapter, str):
        return adapter
    kind = adapter if isinstance(adapter, type) else type(adapter)
    return f"{kind.__module__}:{kind.__qualname__}"


def default_config(base_dir: str | Path | None = None) -> Config:
    """The embedded default: SQLite ``candor.db``, a static site in ``site/``, the console."""
    return Config(
        base_dir=Path(base_dir) if base_dir is not None else Path.cwd(),
        channels=(
            Channel(name="status", adapter="static_site", settings={"path": "site"}),
            Channel(name="console", adapter="console", audience=Audience.INTERNAL),
        ),
    )


def load_config(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Config:
    """Load ``path``; with None, ``$CANDOR_CONFIG``, then ``./candor.toml``, then the default."""
    environ = os.environ if environ is None else environ
    if path is None:
        path = environ.get("CANDOR_CONFIG") or None
        if path is None:
            if not Path(DEFAULT_PATH).is_file():
                return default_config()
            path = DEFAULT_PATH
    if not isinstance(path, str | Path):
        raise ConfigError(f"must be a file's path, not {type(path).__name__}", key="path")
    file = Path(path)
    where = str(file)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("no such file", path=where) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=where) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL or a lone surrogate in the path
        raise ConfigError(f"cannot read it: {exc}", path=where) from None
    return _parse(raw, file, environ)


def _parse(raw: dict[str, Any], file: Path, environ: Mapping[str, str]) -> Config:
    where = str(file)
    for key in raw:
        if key not in _SECTIONS:
            raise ConfigError(
                f"unknown section; known: {', '.join(sorted(_SECTIONS))}", path=where, key=key
            )
    channel_entries = raw.pop("channels", [])
    raw = _expand(raw, environ, where, channel=None, trail="")
    base_dir = file.resolve().parent

    organization = _section(raw, "organization", where)
    try:
        org = Organization(**organization)
    except InputError as exc:
        raise ConfigError(exc.reason, path=where, key=exc.field) from None

    store = _section(raw, "store", where)
    for key in store:
        if key != "url":
            raise ConfigError("unknown key; known: url", path=where, key=f"store.{key}")
    store_url = store.get("url", "sqlite:///candor.db")
    if not isinstance(store_url, str):
        raise ConfigError("must be a string", path=where, key="store.url")

    policy_raw = _section(raw, "policy", where)
    try:
        policy = Policy.model_validate(policy_raw)
    except InputError as exc:
        raise ConfigError(exc.reason, path=where, key=exc.field) from None
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        key = "policy." + ".".join(str(p) for p in first["loc"])
        reason = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(reason.removeprefix("Value error, "), path=where, key=key) from None

    templates = _section(raw, "templates", where)
    for key in templates:
        if key not in ("path", "timeout", "max_output"):
            raise ConfigError(
                "unknown key; known: max_output, path, timeout", path=where, key=f"templates.{key}"
            )
    if "path" in templates and not isinstance(templates["path"], str):
        raise ConfigError("must be a folder's path (a string)", path=where, key="templates.path")
    templates_dir = base_dir / templates["path"] if "path" in templates else None
    if templates_dir is not None:
        try:
            folder = templates_dir.is_dir()
            reason = "is not a folder" if templates_dir.exists() else "no such folder"
        except (OSError, ValueError) as exc:  # a name too long, a NUL
            folder, reason = False, f"cannot be read ({exc.__class__.__name__})"
        if not folder:
            raise ConfigError(f"{reason}: {templates_dir}", path=where, key="templates.path")
    limits = {key: templates[key] for key in ("timeout", "max_output") if key in templates}
    try:
        template_limits = TemplateLimits.model_validate(limits, strict=True)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        key = "templates." + ".".join(str(p) for p in first["loc"])
        raise ConfigError(first["msg"], path=where, key=key) from None

    http = _http(_section(raw, "http", where), where, base_dir)
    delivery = _delivery(_section(raw, "delivery", where), where)

    channels = _channels(channel_entries, where, environ)
    _check_addresses(channels, http, where)
    names = {channel.name for channel in channels}
    for name in policy.warn_channels or ():
        if name not in names:
            raise ConfigError(
                f"names no configured channel {name!r}", path=where, key="policy.warn_channels"
            )
    return Config(
        base_dir=base_dir,
        organization=org,
        store_url=store_url,
        policy=policy,
        channels=channels,
        templates_dir=templates_dir,
        template_limits=template_limits,
        path=file,
        http=http,
        delivery=delivery,
    )


def _check_addresses(channels: tuple[Channel, ...], http: HTTPSettings, where: str) -> None:
    """A URL setting whose host is an address the policy refuses is an error now, not later.

    Host names are judged when candor connects, by what they resolve to; an
    address written in the URL can be judged at once. The message never quotes
    the address (the URL may be a secret).
    """
    policy = http.addresses
    for channel in channels:
        if channel.unset:
            continue  # its settings are not all known yet; judged once they are
        for key, value in channel.settings.items():
            text = reveal(value)
            if not isinstance(text, str) or not text.lower().startswith(("http://", "https://")):
                continue
            try:
                host = urlsplit(text).hostname
            except ValueError:
                continue  # the adapter's own check names what is wrong
            reason = policy.refusal(host, named="its host") if host else None
            if reason:
                raise ConfigError(reason, path=where, channel=channel.name, key=key)


def _section(raw: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError("must be a table", path=where, key=name)
    return value


def _http(raw: dict[str, Any], where: str, base_dir: Path) -> HTTPSettings:
    """``[http]``; the client certificate's paths are relative to the file's folder."""
    known = (
        "allow_link_local",
        "allow_loopback",
        "allow_private",
        "client_cert",
        "client_key",
        "http2",
        "transport",
    )
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"unknown key; known: {', '.join(known)}", path=where, key=f"http.{key}"
            )
    files: dict[str, Path | None] = {}
    for key in ("client_cert", "client_key"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError("must be a path (a string)", path=where, key=f"http.{key}")
        files[key] = base_dir / value if value else None
    try:
        return HTTPSettings(
            transport=raw.get("transport", Transport.CANDOR),
            http2=raw.get("http2", False),
            client_cert=files["client_cert"],
            client_key=files["client_key"],
            allow_link_local=raw.get("allow_link_local", False),
            allow_loopback=raw.get("allow_loopback", True),
            allow_private=raw.get("allow_private", True),
        )
    except ConfigError as exc:
        raise ConfigError(exc.reason, path=where, key=exc.key) from None


def _delivery(raw: dict[str, Any], where: str) -> DeliverySettings:
    """``[delivery]``: how hard and how long delivery tries (see DeliverySettings)."""
    try:
        return DeliverySettings.model_validate(raw)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(["delivery", *(str(p) for p in first["loc"])])
        reason = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(reason.removeprefix("Value error, "), path=where, key=key) from None


def _channels(raw: object, where: str, environ: Mapping[str, str]) -> tuple[Channel, ...]:
    # Imported here: the adapter kit is loaded only by a configuration that has channels.
    from candor.adapters import registry
    from candor.adapters.base import check_settings, parse_settings

    if not isinstance(raw, list):
        raise ConfigError("must be an array of tables ([[channels]])", path=where, key="channels")
    channels: list[Channel] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ConfigError("must be a table", path=where, key=f"channels[{index}]")
        # The channel's identity is read strictly; its settings may wait for a variable.
        identity = {key: entry[key] for key in _CHANNEL_KEYS if key in entry}
        identity = _expand(identity, environ, where, channel=None, trail=f"channels[{index}]")
        unset: list[str] = []
        waits: dict[str, bool] = {}
        named = identity.get("name") if isinstance(identity.get("name"), str) else None
        expanded: dict[str, Any] = {}
        for key, value in entry.items():
            if key in _CHANNEL_KEYS:
                continue
            before = len(unset)
            expanded[key] = _expand(value, environ, where, channel=named, trail=key, unset=unset)
            waits[key] = len(unset) > before
        entry = {**expanded, **identity}
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(
                "every channel needs a name", path=where, key=f"channels[{index}].name"
            )
        if name in seen:
            raise ConfigError("two channels have this name", path=where, channel=name, key="name")
        seen.add(name)
        adapter = entry.get("adapter")
        if not isinstance(adapter, str):
            raise ConfigError(
                "required, the adapter's name", path=where, channel=name, key="adapter"
            )
        try:
            adapter_class = registry.load(adapter)
        except AdapterError as exc:
            raise ConfigError(str(exc), path=where, channel=name, key="adapter") from None
        audience = entry.get("audience", "public")
        if not isinstance(audience, str) or audience not in {a.value for a in Audience}:
            raise ConfigError(
                "must be 'public' or 'internal'", path=where, channel=name, key="audience"
            )
        # The adapter's own word on which settings are secret, beside the keys' names.
        model = getattr(adapter_class, "settings_model", None)
        declared = (
            secret_fields(model) if isinstance(model, type) and issubclass(model, BaseModel) else ()
        )
        settings = mask_settings(
            {k: v for k, v in entry.items() if k not in _CHANNEL_KEYS}, declared
        )
        # Every secret, and every piece of one (a URL's path, its user info), is masked
        # wherever candor writes or prints from now on, before anything is sent.
        for value in masked_values(settings):
            for part in secret_parts(value):
                register_secret(part)
        try:
            channel = Channel(
                name=name,
                adapter=adapter,
                audience=audience,
                settings=settings,
                unset=tuple(dict.fromkeys(unset)),
            )
        except pydantic.ValidationError as exc:
            raise ConfigError(
                exc.errors()[0]["msg"], path=where, channel=name, key="name"
            ) from None
        if channel.unset:
            log.warning("channel_unconfigured", channel=name, unset=list(channel.unset))
        if isinstance(model, type) and issubclass(model, BaseModel):
            # Checked now (a URL's port, a blank token), not at the first delivery; a
            # setting still waiting for its variable is checked once it is set.
            waiting = [key for key, value in waits.items() if value]
            try:
                if waiting:
                    check_settings(model, channel, waiting=waiting)
                else:
                    parse_settings(model, channel)
            except ConfigError as exc:
                raise ConfigError(exc.reason, path=where, channel=name, key=exc.key) from None
        channels.append(channel)
    return tuple(channels)


def _expand(
    value: Any,
    environ: Mapping[str, str],
    where: str,
    *,
    channel: str | None,
    trail: str,
    unset: list[str] | None = None,
) -> Any:
    """Replace ``${NAME}`` with the environment's value, everywhere in ``value``.

    A variable that is not set is a ConfigError, unless ``unset`` is given: then
    its name is added there and the text is left as written.
    """
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                if unset is not None:
                    unset.append(name)
                    return match.group(0)
                raise ConfigError(
                    f"environment variable {name} is not set",
                    path=where,
                    channel=channel,
                    key=trail,
                )
            return environ[name]

        return _VARIABLE.sub(lookup, value)
    if isinstance(value, dict):
        if trail.startswith("channels[") and isinstance(value.get("name"), str):
            channel = value["name"]
        return {
            key: _expand(
                item,
                environ,
                where,
                channel=channel,
                trail=key if channel else f"{trail}.{key}".lstrip("."),
                unset=unset,
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _expand(item, environ, where, channel=channel, trail=f"{trail}[{index}]", unset=unset)
            for index, item in enumerate(value)
        ]
    return value


def starter_config() -> str:
    """The commented ``candor.toml`` that ``candor init`` writes."""
    from importlib.resources import files

    return files("candor").joinpath("starter.toml").read_text(encoding="utf-8")
