"""A real forwarding HTTP proxy on 127.0.0.1 that records every request it is asked to carry.

It speaks the two forms a client uses with a proxy (RFC 9110 §9.3.6 and RFC
9112 §3.2.2): a request in absolute form (``POST http://host:port/path``),
which it sends on to the origin and whose answer it relays, and ``CONNECT
host:port``, after which it pipes bytes both ways (TLS passes through it
unread). It runs an event loop in a thread of its own, so that a synchronous
``Communicator`` can be pointed at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Carried:
    """One request the proxy was asked to carry: its method, target and headers (lower-cased)."""

    method: str
    target: str
    headers: dict[str, str]


@dataclass
class RecordingProxy:
    """Records each request; with ``refuse_tunnels``, answers every CONNECT 403 Forbidden."""

    requests: list[Carried] = field(default_factory=list)
    port: int = 0
    refuse_tunnels: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return  # the client is done with this connection
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                self.requests.append(Carried(method, target, headers))
                if method == "CONNECT":
                    if self.refuse_tunnels:  # as a proxy whose policy forbids the target does
                        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                        await writer.drain()
                        return
                    await self._tunnel(target, reader, writer)
                    return
                await self._forward(method, target, headers, reader, writer)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _forward(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        origin_reader, origin_writer = await asyncio.open_connection(
            parts.hostname, parts.port or 80
        )
        sent = {k: v for k, v in headers.items() if not k.startswith("proxy-")}
        sent["connection"] = "close"  # one request per origin connection: its answer ends at EOF
        origin_writer.write(
            f"{method} {path or '/'} HTTP/1.1\r\n".encode()
            + "".join(f"{k}: {v}\r\n" for k, v in sent.items()).encode("latin-1")
            + b"\r\n"
            + body
        )
        await origin_writer.drain()
        answer = await origin_reader.read()  # framed by its Content-Length for our client
        origin_writer.close()
        writer.write(answer)
        await writer.drain()

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, port = target.rsplit(":", 1)
        origin_reader, origin_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65_536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, origin_writer), pipe(origin_reader, writer))


@contextlib.contextmanager
def recording_proxy() -> Iterator[RecordingProxy]:
    """A :class:`RecordingProxy` listening on 127.0.0.1 for the duration of the block."""
    proxy = RecordingProxy()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(proxy.handle, "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:

        async def stop() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
