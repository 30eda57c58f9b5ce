"""What an adapter is: the protocol, its capabilities, what it is given and returns, and settings.

An adapter turns one rendered :class:`~candor.vocabulary.Message` into a post on
one service. A *channel* is a configured adapter: a name, the adapter, its
settings and its audience. The protocols live in :mod:`candor.typing` and the
types in :mod:`candor.vocabulary`; this module re-exports them beside the
settings helpers. Adapters are found through the entry-point group
``candor.adapters``; candor's own are registered there the same way.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, SecretStr

from candor._urls import check_url
from candor.errors import ConfigError
from candor.masking import reveal
from candor.typing import Adapter, AdapterInit, Reconciling, Refreshing
from candor.vocabulary import (
    Audience,
    Capabilities,
    Channel,
    DeliveryContext,
    Form,
    LengthUnit,
    Markup,
    Receipt,
)

__all__ = [
    "Adapter",
    "AdapterInit",
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
    "check_settings",
    "http_url",
    "parse_settings",
    "required_secret",
    "secret_http_url",
]


SettingsT = TypeVar("SettingsT", bound=BaseModel)


def http_url(value: str) -> str:
    """A settings validator: an ``http://`` or ``https://`` address, without a trailing slash.

    Checked whole (:func:`candor._urls.check_url`): a host, a port from 1 to
    65535 if any, no control character or white space. Which addresses candor
    then connects to is the ``[http]`` address policy's to say, at connection time.
    """
    return check_url(value).rstrip("/")


def secret_http_url(value: SecretStr) -> SecretStr:
    """:func:`http_url` for a URL held as a secret (the error never quotes it)."""
    check_url(value.get_secret_value())
    return value


def required_secret(value: SecretStr | None) -> SecretStr | None:
    """A settings validator: a credential that is not empty or blank (None: not given)."""
    if value is not None and not value.get_secret_value().strip():
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
        raise _settings_error(exc.errors()[0], channel) from None


def check_settings(model: type[BaseModel], channel: Channel, *, waiting: Collection[str]) -> None:
    """Check ``channel.settings`` against ``model`` but for the keys in ``waiting``.

    For a channel whose settings ``waiting`` still wait for an environment
    variable: an unknown setting or a bad value elsewhere is named now, as for
    any channel, and the keys waiting are judged once they are set.
    """
    try:
        model.model_validate(reveal(dict(channel.settings)))
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            waits = bool(error["loc"]) and str(error["loc"][0]) in waiting
            if not waits or error["type"] == "extra_forbidden":
                raise _settings_error(error, channel) from None


def _settings_error(error: Any, channel: Channel) -> ConfigError:
    key = ".".join(str(part) for part in error["loc"]) or None
    reason = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        reason = "unknown setting"
    elif error["type"] == "missing":
        reason = "required setting is missing"
    return ConfigError(reason, channel=channel.name, key=key)
