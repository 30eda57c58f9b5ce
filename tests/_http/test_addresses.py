"""The address policy at connection time: every address a name resolves to is judged.

A host name that resolves to the cloud metadata service must be refused like the
address itself, with either transport. The names are made to resolve where the
test wants by replacing ``socket.getaddrinfo``, the function the event loop's
resolver (``loop.getaddrinfo``, used by candor's transport and by httpcore's
through anyio) calls for every lookup; a real server on 127.0.0.1 answers for the
names allowed, so the test sees the connection made, or refused before any byte.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import candor
from candor._http import HTTPSettings, Transport
from candor._http.client import default_client
from candor._http.guard import AddressRefused, allowed_addresses
from candor._urls import AddressPolicy
from candor.adapters.http import transport_error
from candor.config import load_config

NAMES = {
    "metadata.test": "169.254.169.254",
    "metadata6.test": "fd00:ec2::254",
    "linklocal6.test": "fe80::1",
    "mapped.test": "::ffff:169.254.169.254",
    "private.test": "10.1.2.3",
    "receiver.test": "127.0.0.1",
}


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in NAMES:
            address = NAMES[name]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            where = (
                (address, int(port), 0, 0) if family == socket.AF_INET6 else (address, int(port))
            )
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", where)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


@pytest.fixture
def server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    running = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    running.daemon_threads = True
    threading.Thread(target=running.serve_forever, daemon=True).start()
    yield running.server_address[1]
    running.shutdown()
    running.server_close()


async def get(settings: HTTPSettings, url: str) -> httpx.Response:
    async with default_client(settings) as client:
        return await client.get(url, timeout=5)


TRANSPORTS = [Transport.CANDOR, Transport.HTTPX]


class TestTheResolvedAddressIsJudged:
    @pytest.mark.parametrize("transport", TRANSPORTS)
    @pytest.mark.parametrize("name", ["metadata.test", "metadata6.test", "linklocal6.test",
                                      "mapped.test"])  # fmt: skip
    def test_a_name_that_resolves_to_a_link_local_address_is_refused(
        self, resolver: None, transport: Transport, name: str
    ) -> None:
        with pytest.raises(AddressRefused) as caught:
            asyncio.run(get(HTTPSettings(transport=transport), f"http://{name}:80/latest"))
        assert "link-local or cloud metadata" in str(caught.value)
        assert "allow_link_local" in str(caught.value)

    @pytest.mark.parametrize("transport", TRANSPORTS)
    def test_an_address_written_in_the_url_is_refused_too(self, transport: Transport) -> None:
        with pytest.raises(AddressRefused):
            asyncio.run(get(HTTPSettings(transport=transport), "http://169.254.169.254/latest"))

    @pytest.mark.parametrize("transport", TRANSPORTS)
    def test_loopback_is_allowed_by_default_and_reached_by_the_address_judged(
        self, resolver: None, server: int, transport: Transport
    ) -> None:
        answer = asyncio.run(
            get(HTTPSettings(transport=transport), f"http://receiver.test:{server}/")
        )
        assert answer.status_code == 200

    @pytest.mark.parametrize("transport", TRANSPORTS)
    def test_loopback_and_private_can_be_refused(
        self, resolver: None, server: int, transport: Transport
    ) -> None:
        no_loopback = HTTPSettings(transport=transport, allow_loopback=False)
        with pytest.raises(AddressRefused, match="loopback"):
            asyncio.run(get(no_loopback, f"http://receiver.test:{server}/"))
        no_private = HTTPSettings(transport=transport, allow_private=False)
        with pytest.raises(AddressRefused, match="private"):
            asyncio.run(get(no_private, "http://private.test:80/"))

    def test_link_local_is_let_through_when_explicitly_allowed(self, resolver: None) -> None:
        # Judged only: a test must not connect to a real metadata service.
        allowed = AddressPolicy(allow_link_local=True)
        assert asyncio.run(allowed_addresses("metadata.test", 80, allowed)) == ["169.254.169.254"]
        with pytest.raises(AddressRefused):
            asyncio.run(allowed_addresses("metadata.test", 80, AddressPolicy()))

    def test_a_refusal_fails_the_delivery_for_good_never_as_maybe_sent(
        self, resolver: None
    ) -> None:
        with pytest.raises(AddressRefused) as caught:
            asyncio.run(get(HTTPSettings(), "http://metadata.test/"))
        error = transport_error("hook", caught.value)
        assert (error.retryable, error.maybe_delivered) == (False, False)


class TestThePolicy:
    @pytest.mark.parametrize(
        ("address", "refused_by_default"),
        [
            ("169.254.169.254", True), ("169.254.0.1", True), ("fe80::1", True),
            ("fd00:ec2::254", True), ("::ffff:169.254.169.254", True),
            ("127.0.0.1", False), ("::1", False), ("10.0.0.1", False), ("192.168.1.1", False),
            ("172.16.0.1", False), ("100.64.0.1", False), ("fd12::1", False),
            ("93.184.216.34", False), ("2606:4700::1111", False),
        ],
    )  # fmt: skip
    def test_only_link_local_and_metadata_are_refused_by_default(
        self, address: str, refused_by_default: bool
    ) -> None:
        assert (AddressPolicy().refusal(address) is not None) is refused_by_default

    def test_the_settings_are_read_from_candor_toml(self, tmp_path: Path) -> None:
        path = tmp_path / "candor.toml"
        path.write_text("[http]\nallow_link_local = true\nallow_private = false\n")
        assert load_config(path).http.addresses == AddressPolicy(
            allow_link_local=True, allow_loopback=True, allow_private=False
        )
        path.write_text("[http]\nallow_private = 'no'\n")
        with pytest.raises(candor.ConfigError) as caught:
            load_config(path)
        assert caught.value.key == "http.allow_private"


class TestAddressesWrittenOut:
    """An address written in the URL is judged as it is, without asking the resolver."""

    def test_a_literal_address_is_judged_without_a_lookup(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_lookup(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the resolver was asked about an address")

        monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
        policy = AddressPolicy()
        assert asyncio.run(allowed_addresses("127.0.0.1", 80, policy)) == ["127.0.0.1"]
        assert asyncio.run(allowed_addresses("::1", 80, policy)) == ["::1"]
        with pytest.raises(AddressRefused):
            asyncio.run(allowed_addresses("169.254.169.254", 80, policy))
