"""The default client: proxies from the environment, routed as a plain httpx client routes them."""

from __future__ import annotations

import importlib.util

import httpx
import pytest

from candor._http import HTTPSettings, Transport
from candor._http.client import TIMEOUT, default_client, proxy_routes
from candor._http.transport import FanoutTransport
from candor.errors import ConfigError

_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment with no proxy settings, in either case."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


ENVIRONMENTS: dict[str, dict[str, str]] = {
    "nothing": {},
    "HTTP_PROXY": {"HTTP_PROXY": "http://proxy.test:3128"},
    "HTTPS_PROXY without a scheme": {"HTTPS_PROXY": "proxy.test:3129"},
    "ALL_PROXY": {"ALL_PROXY": "http://everything.test:8080"},
    "lower case wins over upper": {
        "http_proxy": "http://lower.test:1",
        "HTTP_PROXY": "http://upper.test:2",
    },
    "lower case only": {"https_proxy": "http://lower.test:3", "no_proxy": "example.com"},
    "an empty proxy": {"HTTP_PROXY": "", "HTTPS_PROXY": "http://proxy.test:3128"},
    "a proxy with credentials, over TLS": {"HTTPS_PROXY": "https://user:pw@tls-proxy.test:443"},
    "every scheme, a domain exempt": {
        "HTTP_PROXY": "http://a.test:1",
        "HTTPS_PROXY": "http://b.test:2",
        "ALL_PROXY": "http://c.test:3",
        "NO_PROXY": "example.com",
    },
    "a leading dot": {"ALL_PROXY": "http://c.test:3", "NO_PROXY": ".example.com"},
    "a host with a port": {"ALL_PROXY": "http://c.test:3", "NO_PROXY": "api.example.com:8443"},
    "a star": {"HTTP_PROXY": "http://a.test:1", "NO_PROXY": "*"},
    "a star among names": {"ALL_PROXY": "http://c.test:3", "NO_PROXY": "other.org, *"},
    "addresses and localhost": {
        "ALL_PROXY": "http://c.test:3",
        "NO_PROXY": "127.0.0.1,::1,localhost,10.0.0.0/8",
    },
    "entries with schemes and spaces": {
        "HTTP_PROXY": "http://a.test:1",
        "HTTPS_PROXY": "http://b.test:2",
        "NO_PROXY": " http://internal.example , ,https://secure.example:8443 ",
    },
    "upper case localhost": {"HTTP_PROXY": "http://a.test:1", "NO_PROXY": "LOCALHOST"},
    "a CGI request ignores HTTP_PROXY": {
        "REQUEST_METHOD": "GET",
        "HTTP_PROXY": "http://a.test:1",
        "HTTPS_PROXY": "http://b.test:2",
    },
}

URLS = [
    "http://example.com/",
    "https://example.com/",
    "http://www.example.com/path",
    "https://api.example.com:8443/x",
    "https://api.example.com/x",
    "http://wwwexample.com/",
    "http://other.org/",
    "https://other.org:444/",
    "http://127.0.0.1:8000/",
    "http://127.0.0.2/",
    "http://[::1]:8000/",
    "http://localhost/",
    "http://LOCALHOST:80/",
    "http://app.localhost/",
    "http://10.0.0.0/",
    "http://10.0.0.1/",
    "http://internal.example/",
    "https://internal.example/",
    "https://secure.example:8443/",
    "https://secure.example/",
]


def route(client: httpx.AsyncClient, url: str, direct: type[httpx.AsyncBaseTransport]) -> object:
    """Where ``client`` sends ``url``: "direct", or the proxy's URL, headers (httpx's internals)."""
    transport = client._transport_for_url(httpx.URL(url))
    if transport is client._transport:
        assert isinstance(transport, direct)
        return "direct"
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    pool = transport._pool
    return (type(pool).__name__, str(pool._proxy_url), pool._proxy_headers)  # type: ignore[attr-defined]


@pytest.mark.parametrize("transport", list(Transport))
@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_every_url_goes_where_a_plain_httpx_client_sends_it(
    monkeypatch: pytest.MonkeyPatch, environment: str, transport: Transport
) -> None:
    for name, value in ENVIRONMENTS[environment].items():
        monkeypatch.setenv(name, value)
    plain = httpx.AsyncClient()
    ours = default_client(HTTPSettings(transport=transport))
    direct = FanoutTransport if transport is Transport.CANDOR else httpx.AsyncHTTPTransport
    expected = {url: route(plain, url, httpx.AsyncHTTPTransport) for url in URLS}
    assert {url: route(ours, url, direct) for url in URLS} == expected


def test_the_matrix_covers_both_routes() -> None:
    """A comparison that only ever saw "direct" would prove nothing."""
    seen = set()
    with pytest.MonkeyPatch.context() as patch:
        for values in ENVIRONMENTS.values():
            for name in _VARIABLES:
                patch.delenv(name, raising=False)
                patch.delenv(name.lower(), raising=False)
            for name, value in values.items():
                patch.setenv(name, value)
            client = httpx.AsyncClient()
            seen |= {route(client, url, httpx.AsyncHTTPTransport) == "direct" for url in URLS}
    assert seen == {True, False}


class TestTheDefaultClient:
    def test_without_proxies_everything_goes_through_the_fanout_transport(self) -> None:
        client = default_client()
        assert isinstance(client._transport, FanoutTransport)
        assert client._mounts == {}
        assert client.timeout == TIMEOUT

    def test_the_httpx_transport_is_httpx_own(self) -> None:
        client = default_client(HTTPSettings(transport=Transport.HTTPX))
        assert type(client._transport) is httpx.AsyncHTTPTransport

    def test_a_proxy_without_a_scheme_is_http(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HTTPS_PROXY", "proxy.test:3128")
        [only] = proxy_routes()
        assert (only.pattern, only.proxy, only.variable) == (
            "https://",
            "http://proxy.test:3128",
            "HTTPS_PROXY",
        )

    def test_an_unknown_proxy_scheme_is_a_config_error_naming_the_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HTTPS_PROXY", "ftp://someone:hunter2@proxy.test:21")
        with pytest.raises(ConfigError, match="HTTPS_PROXY") as caught:
            default_client()
        assert "hunter2" not in str(caught.value)
        assert "Unknown scheme" in str(caught.value)

    def test_a_proxy_with_a_bad_port_is_a_config_error(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ALL_PROXY", "http://someone:hunter2@proxy.test:port")
        with pytest.raises(ConfigError, match="ALL_PROXY") as caught:
            default_client(HTTPSettings(transport=Transport.HTTPX))
        assert "hunter2" not in str(caught.value)

    def test_a_socks_proxy_without_socksio_says_what_to_install(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        if importlib.util.find_spec("socksio") is not None:
            pytest.skip("socksio is installed: a SOCKS proxy works")
        monkeypatch.setenv("ALL_PROXY", "socks5://proxy.test:1080")
        with pytest.raises(ConfigError, match=r"ALL_PROXY.*httpx\[socks\]"):
            default_client()

    def test_an_unknown_transport_is_a_config_error_naming_the_key_and_the_choices(self) -> None:
        with pytest.raises(ConfigError) as caught:
            HTTPSettings(transport="h2")
        assert caught.value.key == "http.transport"
        assert "'candor'" in str(caught.value)
        assert "'httpx'" in str(caught.value)
        assert "'h2'" in str(caught.value)
        assert HTTPSettings(transport="httpx").transport is Transport.HTTPX

    def test_http2_without_h2_says_what_to_install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda name, *rest: None if name == "h2" else real(name)
        )
        with pytest.raises(ConfigError, match=r"candor\[http2\]") as caught:
            default_client(HTTPSettings(transport=Transport.HTTPX, http2=True))
        assert caught.value.key == "http.http2"

    def test_http2_goes_to_the_proxy_transports_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
        client = default_client(HTTPSettings(transport=Transport.HTTPX, http2=True))
        (proxied,) = (t for t in client._mounts.values() if t is not None)
        assert proxied._pool._http2  # type: ignore[attr-defined]
        assert client._transport._pool._http2  # type: ignore[attr-defined]
