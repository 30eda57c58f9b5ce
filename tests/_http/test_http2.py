"""HTTP/2 with ``[http] transport = "httpx"`` and ``http2 = true``, against a real HTTP/2 server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("h2", reason="HTTP/2 needs the h2 package (candor[http2])")
hypercorn_asyncio = pytest.importorskip("hypercorn.asyncio")
hypercorn_config = pytest.importorskip("hypercorn.config")

import trustme  # noqa: E402
from tests.conftest import Clock, api_outage  # noqa: E402

import candor  # noqa: E402
from candor.config import HTTPSettings  # noqa: E402
from candor.model import DeliveryState  # noqa: E402

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Recorder:
    """An ASGI app answering every POST 200, recording the HTTP version it came in."""

    def __init__(self) -> None:
        self.versions: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        self.versions.append(scope["http_version"])
        body = json.dumps({"id": "h2-1"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def http2_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Recorder]]:
    """Hypercorn on 127.0.0.1 over TLS (HTTP/2 and 1.1 by ALPN), trusted through SSL_CERT_FILE."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))

    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    config = hypercorn_config.Config()
    config.bind = [f"fd://{listening.detach()}"]  # hypercorn closes it when it stops
    config.certfile, config.keyfile = str(cert), str(key)
    config.accesslog = config.errorlog = None
    app = Recorder()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_until_complete(hypercorn_asyncio.serve(app, config, shutdown_trigger=stop.wait))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield port, app
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()


@pytest.mark.parametrize(("http2", "version"), [(True, "2"), (False, "1.1")])
def test_http2_is_spoken_when_asked_for(
    tmp_path: Path, clock: Clock, http2_server: tuple[int, Recorder], http2: bool, version: str
) -> None:
    port, app = http2_server
    channel = candor.Channel(
        name="ops",
        adapter="webhook",
        settings={"url": f"https://127.0.0.1:{port}/hook", "secret": "whsec-" + "0" * 26},
    )
    with candor.Communicator(
        [channel],
        store=tmp_path / "candor.db",
        clock=clock,
        base_dir=tmp_path,
        http=HTTPSettings(transport="httpx", http2=http2),
    ) as comms:
        incident = comms.open("API down", api_outage(), "Requests to the API fail.")
    assert [d.state for d in incident.deliveries] == [DeliveryState.SENT]
    assert app.versions == [version]
