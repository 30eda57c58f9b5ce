"""Webhooks delivered through a real recording proxy on 127.0.0.1, as the environment asks."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from tests._http.proxy import RecordingProxy, recording_proxy
from tests.conftest import api_outage
from tests.receiver import Receiver, _handler, _QuietServer, serving

import candor
from candor.config import HTTPSettings
from candor.delivery import DeliverySettings
from candor.model import DeliveryState
from candor.testing import Clock

_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE")
TRANSPORTS = [HTTPSettings(transport="candor"), HTTPSettings(transport="httpx")]


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    with recording_proxy() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving(Receiver()) as (running,):
        yield running


def deliver_one(
    tmp_path: Path,
    clock: Clock,
    url: str,
    http: HTTPSettings,
    delivery: DeliverySettings | None = None,
) -> candor.Incident:
    """Open one incident on one webhook channel at ``url``, with the default client."""
    channel = candor.Channel(
        name="ops", adapter="webhook", settings={"url": url, "secret": "whsec-" + "0" * 26}
    )
    with candor.Communicator(
        [channel],
        store=tmp_path / "candor.db",
        clock=clock,
        base_dir=tmp_path,
        http=http,
        delivery=delivery,
    ) as comms:
        return comms.open("API down", api_outage(), "Requests to the API fail.")


def sent(incident: candor.Incident) -> list[DeliveryState]:
    return [d.state for d in incident.deliveries]


@pytest.mark.parametrize("http", TRANSPORTS, ids=lambda h: h.transport)
class TestPlainHTTP:
    @pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
    def test_a_webhook_goes_through_the_proxy_the_environment_names(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        clock: Clock,
        proxy: RecordingProxy,
        receiver: Receiver,
        http: HTTPSettings,
        variable: str,
    ) -> None:
        monkeypatch.setenv(variable, proxy.url)
        incident = deliver_one(tmp_path, clock, receiver.url, http)
        assert sent(incident) == [DeliveryState.SENT]
        assert [(c.method, c.target) for c in proxy.requests] == [("POST", receiver.url)]
        (received,) = receiver.requests
        assert received.json["incident"]["id"] == incident.id

    @pytest.mark.parametrize("exempt", ["127.0.0.1", "localhost,127.0.0.1", "*"])
    def test_no_proxy_covering_the_host_sends_it_direct(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        clock: Clock,
        proxy: RecordingProxy,
        receiver: Receiver,
        http: HTTPSettings,
        exempt: str,
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", exempt)
        incident = deliver_one(tmp_path, clock, receiver.url, http)
        assert sent(incident) == [DeliveryState.SENT]
        assert proxy.requests == []
        assert len(receiver.requests) == 1

    def test_proxy_credentials_reach_the_proxy_and_not_the_receiver(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        clock: Clock,
        proxy: RecordingProxy,
        receiver: Receiver,
        http: HTTPSettings,
    ) -> None:
        monkeypatch.setenv("HTTP_PROXY", f"http://ops:s3cret@127.0.0.1:{proxy.port}")
        deliver_one(tmp_path, clock, receiver.url, http)
        (carried,) = proxy.requests
        assert carried.headers["proxy-authorization"] == "Basic b3BzOnMzY3JldA=="  # ops:s3cret
        (received,) = receiver.requests
        assert "proxy-authorization" not in received.headers


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_receiver(authority: trustme.CA) -> Iterator[Receiver]:
    """A Receiver on 127.0.0.1 that speaks only TLS, with a certificate from ``authority``."""
    receiver = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server = _QuietServer(("127.0.0.1", 0), _handler(receiver))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("http", TRANSPORTS, ids=lambda h: h.transport)
class TestHTTPS:
    @pytest.fixture(autouse=True)
    def trust_the_authority(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, authority: trustme.CA
    ) -> None:
        ca = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(ca))
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # read by httpx's default TLS context

    def test_https_goes_through_the_proxy_in_a_connect_tunnel(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        clock: Clock,
        proxy: RecordingProxy,
        tls_receiver: Receiver,
        http: HTTPSettings,
    ) -> None:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the wrong scheme's: unused
        url = f"https://127.0.0.1:{tls_receiver.port}/hook"
        incident = deliver_one(tmp_path, clock, url, http)
        assert sent(incident) == [DeliveryState.SENT]
        assert [(c.method, c.target) for c in proxy.requests] == [
            ("CONNECT", f"127.0.0.1:{tls_receiver.port}")
        ]
        assert len(tls_receiver.requests) == 1

    def test_https_to_an_exempt_host_goes_direct(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        clock: Clock,
        proxy: RecordingProxy,
        tls_receiver: Receiver,
        http: HTTPSettings,
    ) -> None:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        url = f"https://127.0.0.1:{tls_receiver.port}/hook"
        incident = deliver_one(tmp_path, clock, url, http)
        assert sent(incident) == [DeliveryState.SENT]
        assert proxy.requests == []
        assert len(tls_receiver.requests) == 1

    def test_a_proxy_refusing_the_tunnel_is_a_failure_that_sent_nothing(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        clock: Clock,
        proxy: RecordingProxy,
        tls_receiver: Receiver,
        http: HTTPSettings,
    ) -> None:
        proxy.refuse_tunnels = True
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        url = f"https://127.0.0.1:{tls_receiver.port}/hook"
        once = DeliverySettings(max_attempts=1)  # the classification is the point, not retrying
        incident = deliver_one(tmp_path, clock, url, http, once)
        (delivery,) = incident.deliveries
        assert delivery.state is DeliveryState.RETRY
        assert delivery.last_error is not None
        assert "ProxyError" in delivery.last_error
        assert tls_receiver.requests == []
        assert {c.method for c in proxy.requests} == {"CONNECT"}
