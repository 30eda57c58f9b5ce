"""FanoutTransport against real servers on 127.0.0.1: pooling, limits, timeouts, failures, TLS."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from candor._http.transport import FanoutTransport

# -- a scriptable server -----------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int


Respond = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]
"""Writes the answer; returns whether the connection stays open for another request."""


async def ok(request: Request, writer: asyncio.StreamWriter) -> bool:
    body = json.dumps({"path": request.path, "size": len(request.body)}).encode()
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    await writer.drain()
    return True


@dataclass
class Server:
    respond: Respond = ok
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    closed_by_client: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    self.closed_by_client += 1
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = b""
                if "content-length" in headers:
                    body = await reader.readexactly(int(headers["content-length"]))
                elif headers.get("transfer-encoding") == "chunked":
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                        chunk = await reader.readexactly(size + 2)
                        if size == 0:
                            break
                        body += chunk[:-2]
                request = Request(method, path, headers, body, number)
                self.requests.append(request)
                if not await self.respond(request, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


@asynccontextmanager
async def serving(respond: Respond = ok, **options: object) -> AsyncIterator[Server]:
    server = Server(respond)
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, **options)  # type: ignore[arg-type]
    server.port = listening.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listening.close()


def client(**options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=FanoutTransport(**options), timeout=5.0)  # type: ignore[arg-type]


def run(coroutine: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 30))  # type: ignore[arg-type]


# -- pooling -----------------------------------------------------------------------------


def test_it_posts_and_reads_the_answer_and_reuses_the_connection() -> None:
    async def scenario() -> None:
        async with serving() as server, client() as http:
            first = await http.post(f"{server.url}/a", json={"x": 1})
            second = await http.post(f"{server.url}/b", content=b"hello")
            assert first.status_code == 200
            assert first.reason_phrase == "OK"
            assert first.http_version == "HTTP/1.1"
            assert first.json() == {"path": "/a", "size": len(b'{"x":1}')}
            assert second.json() == {"path": "/b", "size": 5}
            assert server.connections == 1
            assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"
            assert server.requests[0].headers["content-type"] == "application/json"

    run(scenario())


def test_a_fan_out_opens_a_connection_per_request_then_reuses_them_all() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.05)
        return await ok(request, writer)

    async def scenario() -> None:
        async with serving(slow) as server, client() as http:
            for _ in range(2):
                answers = await asyncio.gather(
                    *(http.post(f"{server.url}/{n}", content=b"x") for n in range(120))
                )
                assert [a.json()["path"] for a in answers] == [f"/{n}" for n in range(120)]
            assert server.connections == 120
            assert len(server.requests) == 240

    run(scenario())


def test_no_more_than_max_connections_are_open_at_once() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        return await ok(request, writer)

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=3, max_keepalive_connections=3)
        async with serving(slow) as server, client(limits=limits) as http:
            answers = await asyncio.gather(*(http.get(f"{server.url}/{n}") for n in range(12)))
            assert all(a.status_code == 200 for a in answers)
            assert server.most_open <= 3
            assert server.connections == 3
            await asyncio.sleep(0.05)
            assert server.closed_by_client == 0  # once the queue is gone, all three are kept

    run(scenario())


def test_a_full_pool_closes_an_idle_connection_to_another_origin_to_make_room() -> None:
    async def scenario() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with serving() as one, serving() as two, client(limits=limits) as http:
            await http.get(f"{one.url}/")
            await http.get(f"{two.url}/")
            await asyncio.sleep(0.05)
            assert one.closed_by_client == 1
            assert (await http.get(f"{two.url}/")).status_code == 200
            assert two.connections == 1

    run(scenario())


def test_waiting_for_a_free_connection_ends_in_pool_timeout() -> None:
    release = asyncio.Event()

    async def hold(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.path == "/hold":
            await release.wait()
        return await ok(request, writer)

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=1)
        async with serving(hold) as server, client(limits=limits) as http:
            held = asyncio.create_task(http.get(f"{server.url}/hold"))
            await asyncio.sleep(0.05)
            timeout = httpx.Timeout(5.0, pool=0.1)
            with pytest.raises(httpx.PoolTimeout, match=r"no connection free within 0\.1 s"):
                await http.get(f"{server.url}/next", timeout=timeout)
            release.set()
            assert (await held).status_code == 200
            assert (await http.get(f"{server.url}/after")).status_code == 200

    run(scenario())


def test_a_waiting_request_gets_the_place_of_a_connection_that_ends() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        return await ok(request, writer)

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=2)
        async with serving(slow) as one, serving(slow) as two, client(limits=limits) as http:
            urls = [f"{(one if n % 2 else two).url}/{n}" for n in range(10)]
            answers = await asyncio.gather(*(http.get(url) for url in urls))
            assert all(a.status_code == 200 for a in answers)
            assert one.most_open + two.most_open <= 2

    run(scenario())


def test_idle_connections_expire_and_the_keepalive_cap_holds() -> None:
    async def scenario() -> None:
        expiring = httpx.Limits(max_connections=10, keepalive_expiry=0.05)
        async with serving() as server, client(limits=expiring) as http:
            await http.get(f"{server.url}/")
            await asyncio.sleep(0.1)
            await http.get(f"{server.url}/")
            assert server.connections == 2
        none_kept = httpx.Limits(max_connections=10, max_keepalive_connections=0)
        async with serving() as server, client(limits=none_kept) as http:
            for _ in range(3):
                await http.get(f"{server.url}/")
            assert server.connections == 3

    run(scenario())


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def once(request: Request, writer: asyncio.StreamWriter) -> bool:
        await ok(request, writer)
        return False  # close after answering, without saying so

    async def scenario() -> None:
        async with serving(once) as server, client() as http:
            await http.get(f"{server.url}/")
            await asyncio.sleep(0.05)  # the close reaches the client
            assert (await http.get(f"{server.url}/")).status_code == 200
            assert server.connections == 2

    run(scenario())


def test_connection_close_is_honoured() -> None:
    async def closing(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        return False

    async def scenario() -> None:
        async with serving(closing) as server, client() as http:
            for _ in range(3):
                assert (await http.post(f"{server.url}/", content=b"x")).status_code == 204
            assert server.connections == 3

    run(scenario())


def test_a_connection_from_another_event_loop_is_not_reused() -> None:
    # The server runs on a loop of its own, in a thread, so that it outlives the client's.
    server = Server()
    ready = threading.Event()
    server_loop = asyncio.new_event_loop()

    async def listen() -> asyncio.Server:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = listening.sockets[0].getsockname()[1]
        return listening

    def serve() -> None:
        asyncio.set_event_loop(server_loop)
        listening = server_loop.run_until_complete(listen())
        ready.set()
        server_loop.run_forever()
        listening.close()
        handlers = asyncio.all_tasks(server_loop)
        for handler in handlers:
            handler.cancel()
        server_loop.run_until_complete(asyncio.gather(*handlers, return_exceptions=True))
        server_loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(5)
    http = httpx.AsyncClient(transport=FanoutTransport())

    async def get() -> None:
        assert (await http.get(f"{server.url}/")).status_code == 200

    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        first.run_until_complete(get())
        first.run_until_complete(get())
        assert server.connections == 1  # reused on its own loop
        second.run_until_complete(get())  # the idle one belongs to the first loop
        assert server.connections == 2
        second.run_until_complete(http.aclose())
        first.run_until_complete(asyncio.sleep(0.01))  # the first loop closes its socket
    finally:
        first.close()
        second.close()
        server_loop.call_soon_threadsafe(server_loop.stop)
        thread.join(5)


def test_aclose_closes_the_idle_connections() -> None:
    async def scenario() -> None:
        async with serving() as server:
            http = client()
            await http.get(f"{server.url}/")
            await http.aclose()
            await asyncio.sleep(0.05)
            assert server.closed_by_client == 1
            with pytest.raises(RuntimeError):
                await http.get(f"{server.url}/")

    run(scenario())


# -- bodies --------------------------------------------------------------------------------


def test_a_chunked_answer_streams_and_an_unfinished_one_is_not_reused() -> None:
    async def chunked(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (b"one,", b"two,", b"three"):
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serving(chunked) as server, client() as http:
            async with http.stream("GET", f"{server.url}/") as answer:
                parts = [part async for part in answer.aiter_raw()]
            assert b"".join(parts) == b"one,two,three"
            assert len(parts) >= 2  # read as it came, not all at the end
            async with http.stream("GET", f"{server.url}/") as answer:
                async for _ in answer.aiter_raw():
                    break  # leave the rest of the body unread
            assert (await http.get(f"{server.url}/")).text == "one,two,three"
            assert server.connections == 2

    run(scenario())


def test_a_streamed_request_body_arrives_whole() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for n in range(50):
            yield f"part {n};".encode()

    async def scenario() -> None:
        async with serving() as server, client() as http:
            answer = await http.post(f"{server.url}/", content=parts())
            assert answer.status_code == 200
            expected = "".join(f"part {n};" for n in range(50)).encode()
            assert server.requests[0].body == expected
            large = b"z" * 5_000_000
            answer = await http.post(f"{server.url}/large", content=large)
            assert answer.json()["size"] == len(large)

    run(scenario())


def test_an_informational_answer_is_skipped_and_head_has_no_body() -> None:
    async def answers(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.method == "HEAD":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serving(answers) as server, client() as http:
            created = await http.post(f"{server.url}/", content=b"x")
            assert (created.status_code, created.text) == (201, "ok")
            head = await http.head(f"{server.url}/")
            assert (head.status_code, head.content) == (200, b"")
            assert server.connections == 1

    run(scenario())


def test_an_answer_before_the_body_was_read_is_returned() -> None:
    async def too_large(request: Request, writer: asyncio.StreamWriter) -> bool:
        raise AssertionError("not reached: the server below answers from the head")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            body = b'{"error":"payload too large"}'
            writer.write(
                b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Type: "
                b"application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            await writer.drain()
            while await reader.read(65536):  # read the rest, politely, before closing
                pass
        finally:
            writer.close()

    async def scenario() -> None:
        listening = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        async with client() as http:
            answer = await http.post(f"http://127.0.0.1:{port}/", content=b"y" * 3_000_000)
            assert answer.status_code == 413
            assert answer.json() == {"error": "payload too large"}
        listening.close()

    run(scenario())


# -- failures ------------------------------------------------------------------------------


def test_a_refused_connection_is_a_connect_error_naming_the_cause() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once it is closed

    async def scenario() -> None:
        async with client() as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(f"http://127.0.0.1:{port}/")
            assert str(caught.value) == f"cannot connect to 127.0.0.1:{port}: Connection refused"
            assert caught.value.request.url.port == port

    run(scenario())


def test_a_connection_that_is_never_accepted_is_a_connect_timeout() -> None:
    async def scenario() -> None:
        # A listening socket with a full backlog that never accepts: the handshake never ends.
        with socket.socket() as full:
            full.bind(("127.0.0.1", 0))
            full.listen(0)
            port = full.getsockname()[1]
            fillers = []
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            try:
                async with client() as http:
                    with pytest.raises(httpx.ConnectTimeout, match=r"within 0\.2 s"):
                        await http.get(f"http://127.0.0.1:{port}/", timeout=httpx.Timeout(0.2))
            finally:
                for filler in fillers:
                    filler.close()

    run(scenario())


def test_a_slow_answer_is_a_read_timeout_and_its_connection_is_dropped() -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.path == "/slow":
            await asyncio.sleep(1.0)
        return await ok(request, writer)

    async def scenario() -> None:
        async with serving(slow) as server, client() as http:
            with pytest.raises(httpx.ReadTimeout, match=r"no answer within 0\.1 s"):
                await http.get(f"{server.url}/slow", timeout=httpx.Timeout(5.0, read=0.1))
            assert (await http.get(f"{server.url}/fast")).status_code == 200
            assert server.connections == 2

    run(scenario())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"", "closed the connection without answering"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", "complete message body"),
        (b"this is not HTTP\r\n\r\n", "illegal status line|malformed"),
    ],
    ids=["nothing", "half-a-body", "garbage"],
)
def test_a_broken_answer_is_a_remote_protocol_error(answer: bytes, message: str) -> None:
    async def broken(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer)
        await writer.drain()
        return False

    async def scenario() -> None:
        async with serving(broken) as server, client() as http:
            with pytest.raises(httpx.RemoteProtocolError, match=message):
                await http.post(f"{server.url}/", content=b"x")

    run(scenario())


def test_a_header_http_cannot_carry_is_a_local_protocol_error() -> None:
    async def scenario() -> None:
        async with serving() as server, client() as http:
            with pytest.raises(httpx.LocalProtocolError):
                await http.get(f"{server.url}/", headers={"X-Bad": "one\ttwo\x00"})
            assert (await http.get(f"{server.url}/")).status_code == 200

    run(scenario())


def test_other_schemes_are_refused() -> None:
    async def scenario() -> None:
        async with client() as http:
            with pytest.raises(httpx.UnsupportedProtocol, match="'ftp'"):
                await http.get("ftp://127.0.0.1/file")

    run(scenario())


def test_a_cancelled_request_gives_its_place_back() -> None:
    async def never(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.path == "/never":
            await asyncio.sleep(60)
        return await ok(request, writer)

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=1)
        async with serving(never) as server, client(limits=limits) as http:
            stuck = asyncio.create_task(http.get(f"{server.url}/never"))
            await asyncio.sleep(0.05)
            stuck.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stuck
            timeout = httpx.Timeout(5.0, pool=1.0)
            assert (await http.get(f"{server.url}/ok", timeout=timeout)).status_code == 200
            assert server.connections == 2

    run(scenario())


# -- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> object:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def test_https_is_verified_against_the_given_context(authority: object) -> None:
    import trustme

    assert isinstance(authority, trustme.CA)
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_context)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)

    async def scenario() -> None:
        async with serving(ssl=server_context) as server:
            url = f"https://localhost:{server.port}/secure"
            async with client(verify=trusting) as http:
                answer = await http.post(url, json={"x": 1})
                assert answer.json()["path"] == "/secure"
                await http.post(url, json={"x": 2})
                assert server.connections == 1
            async with client() as http:  # the default trust store does not know this CA
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await http.get(url)

    run(scenario())
