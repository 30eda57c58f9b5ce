"""Secret settings stay masked in a :class:`~candor.vocabulary.Channel`, whatever shows it.

A channel's settings are held with every secret value wrapped in
``pydantic.SecretStr`` (a string) or ``pydantic.Secret`` (anything else), so
``repr``, ``str``, ``model_dump(mode="json")``, a config dump and ``--json``
output show ``**********``. A setting is secret when its key says so (it
contains ``token``, ``secret``, ``password``, ``key``, ``auth``, ``credential``,
``cookie``, ``session``, ``signature`` or ``jwt``, in any case, at any depth),
and when the adapter's settings model declares the field ``SecretStr`` or
``Secret`` (so an adapter whose credential has another name declares it so);
and a URL that carries a password (``https://user:password@host``) is masked
whole, whatever its key.
:func:`reveal` gives the plain values back to the one who parses them, the
adapter's settings model (:func:`~candor.adapters.parse_settings` does that).

A secret can come back in pieces: a receiver that answers "Cannot POST
/services/T000/B000/XXXX" quotes a webhook URL's path, one that echoes its
request headers quotes the ``Authorization: Basic`` form of the URL's
``user:password@``. :func:`secret_parts` gives every such piece, so that each
is registered (``candor.log.register_secret``) and masked wherever candor
writes or prints.
"""

from __future__ import annotations

import base64
import binascii
import re
import types
import typing
from collections.abc import Collection, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from pydantic import BaseModel, Secret, SecretStr

from candor._state import SHORTEST

__all__ = [
    "looks_secret",
    "mask",
    "mask_settings",
    "masked_values",
    "reveal",
    "secret_fields",
    "secret_parts",
]

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
    if isinstance(value, str) and _has_password(value):
        return SecretStr(value)  # a URL that carries a password is a secret, whatever its key
    if isinstance(value, Mapping):
        return mask_settings(value)
    if isinstance(value, list | tuple):
        return type(value)(_inner(item) for item in value)
    return value


def _has_password(value: str) -> bool:
    if "://" not in value or "@" not in value:
        return False
    try:
        return urlsplit(value.strip()).password is not None
    except ValueError:
        return False


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


def masked_values(value: Any) -> Iterator[str]:
    """Every string held masked inside ``value`` (settings as :func:`mask_settings` gives them)."""
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, Secret):
        yield from _strings(value.get_secret_value())
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from masked_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from masked_values(item)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside ``value``, whatever wraps it: all of a secret's content is secret."""
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, Secret):
        yield from _strings(value.get_secret_value())
    elif isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


_SCHEME_WORD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s+(\S.*)$")


def secret_parts(value: str) -> list[str]:
    """``value`` and every piece of it that may come back alone, each as sent and as decoded.

    - a header value ``<scheme> <credential>`` (``Bearer x``, ``Token x``): the
      credential; for ``Basic``, also what it decodes to and its password;
    - a URL: its user info (``user:password``), password and the
      ``Authorization: Basic`` form a client sends for them; its host (alone
      and with the port); its path and every tail of the path from a ``/`` on
      (a token is usually its last segment); its query and each query value;
      its fragment.

    Each piece is given as written, percent-decoded and percent-encoded (as in
    a URL, as OAuth 1.0a signs it, as a form body carries it), so that a
    receiver that decodes or encodes what it quotes is masked too. Pieces shorter
    than 6 characters are left out: masking them would mangle ordinary words.
    """
    pieces = [value]
    match = _SCHEME_WORD.match(value.strip())
    if match:
        scheme, credential = match.group(1), match.group(2).strip()
        pieces.append(credential)
        if scheme.lower() == "basic":
            pieces += _basic_decoded(credential)
    if "://" in value:
        pieces += _url_parts(value.strip())
    found: dict[str, None] = {}
    for piece in pieces:
        plain = unquote(piece) if "%" in piece else piece
        forms = [piece, plain]
        if _NEEDS_QUOTING.search(plain):
            forms.append(quote(plain, safe=_URL_SAFE))  # as in a URL
        if _NOT_UNRESERVED.search(plain):
            # As OAuth 1.0a signs it and as a form body carries it (RFC 3986, RFC 1866).
            forms += [quote(plain, safe="-._~"), quote_plus(plain, safe="-._~")]
        for form in forms:
            if len(form) >= _SHORTEST:
                found[form] = None
    return list(found)


_SHORTEST = SHORTEST
_URL_SAFE = "/:@!$&'()*+,;=?~-._"
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9/:@!$&'()*+,;=?~._-]")
_NOT_UNRESERVED = re.compile(r"[^A-Za-z0-9~._-]")


def _basic_decoded(credential: str) -> list[str]:
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return []
    return [decoded, decoded.partition(":")[2]]


def _looks_like_a_token(text: str) -> bool:
    return len(text) >= 12 or any(char.isdigit() for char in text)


def _url_parts(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        hostport = parts.netloc
    if userinfo:
        username, _, password = userinfo.partition(":")
        plain = f"{unquote(username)}:{unquote(password)}"
        basic = base64.b64encode(plain.encode("utf-8")).decode("ascii")
        found += [userinfo, plain, password, basic, f"Basic {basic}"]
    if hostport:
        found.append(hostport)
        host = hostport.rsplit(":", 1)[0] if not hostport.endswith("]") else hostport
        found += [host, host.lower(), hostport.lower()]
    path = parts.path
    if path.strip("/"):
        found.append(path)
        segments = path.split("/")
        for start in range(1, len(segments)):
            tail = "/".join(segments[start:])
            found.append("/" + tail)
            if _looks_like_a_token(tail):  # bare, only what no ordinary word is ("webhook")
                found.append(tail)
    if parts.query:
        found.append(parts.query)
        found += [item for _, item in parse_qsl(parts.query, keep_blank_values=False)]
    if parts.fragment:
        found.append(parts.fragment)
    return found
