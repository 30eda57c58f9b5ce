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

from candor.errors import ConfigError

__all__ = ["HTTPSettings", "Transport"]


class Transport(StrEnum):
    """What carries the default client's requests to origins reached without a proxy."""

    CANDOR = "candor"
    """candor's :class:`~candor._http.transport.FanoutTransport` (HTTP/1.1; the default)."""
    HTTPX = "httpx"
    """httpx's own transport (httpcore), exactly as a plain ``httpx.AsyncClient`` has it."""


@dataclass(frozen=True)
class HTTPSettings:
    """The ``[http]`` section of ``candor.toml``: how the default client is made.

    ``transport`` is a :class:`Transport` or its name; any other value raises
    :class:`~candor.errors.ConfigError` naming the key ``http.transport``.
    """

    transport: Transport | str = Transport.CANDOR

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
