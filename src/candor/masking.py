"""Secret settings stay masked in a :class:`~candor.vocabulary.Channel`, whatever shows it.

A channel's settings are held with every secret value wrapped in
``pydantic.SecretStr`` (a string) or ``pydantic.Secret`` (anything else), so
``repr``, ``str``, ``model_dump(mode="json")``, a config dump and ``--json``
output show ``**********``. A setting is secret when its key says so (it
contains ``token``, ``secret``, ``password``, ``key``, ``auth``, ``credential``,
``cookie``, ``session``, ``signature`` or ``jwt``, in any case, at any depth),
and when the adapter's settings model declares the field ``SecretStr`` or
``Secret`` (so an adapter whose credential has another name declares it so).
:func:`reveal` gives the plain values back to the one who parses them, the
adapter's settings model (:func:`~candor.adapters.parse_settings` does that).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, Secret, SecretStr

__all__ = ["looks_secret", "mask", "mask_settings", "reveal", "secret_fields"]

_SECRET_KEY = re.compile(
    r"token|secret|passw|key|auth|credential|cookie|session|signature|jwt", re.IGNORECASE
)


def looks_secret(key: str) -> bool:
    """Whether a setting named ``key`` holds a credential, by its name alone."""
    return bool(_SECRET_KEY.search(key))


def mask(value: Any) -> Any:
    """``value`` wrapped so that it prints as ``**********`` (already masked: as it is)."""
    if isinstance(value, SecretStr | Secret):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    return Secret(value)


def mask_settings(settings: Mapping[str, Any], secret_keys: Collection[str] = ()) -> dict[str, Any]:
    """``settings`` with the values of ``secret_keys`` and of keys that look secret masked.

    Mappings inside are masked key by key in the same way; a secret key's whole
    value is masked, whatever it holds.
    """
    return {
        key: mask(value) if key in secret_keys or looks_secret(key) else _inner(value)
        for key, value in settings.items()
    }


def _inner(value: Any) -> Any:
    if isinstance(value, Mapping):
        return mask_settings(value)
    if isinstance(value, list | tuple):
        return type(value)(_inner(item) for item in value)
    return value


def reveal(value: Any) -> Any:
    """``value`` with every masked value inside it unwrapped, for a settings model to parse."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Secret):
        return reveal(value.get_secret_value())
    if isinstance(value, Mapping):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(reveal(item) for item in value)
    return value


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of a settings model declared ``SecretStr`` or ``Secret[...]``, optional or not."""
    return frozenset(
        name for name, field in model.model_fields.items() if _is_secret(field.annotation)
    )


def _is_secret(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, SecretStr | Secret):
        return True
    origin = typing.get_origin(annotation)
    if isinstance(origin, type) and issubclass(origin, Secret):
        return True
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        return any(_is_secret(arg) for arg in typing.get_args(annotation))
    return False
