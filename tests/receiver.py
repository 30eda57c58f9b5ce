"""A real HTTP server on 127.0.0.1 that records every POST, for the delivery tests.

It runs in a thread of the test process. ``answer`` decides each response (by
default 200 with a JSON ``id``); ``deduplicates`` makes it behave as a receiver
should under docs/webhook.md: a repeated ``Idempotency-Key`` is answered as the
first one was, and not counted as a new delivery.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Answer = Callable[[Received], tuple[int, dict[str, str], bytes]]


def ok(request: Received) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"id": f"r-{request.key[:8]}"}).encode()
    return 200, {"Content-Type": "application/json"}, body


@dataclass
class Receiver:
    """Records every POST; ``delivered`` holds one entry per key it accepted (deduplicated)."""

    answer: Answer = ok
    deduplicates: bool = True
    requests: list[Received] = field(default_factory=list)
    delivered: dict[str, Received] = field(default_factory=dict)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def handle(self, request: Received) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = self.answer(request)
        with self._lock:
            self.requests.append(request)
            if 200 <= status < 300 and (not self.deduplicates or request.key not in self.delivered):
                self.delivered.setdefault(request.key, request)
        return status, headers, body


@contextmanager
def serving(*receivers: Receiver) -> Iterator[tuple[Receiver, ...]]:
    """Run each receiver on a port of its own on 127.0.0.1 for the duration of the block."""
    servers = []
    for receiver in receivers:
        server = _QuietServer(("127.0.0.1", 0), _handler(receiver))
        server.daemon_threads = True
        receiver.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
    try:
        yield receivers
    finally:
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the crash tests do that) is not news."""


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the client died mid-request: nothing arrived, as with any server
            request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            status, headers, answer = receiver.handle(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler
