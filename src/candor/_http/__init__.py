"""candor's HTTP: the client every adapter shares, its transport, its errors (private).

- :mod:`candor._http.client`: :func:`~candor._http.client.default_client`, the
  one place the default ``httpx.AsyncClient`` is made, with proxies from the
  environment read as httpx reads them.
- :mod:`candor._http.transport`: :class:`~candor._http.transport.FanoutTransport`,
  HTTP/1.1 for fanning out to hundreds of channels at once.
- :mod:`candor._http.errors`: the one table from the errors under HTTP (h11,
  sockets, TLS, timeouts) to httpx's exceptions.

This package imports no httpx itself, so that ``candor.config`` can read the
``[http]`` section without loading it: the modules above do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from candor._urls import AddressPolicy
from candor.errors import ConfigError

__all__ = ["AddressPolicy", "HTTPSettings", "Transport"]


class Transport(StrEnum):
    """What carries the default client's requests to origins reached without a proxy."""

    CANDOR = "candor"
    """candor's :class:`~candor._http.transport.FanoutTransport` (HTTP/1.1; the default)."""
    HTTPX = "httpx"
    """httpx's own transport (httpcore), exactly as a plain ``httpx.AsyncClient`` has it."""


@dataclass(frozen=True)
class HTTPSettings:
    """The ``[http]`` section of ``candor.toml``: how the default client is made.

    ``transport`` is a :class:`Transport` or its name. ``http2`` offers HTTP/2
    to servers that take it (over TLS, by ALPN); only httpx's transport speaks
    it, and it needs the ``h2`` package (``pip install 'candor[http2]'``).
    ``client_cert`` is a PEM file with the certificate (and, without
    ``client_key``, its private key) that the client shows servers asking for
    one, with either transport. ``allow_link_local``, ``allow_loopback`` and
    ``allow_private`` are the address policy (:class:`~candor._urls.AddressPolicy`):
    link-local and cloud metadata addresses are refused unless the first is
    true; loopback and private addresses are allowed unless the others are
    false. A wrong value raises :class:`~candor.errors.ConfigError` naming its
    key (``http.transport``, ``http.http2``, ``http.client_cert``, ...).
    """

    transport: Transport | str = Transport.CANDOR
    http2: bool = False
    client_cert: Path | None = None
    client_key: Path | None = None
    allow_link_local: bool = False
    allow_loopback: bool = True
    allow_private: bool = True

    @property
    def addresses(self) -> AddressPolicy:
        """Which addresses the default client connects to."""
        return AddressPolicy(
            allow_link_local=self.allow_link_local,
            allow_loopback=self.allow_loopback,
            allow_private=self.allow_private,
        )

    def __post_init__(self) -> None:
        try:
            chosen = Transport(self.transport)
        except ValueError:
            raise ConfigError(
                "must be 'candor' (candor's fan-out transport, the default) or 'httpx'"
                f" (httpx's own), not {self.transport!r}",
                key="http.transport",
            ) from None
        object.__setattr__(self, "transport", chosen)
        for name in ("http2", "allow_link_local", "allow_loopback", "allow_private"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ConfigError(f"must be true or false, not {value!r}", key=f"http.{name}")
        if self.http2 and chosen is not Transport.HTTPX:
            raise ConfigError(
                "HTTP/2 is spoken by httpx's transport only: set transport = 'httpx' with it",
                key="http.http2",
            )
        if self.client_key is not None and self.client_cert is None:
            raise ConfigError("a client key needs its client_cert", key="http.client_key")
