"""``[http] client_cert``: the default client shows a certificate to a server that asks for one."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from tests.conftest import Clock, api_outage
from tests.receiver import Receiver, _handler, _QuietServer

import candor
from candor.delivery import DeliverySettings
from candor.errors import ConfigError
from candor.model import DeliveryState


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A CA for both ends, trusted by the client through SSL_CERT_FILE."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    return ca


@pytest.fixture
def strict_receiver(authority: trustme.CA) -> Iterator[Receiver]:
    """A TLS receiver on 127.0.0.1 refusing a client without a certificate from ``authority``."""
    receiver = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    authority.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
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


def config(folder: Path, receiver: Receiver, http: str) -> Path:
    path = folder / "candor.toml"
    path.write_text(
        f"{http}\n"
        "[[channels]]\n"
        "name = 'ops'\n"
        "adapter = 'webhook'\n"
        f"url = 'https://127.0.0.1:{receiver.port}/hook'\n"
        f"secret = 'whsec-{'0' * 26}'\n",
        encoding="utf-8",
    )
    return path


def open_one(path: Path, clock: Clock) -> candor.Incident:
    once = DeliverySettings(max_attempts=1)
    with candor.Communicator.from_config(path, clock=clock, delivery=once) as comms:
        return comms.open("API down", api_outage(), "Requests to the API fail.")


@pytest.mark.parametrize("transport", ["candor", "httpx"])
class TestClientCertificates:
    def test_a_server_asking_for_a_certificate_gets_the_configured_one(
        self,
        tmp_path: Path,
        clock: Clock,
        authority: trustme.CA,
        strict_receiver: Receiver,
        transport: str,
    ) -> None:
        issued = authority.issue_cert("ops@acme.example")
        issued.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
        issued.private_key_pem.write_to_path(str(tmp_path / "client.key"))
        path = config(
            tmp_path,
            strict_receiver,
            f"[http]\ntransport = '{transport}'\n"
            "client_cert = 'client.pem'\nclient_key = 'client.key'\n",  # beside the file
        )
        incident = open_one(path, clock)
        assert [d.state for d in incident.deliveries] == [DeliveryState.SENT]
        assert len(strict_receiver.requests) == 1

    def test_one_file_may_hold_the_certificate_and_its_key(
        self,
        tmp_path: Path,
        clock: Clock,
        authority: trustme.CA,
        strict_receiver: Receiver,
        transport: str,
    ) -> None:
        issued = authority.issue_cert("ops@acme.example")
        issued.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "client.pem"))
        path = config(
            tmp_path,
            strict_receiver,
            f"[http]\ntransport = '{transport}'\nclient_cert = 'client.pem'\n",
        )
        incident = open_one(path, clock)
        assert [d.state for d in incident.deliveries] == [DeliveryState.SENT]

    def test_without_one_the_server_refuses_and_nothing_is_delivered(
        self, tmp_path: Path, clock: Clock, strict_receiver: Receiver, transport: str
    ) -> None:
        path = config(tmp_path, strict_receiver, f"[http]\ntransport = '{transport}'\n")
        incident = open_one(path, clock)
        assert [d.state for d in incident.deliveries] != [DeliveryState.SENT]
        assert strict_receiver.requests == []

    def test_a_missing_certificate_file_is_a_config_error_naming_the_key(
        self, tmp_path: Path, clock: Clock, strict_receiver: Receiver, transport: str
    ) -> None:
        path = config(
            tmp_path,
            strict_receiver,
            f"[http]\ntransport = '{transport}'\nclient_cert = 'nope.pem'\n",
        )
        with pytest.raises(ConfigError, match=r"no such file: .*nope\.pem") as caught:
            open_one(path, clock)
        assert caught.value.key == "http.client_cert"
        assert caught.value.path == str(path)
        assert not (tmp_path / "candor.db").exists()

    def test_a_file_that_is_no_certificate_is_a_config_error(
        self, tmp_path: Path, clock: Clock, strict_receiver: Receiver, transport: str
    ) -> None:
        (tmp_path / "client.pem").write_text("not a certificate\n", encoding="utf-8")
        path = config(
            tmp_path,
            strict_receiver,
            f"[http]\ntransport = '{transport}'\nclient_cert = 'client.pem'\n",
        )
        with pytest.raises(ConfigError, match="cannot load the client certificate") as caught:
            open_one(path, clock)
        assert caught.value.key == "http.client_cert"
