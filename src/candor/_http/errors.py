"""The one table that turns the errors of the layers under HTTP into httpx's exceptions.

:class:`~candor._http.transport.FanoutTransport` speaks through h11, asyncio
streams, sockets and :mod:`ssl`. Whatever those raise leaves the transport as
the :class:`httpx.TransportError` a caller of httpx expects, chosen by what was
raised and the phase of the request it was raised in:

=================================  ==================  ================  ====================
raised                             connecting          sending           reading the answer
=================================  ==================  ================  ====================
``TimeoutError``                   ``ConnectTimeout``  ``WriteTimeout``  ``ReadTimeout``
``OSError`` (TLS, DNS, refused)    ``ConnectError``    ``WriteError``    ``ReadError``
=================================  ==================  ================  ====================

A ``TimeoutError`` while waiting for a free connection is ``PoolTimeout``;
h11's ``LocalProtocolError`` and ``RemoteProtocolError`` become httpx's of the
same names in every phase. Every piece of the transport that touches those
layers runs inside :class:`mapped`, so there is no other ``except`` clause for
them. (httpx does the same one level up, from httpcore's exceptions, in
``httpx._transports.default``.)

A message names the host and port at most, never the request's path or query,
which may carry a token; :func:`candor.adapters.http.transport_error` scrubs
what reaches a DeliveryError besides.
"""

from __future__ import annotations

import os
import socket
import ssl
from enum import StrEnum
from types import TracebackType

import h11
import httpx

__all__ = ["Phase", "describe", "mapped"]


class Phase(StrEnum):
    """Where in a request an error happened."""

    POOL = "pool"
    CONNECT = "connect"
    WRITE = "write"
    READ = "read"


_Row = tuple[type[httpx.TransportError], str]

# (phase or None for every phase, what was raised) -> (httpx's exception, its message).
# In the messages, {where} is what the caller names (host:port, the pool's size),
# {within} how long was allowed, {cause} the lower error in words.
_TABLE: dict[tuple[Phase | None, type[BaseException]], _Row] = {
    (Phase.POOL, TimeoutError): (httpx.PoolTimeout, "no connection free {within} ({where})"),
    (Phase.CONNECT, TimeoutError): (httpx.ConnectTimeout, "no connection to {where} {within}"),
    (Phase.CONNECT, OSError): (httpx.ConnectError, "cannot connect to {where}: {cause}"),
    (Phase.WRITE, TimeoutError): (httpx.WriteTimeout, "could not send {within}"),
    (Phase.WRITE, OSError): (httpx.WriteError, "{cause}"),
    (Phase.READ, TimeoutError): (httpx.ReadTimeout, "no answer {within}"),
    (Phase.READ, OSError): (httpx.ReadError, "{cause}"),
    (None, h11.LocalProtocolError): (httpx.LocalProtocolError, "{cause}"),
    (None, h11.RemoteProtocolError): (httpx.RemoteProtocolError, "{cause}"),
}


def lookup(phase: Phase, raised: type[BaseException]) -> _Row | None:
    """The table's row for an exception of type ``raised`` in ``phase``, or None."""
    for kind in raised.__mro__:  # the most specific entry first: TimeoutError is an OSError
        row = _TABLE.get((phase, kind)) or _TABLE.get((None, kind))
        if row is not None:
            return row
    return None


class mapped:  # lowercase, as contextlib.suppress: it reads as `with mapped(...)`
    """Within this block, a lower-level error leaves as httpx's exception for ``phase``.

    ``timeout`` is the time the block was allowed (for the message), ``where``
    what the message names: ``host:port`` when connecting, the pool's size when
    waiting for it. Anything the table does not list (httpx's own exceptions,
    cancellation) passes through unchanged.
    """

    __slots__ = ("phase", "request", "timeout", "where")

    def __init__(
        self,
        phase: Phase,
        request: httpx.Request,
        *,
        timeout: float | None = None,
        where: str = "",
    ) -> None:
        self.phase = phase
        self.request = request
        self.timeout = timeout
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None or error is None:
            return
        row = lookup(self.phase, kind)
        if row is None:
            return
        target, message = row
        within = (
            f"within {self.timeout:g} s"
            if self.timeout is not None and not getattr(error, "errno", None)
            else f"in time ({describe(error)})"
        )
        text = message.format(where=self.where, within=within, cause=describe(error))
        raise target(text, request=self.request) from None


def describe(exc: BaseException) -> str:
    """What went wrong, in words: "Connection refused", not "[Errno 111] Connect call failed"."""
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name: {exc.strerror}"
    errno = exc.errno if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) else None
    if errno is not None and errno > 0:
        return os.strerror(errno)
    return str(exc) or type(exc).__name__
