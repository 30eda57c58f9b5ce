"""An ``httpx`` transport for fanning one update out to hundreds of channels at once.

Every adapter speaks through one shared :class:`httpx.AsyncClient`; this is the
transport :func:`candor._http.client.default_client` gives that client for every
origin not sent through a proxy. It speaks HTTP/1.1
with `h11 <https://h11.readthedocs.io>`_ (the protocol library httpcore itself
uses) over asyncio streams, and keeps its pool of connections in a dictionary
keyed by origin, so that starting or finishing a request costs the same with
one connection open as with five hundred. httpcore's pool instead looks at
every connection it holds each time a request starts or ends, each look a
system call (encode/httpx#3215), which at a fan-out of hundreds costs more
than the requests themselves (``benchmarks/fanout.py`` measures both).

What it does, in the terms of ``httpx``:

- ``http://`` and ``https://`` over HTTP/1.1 with keep-alive; TLS verified with
  httpx's default context (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``)
  unless ``verify`` says otherwise. No HTTP/2.
- ``limits``: ``max_connections`` caps the connections open at once (a request
  that finds none free waits, up to the pool timeout); ``max_keepalive_connections``
  caps the idle ones kept; ``keepalive_expiry`` is how long one is kept idle.
- Each phase has the request's timeout (``connect``, ``read``, ``write``,
  ``pool``), and fails with the same exceptions httpcore raises
  (:class:`httpx.ConnectError`, :class:`httpx.ReadTimeout`...), each chosen by
  the one table in :mod:`candor._http.errors`, so callers classify errors the
  same whichever transport runs (see :mod:`candor.adapters.http`).
- A host name is resolved once and every address it gives is judged by the
  address policy (:mod:`candor._http.guard`) before a connection is made to it.
- An idle connection the server has closed is never reused; one a response was
  not read to the end on, or that the server asked to close, is closed.

It knows nothing of proxies: :func:`candor._http.client.default_client` mounts
httpx's own proxy transports for the origins the environment sends through a
proxy, and this transport carries the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

from candor._http.errors import Phase, mapped
from candor._http.guard import allowed_addresses
from candor._urls import AddressPolicy

__all__ = ["FANOUT_LIMITS", "FanoutTransport"]

FANOUT_LIMITS = httpx.Limits(
    max_connections=512, max_keepalive_connections=256, keepalive_expiry=5.0
)
"""The default limits: 512 connections at once, 256 kept alive for 5 s."""

_READ_SIZE = 65_536
_Origin = tuple[bytes, bytes, int]
_Waiter = asyncio.Future["_Connection | None"]


class _Connection:
    """One HTTP/1.1 connection: its streams, its h11 state machine, when it fell idle."""

    __slots__ = ("h11", "idle_since", "loop", "origin", "reader", "writer")

    def __init__(
        self,
        origin: _Origin,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.origin = origin
        self.reader = reader
        self.writer = writer
        self.loop = loop
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float | None) -> bool:
        """Whether an idle connection may carry another request."""
        return (
            self.loop is asyncio.get_running_loop()
            and not self.reader.at_eof()
            and not self.writer.is_closing()
            and (expiry is None or now - self.idle_since < expiry)
        )

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop is already closed
            self.writer.close()


class FanoutTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 for many requests at once, at a cost per request that does not grow with them.

    ``verify`` is an :class:`ssl.SSLContext`, True (httpx's default context,
    made on the first ``https://`` connection) or False (no verification: for
    tests only). ``limits`` are an :class:`httpx.Limits` (default
    :data:`FANOUT_LIMITS`). ``addresses`` is the address policy every resolved
    address is judged by (default: link-local and cloud metadata refused).
    See the module docstring for what it supports.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = FANOUT_LIMITS,
        addresses: AddressPolicy | None = None,
    ) -> None:
        self._verify = verify
        self._addresses = addresses or AddressPolicy()
        self._context = verify if isinstance(verify, ssl.SSLContext) else None
        self._max_connections = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        # Idle connections by origin (the newest last), and all of them oldest first.
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._by_age: dict[_Connection, None] = {}
        self._open = 0  # connections open or being opened, idle ones included
        # Requests waiting for a place while max_connections are open: all of them in order,
        # and by origin, so that a connection that falls free goes to one that can use it.
        self._waiting: deque[_Waiter] = deque()
        self._waiting_for: dict[_Origin, deque[_Waiter]] = {}
        self._closed = False

    # -- the pool ----------------------------------------------------------------------

    def _take_idle(self, origin: _Origin, now: float) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            del self._by_age[connection]
            if connection.usable(now, self._expiry):
                return connection
            self._discard(connection)
        return None

    async def _wait(
        self, request: httpx.Request, origin: _Origin, timeout: float | None
    ) -> _Connection | None:
        """Wait for a place while ``max_connections`` are open.

        Returns a connection to ``origin`` that fell free, or None: a place was
        counted for a new connection.
        """
        waiter: _Waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._waiting_for.setdefault(origin, deque()).append(waiter)
        with mapped(Phase.POOL, request, timeout=timeout, where=f"{self._max_connections} open"):
            try:
                async with asyncio.timeout(timeout):
                    return await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    # Handed over just as the wait ended: pass it on.
                    handed = waiter.result()
                    if handed is None:
                        self._release()
                    else:
                        self._keep(handed)
                else:
                    waiter.cancel()
                raise

    def _oldest_idle(self) -> _Connection:
        oldest = next(iter(self._by_age))
        del self._by_age[oldest]
        self._idle[oldest.origin].remove(oldest)  # the first of its origin's, being the oldest
        return oldest

    def _release(self) -> None:
        """One connection fewer: hand its place to the first request waiting, if any."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._open -= 1

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        self._release()

    def _keep(self, connection: _Connection) -> None:
        """A connection ready for another request: to one waiting for its origin, or idle."""
        waiters = self._waiting_for.get(connection.origin)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        while self._waiting and self._waiting[0].done():
            self._waiting.popleft()  # served, timed out or cancelled already
        if self._closed or self._waiting:
            # Requests for other origins wait for a place (the pool is full and nothing is
            # idle): keeping this one idle would leave them waiting; close it, hand its place.
            self._discard(connection)
            return
        if self._max_idle is not None and len(self._by_age) >= self._max_idle:
            if self._max_idle == 0:
                self._discard(connection)
                return
            self._discard(self._oldest_idle())
        connection.idle_since = connection.loop.time()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._by_age[connection] = None

    async def aclose(self) -> None:
        """Close every idle connection; connections still in use close when their answer ends."""
        self._closed = True
        idle, self._by_age = list(self._by_age), {}
        self._idle.clear()
        for connection in idle:
            self._discard(connection)

    # -- one request -------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(
                f"the URL has the scheme {url.scheme!r}; only http and https are supported",
                request=request,
            )
        if not url.raw_host:
            raise httpx.UnsupportedProtocol("the URL has no host", request=request)
        if self._closed:
            raise RuntimeError("the transport is closed")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        port = url.port or (443 if scheme == b"https" else 80)
        origin: _Origin = (scheme, url.raw_host, port)
        loop = asyncio.get_running_loop()
        connection = self._take_idle(origin, loop.time())
        if connection is None:
            if self._max_connections is None or self._open < self._max_connections:
                self._open += 1
            elif self._by_age:
                # An idle connection to another origin gives its place up.
                self._discard(self._oldest_idle())
                self._open += 1
            else:
                connection = await self._wait(request, origin, timeouts.get("pool"))
        if connection is None:
            try:
                connection = await self._connect(request, origin, timeouts.get("connect"))
            except BaseException:
                self._release()
                raise
        try:
            response = await self._exchange(connection, request, timeouts)
        except BaseException:
            self._discard(connection)
            raise
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Body(self, connection, request, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason},
        )

    async def _connect(
        self, request: httpx.Request, origin: _Origin, timeout: float | None
    ) -> _Connection:
        scheme, host_bytes, port = origin
        host = host_bytes.decode("ascii")
        context = self._ssl_context() if scheme == b"https" else None
        # Refused, unreachable, an unknown host, a failed TLS handshake: see the table.
        with mapped(Phase.CONNECT, request, timeout=timeout, where=f"{host}:{port}"):
            async with asyncio.timeout(timeout):
                # Resolved once and judged by the address policy; the connection goes to an
                # address it allows, never to the name (a second lookup could differ).
                addresses = await allowed_addresses(host, port, self._addresses, request)
                failure: OSError | None = None
                for address in addresses:
                    try:
                        reader, writer = await asyncio.open_connection(
                            address,
                            port,
                            ssl=context,
                            server_hostname=host if context is not None else None,
                            limit=_READ_SIZE,
                        )
                    except OSError as exc:
                        failure = exc
                        continue
                    return _Connection(origin, reader, writer, asyncio.get_running_loop())
                assert failure is not None
                raise failure

    def _ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = httpx.create_ssl_context(verify=self._verify)
        return self._context

    async def _exchange(
        self, connection: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> h11.Response:
        """Send the request and read the answer's head; the body is read by :class:`_Body`."""
        state = connection.h11
        writer = connection.writer
        timeout = timeouts.get("write")
        try:
            # A header h11 refuses to send, a write timeout, a reset: see the table.
            with mapped(Phase.WRITE, request, timeout=timeout):
                head = h11.Request(
                    method=request.method, target=request.url.raw_path, headers=request.headers.raw
                )
                try:
                    content: bytes | None = request.content
                except httpx.RequestNotRead:
                    content = None
                if content is not None:
                    data = state.send(head) or b""
                    if content:
                        data += state.send(h11.Data(data=content)) or b""
                    data += state.send(h11.EndOfMessage()) or b""
                    writer.write(data)
                    await _drain(writer, timeout)
                else:
                    writer.write(state.send(head) or b"")
                    assert isinstance(request.stream, httpx.AsyncByteStream)
                    async for chunk in request.stream:
                        writer.write(state.send(h11.Data(data=chunk)) or b"")
                        await _drain(writer, timeout)
                    writer.write(state.send(h11.EndOfMessage()) or b"")
                    await _drain(writer, timeout)
        except httpx.WriteError:
            # The server may have answered and closed before taking the whole body
            # (a 413, say): its answer is worth more than our write error.
            try:
                return await _read_head(connection, request, timeouts.get("read"))
            except httpx.TransportError:
                pass
            raise
        return await _read_head(connection, request, timeouts.get("read"))


async def _drain(writer: asyncio.StreamWriter, timeout: float | None) -> None:
    """Wait until the socket has taken what was written (at once, usually)."""
    if writer.transport.get_write_buffer_size() == 0 and not writer.is_closing():
        return  # all of it is in the kernel already: nothing to wait for
    async with asyncio.timeout(timeout):
        await writer.drain()


async def _next_event(
    connection: _Connection, request: httpx.Request, timeout: float | None
) -> Any:
    """The next h11 event from the server, reading from the socket as needed."""
    state = connection.h11
    # An answer h11 cannot parse, a read timeout, a reset: see the table.
    with mapped(Phase.READ, request, timeout=timeout):
        while True:
            event = state.next_event()
            if event is not h11.NEED_DATA:
                return event
            async with asyncio.timeout(timeout):
                data = await connection.reader.read(_READ_SIZE)
            if not data and state.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError(
                    "the server closed the connection without answering", request=request
                )
            state.receive_data(data)


async def _read_head(
    connection: _Connection, request: httpx.Request, timeout: float | None
) -> h11.Response:
    while True:
        event = await _next_event(connection, request, timeout)
        if isinstance(event, h11.Response):
            return event
        if isinstance(event, h11.ConnectionClosed):
            raise httpx.RemoteProtocolError(
                "the server closed the connection without answering", request=request
            )
        # h11.InformationalResponse (1xx): the real answer follows.


class _Body(httpx.AsyncByteStream):
    """The body of one answer, read as it is iterated; the connection goes back when it ends."""

    def __init__(
        self,
        transport: FanoutTransport,
        connection: _Connection,
        request: httpx.Request,
        timeout: float | None,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._request = request
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        try:
            while True:
                event = await _next_event(connection, self._request, self._timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
        except BaseException:
            self._finish(reuse=False)
            raise
        state = connection.h11
        self._finish(reuse=state.our_state is h11.DONE and state.their_state is h11.DONE)

    def _finish(self, *, reuse: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if reuse:
            connection.h11.start_next_cycle()
            self._transport._keep(connection)
        else:
            self._transport._discard(connection)

    async def aclose(self) -> None:
        # Closed before the end of the body: the rest of it is still on the wire.
        self._finish(reuse=False)
