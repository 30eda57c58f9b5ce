"""What every fake service shares: recording, faults, rate limits, and serving on a socket."""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx

from candor.testing.fakes._spec import SpecStatus

__all__ = ["FakeService", "Ping", "Reply", "Request", "serve"]


@dataclass(frozen=True)
class Request:
    """One request a fake received, as it received it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes
    at: datetime

    def json(self) -> Any:
        """The body parsed as JSON (ValueError when it is not JSON)."""
        return json.loads(self.body.decode("utf-8"))

    def data(self) -> dict[str, Any]:
        """The body as fields: JSON, or form-encoded, as the services accept both."""
        kind = self.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in kind:
            return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        parsed = self.json()
        if not isinstance(parsed, dict):
            raise ValueError("the body is not a JSON object")
        return parsed

    def bearer(self) -> str | None:
        """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class Reply:
    """What a fake answers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(
            status,
            json.dumps(data).encode("utf-8"),
            {"content-type": "application/json", **(headers or {})},
        )

    @classmethod
    def text(cls, status: int, text: str, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status, text.encode("utf-8"), {"content-type": "text/plain", **(headers or {})})


@dataclass(frozen=True)
class Ping:
    """A mention that would have notified everyone: Discord ``@everyone``, Slack ``<!channel>``."""

    service: str
    mention: str
    text: str


@dataclass
class _Fault:
    kind: Literal["fail", "timeout", "drop"]
    status: int = 503
    retry_after: int | None = None
    delay: float = 2.0
    method: str | None = None
    path: str | None = None

    def matches(self, request: Request) -> bool:
        return (self.method is None or request.method == self.method.upper()) and (
            self.path is None or request.path.startswith(self.path)
        )


@dataclass(frozen=True)
class _Outcome:
    reply: Reply | None
    fault: _Fault | None = None


class FakeService:
    """The shared machinery of a fake: subclasses implement :meth:`route`.

    A fake is an ``httpx.MockTransport`` handler (``httpx.AsyncClient(
    transport=fake.transport(), base_url=fake.base_url)``, or :meth:`client`) and
    can be served on 127.0.0.1 with :func:`serve`. It records every request in
    :attr:`requests`, the mentions that would have notified people in
    :attr:`pings`, and requests its service's published API description
    rejects in :attr:`spec_violations` (they are refused, as the service would).

    ``clock`` drives rate limits, token expiry and timestamps (no real sleeping);
    ``rate_limit`` is (requests, per period) per credential, or None for none;
    ``specs`` is the folder of API descriptions (default: ``$CANDOR_SPECS``, then
    ``../shared/specs`` beside the project), or False to skip validation.
    """

    service: ClassVar[str] = "service"
    base_url: ClassVar[str] = "http://fake.invalid"
    default_rate_limit: ClassVar[tuple[int, timedelta] | None] = None

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        rate_limit: tuple[int, timedelta] | Literal["default"] | None = "default",
        specs: str | Path | Literal[False] | None = None,
    ) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rate_limit = self.default_rate_limit if rate_limit == "default" else rate_limit
        self.requests: list[Request] = []
        self.pings: list[Ping] = []
        self.spec_violations: list[str] = []
        self.spec = self._load_spec(specs)
        self._faults: list[_Fault] = []
        self._windows: dict[str, tuple[datetime, int]] = {}
        self._lock = threading.RLock()
        self._ids = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self.requests)} requests>"

    # -- what a subclass provides ----------------------------------------------------------

    def _load_spec(self, specs: str | Path | Literal[False] | None) -> SpecStatus:
        return SpecStatus(enabled=False, reason=f"{self.service} publishes no API description")

    def route(self, request: Request) -> Reply:
        """The service's answer to ``request`` (faults and rate limits are handled before)."""
        raise NotImplementedError

    def rate_key(self, request: Request) -> str | None:
        """What the service counts requests against (a token, a webhook); None: not limited."""
        return request.headers.get("authorization") or request.path

    # -- faults -----------------------------------------------------------------------------

    def fail_next(
        self,
        times: int = 1,
        status: int = 503,
        *,
        retry_after: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` and do nothing else.

        ``method`` and ``path`` (a prefix) narrow the fault to the requests they
        match; the others are answered as usual.
        """
        with self._lock:
            self._faults += [
                _Fault("fail", status, retry_after, method=method, path=path) for _ in range(times)
            ]

    def timeout_next(self, times: int = 1, *, delay: float = 2.0) -> None:
        """Do the work of the next ``times`` requests but let the client time out.

        Through :meth:`transport` the client gets ``httpx.ReadTimeout`` after the
        request was processed and recorded; on a socket (:func:`serve`) the
        answer is held back ``delay`` seconds, past a short client timeout.
        """
        with self._lock:
            self._faults += [_Fault("timeout", delay=delay) for _ in range(times)]

    def drop_next(self, times: int = 1) -> None:
        """Close the connection on the next ``times`` requests without answering or processing."""
        with self._lock:
            self._faults += [_Fault("drop") for _ in range(times)]

    # -- handling ---------------------------------------------------------------------------

    def new_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def respond(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> _Outcome:
        """Handle one request: record it, apply a fault or the rate limit, or route it."""
        parts = urlsplit(target)
        with self._lock:
            request = Request(
                method=method.upper(),
                path=parts.path or "/",
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in headers.items()},
                body=body,
                at=self.clock(),
            )
            self.requests.append(request)
            fault = next((f for f in self._faults if f.matches(request)), None)
            if fault is not None:
                self._faults.remove(fault)
            if fault is not None and fault.kind == "drop":
                return _Outcome(None, fault)
            if fault is not None and fault.kind == "fail":
                extra = {"retry-after": str(fault.retry_after)} if fault.retry_after else {}
                return _Outcome(
                    Reply.json(fault.status, {"error": f"injected HTTP {fault.status}"}, extra)
                )
            limited = self._limit(request)
            reply = limited if limited is not None else self.route(request)
            return _Outcome(reply, fault)

    def _limit(self, request: Request) -> Reply | None:
        if self.rate_limit is None:
            return None
        key = self.rate_key(request)
        if key is None:
            return None
        allowed, period = self.rate_limit
        now = request.at
        start, used = self._windows.get(key, (now, 0))
        if now - start >= period:
            start, used = now, 0
        if used >= allowed:
            wait = max(1, math.ceil((start + period - now).total_seconds()))
            return self.too_many(wait)
        self._windows[key] = (start, used + 1)
        return None

    def too_many(self, retry_after: int) -> Reply:
        """The service's 429 answer."""
        return Reply.json(429, {"error": "rate limited"}, {"retry-after": str(retry_after)})

    # -- httpx ------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        outcome = self.respond(request.method, target, dict(request.headers), request.read())
        if outcome.reply is None:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if outcome.fault is not None and outcome.fault.kind == "timeout":
            raise httpx.ReadTimeout(
                "the fake did the work, then let the client time out", request=request
            )
        reply = outcome.reply
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport answered by this fake."""
        return httpx.MockTransport(self)

    def client(self, **options: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` whose requests this fake answers, at its real base URL."""
        options.setdefault("base_url", self.base_url)
        return httpx.AsyncClient(transport=self.transport(), **options)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@contextlib.contextmanager
def serve(fake: FakeService) -> Iterator[str]:
    """Serve ``fake`` over HTTP on 127.0.0.1 (a free port) in a thread; yields its base URL.

    The URL keeps the path of the service's real base URL (Statuspage's
    ``/v1``), so an adapter pointed at it sends the same paths it would in
    production.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None  # a test's output is for the test

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            outcome = fake.respond(self.command, self.path, dict(self.headers.items()), body)
            if outcome.reply is None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            if outcome.fault is not None and outcome.fault.kind == "timeout":
                time.sleep(outcome.fault.delay)  # the server thread waits, not the test
            reply = outcome.reply
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                self.close_connection = True  # the client gave up first

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name=f"fake-{fake.service}", daemon=True)
    thread.start()
    prefix = urlsplit(fake.base_url).path.rstrip("/")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
