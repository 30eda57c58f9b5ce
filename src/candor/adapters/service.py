"""What every adapter of candor's does when it is made, in one class to subclass.

:class:`ServiceAdapter` is the constructor an adapter class needs,
``(channel, *, client, base_dir)``: it validates the channel's settings with the
class's ``settings_model`` (a mistake is a ConfigError naming the channel and
key), registers every secret setting so that it never reaches a log line, and
gives the channel its capabilities: the ones the class declares once, as its
``capabilities`` attribute, with the channel's own ``form``, ``rate_limit``,
``burst`` and ``max_length`` settings where the settings model has them and they
are set. Part of the adapter kit: import it from :mod:`candor.adapters`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, Secret, SecretStr

from candor._state import state
from candor.adapters.base import parse_settings
from candor.log import register_secret
from candor.masking import masked_values, secret_parts
from candor.vocabulary import Capabilities, Channel

if TYPE_CHECKING:
    import httpx

__all__ = ["TUNABLE", "ServiceAdapter", "declared_capabilities", "register_secret", "secrets_of"]

SettingsT = TypeVar("SettingsT", bound=BaseModel)

TUNABLE = ("form", "max_length", "rate_limit", "burst")
"""The capabilities a channel's settings of the same name override, when set."""


def declared_capabilities(factory: object, channel: Channel) -> Capabilities:
    """What an adapter class declares it can do for ``channel``, without building it.

    For a channel that cannot be built yet (a secret it names is not set): its
    messages are composed to fit the service all the same, and wait in the
    outbox. The class's ``capabilities`` with the channel's :data:`TUNABLE`
    settings that are plainly set; the defaults when the class declares none.
    """
    declared = getattr(factory, "capabilities", None)
    if not isinstance(declared, Capabilities):
        declared = Capabilities()
    chosen = {
        name: value
        for name in TUNABLE
        if (value := channel.settings.get(name)) is not None
        and not (isinstance(value, str) and "${" in value)  # waiting for its variable
    }
    if not chosen:
        return declared
    try:
        return Capabilities.model_validate({**declared.model_dump(), **chosen})
    except ValueError:  # a setting its adapter would refuse: the adapter says so once built
        return declared


def secrets_of(settings: BaseModel) -> list[str]:
    """Every secret of ``settings`` (its ``SecretStr`` and ``Secret[...]`` fields), in every form.

    A secret that holds a mapping or a sequence gives each of its string values;
    each value gives its pieces as :func:`candor.masking.secret_parts` finds
    them: a URL's path, query, user info and its Basic-auth form, host; a
    header's credential after ``Bearer``.
    """
    found: list[str] = []
    for name in type(settings).model_fields:
        _collect(getattr(settings, name), found, inside=False)
    return list(dict.fromkeys(part for value in found for part in secret_parts(value)))


def _collect(value: object, found: list[str], *, inside: bool) -> None:
    if isinstance(value, SecretStr):
        found.append(value.get_secret_value())
    elif isinstance(value, Secret):
        _collect(value.get_secret_value(), found, inside=True)
    elif isinstance(value, str):
        if inside:
            found.append(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found, inside=inside)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found, inside=inside)


class ServiceAdapter(Generic[SettingsT]):
    """The base of an adapter: settings parsed, secrets registered, capabilities for the channel.

    A subclass sets two class attributes, ``settings_model`` (a pydantic model
    with ``extra="forbid"``) and ``capabilities`` (what the service can do,
    declared once; :mod:`candor.testing` reads it from here), and writes
    ``post``. Override :attr:`secrets` to add values the settings do not hold
    as secrets (a session token, a URL's path), and :meth:`channel_capabilities`
    when a setting changes a capability in another way.
    """

    settings_model: ClassVar[type[BaseModel]]
    capabilities: Capabilities = Capabilities()

    def __init__(self, channel: Channel, *, client: httpx.AsyncClient, base_dir: Path) -> None:
        self.channel = channel
        self.client = client
        self.base_dir = Path(base_dir)
        self.settings = cast("SettingsT", parse_settings(self.settings_model, channel))
        for secret in self.secrets:
            register_secret(secret)
        # And what the channel holds masked beyond the model's secrets (a URL with a
        # password in any setting), as loading a configuration registers it.
        for value in masked_values(channel.settings):
            if value not in state.secrets:  # the settings' own are registered above
                for part in secret_parts(value):
                    register_secret(part)
        self.capabilities = self.channel_capabilities()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.channel.name!r})"

    @property
    def secrets(self) -> list[str]:
        """Every secret this adapter holds, to be masked in errors (``secrets=`` of the kit).

        The settings' secrets in every form (:func:`secrets_of`), worked out
        once; a copy, so that an override may add to it.
        """
        held: list[str] | None = self.__dict__.get("_settings_secrets")
        if held is None:
            held = secrets_of(self.settings)
            self.__dict__["_settings_secrets"] = held
        return list(held)

    def channel_capabilities(self) -> Capabilities:
        """The class's capabilities with this channel's settings of the same names, when set."""
        declared = type(self).capabilities
        chosen: dict[str, Any] = {}
        for name in TUNABLE:
            if name in type(self.settings).model_fields:
                value = getattr(self.settings, name)
                if value is not None:
                    chosen[name] = value
        return declared.model_copy(update=chosen) if chosen else declared

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client is shared and closed by its owner."""
