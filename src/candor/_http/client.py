"""The default ``httpx.AsyncClient``: made in one place, proxies honoured as httpx honours them.

A plain ``httpx.AsyncClient()`` reads ``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY`` and ``NO_PROXY`` (in either case; on macOS and Windows, the
system's settings too) through :func:`urllib.request.getproxies`, and mounts a
proxy transport of its own for every URL pattern they send through a proxy.
Give it a ``transport=`` and it stops reading them: the reason candor's
default client once ignored proxies altogether.

:func:`default_client` reads the environment by the same rules
(:func:`proxy_routes`), hands the patterns to httpx's public ``mounts=`` so
that httpx itself matches URLs to them, mounts httpx's own
:class:`httpx.AsyncHTTPTransport` for each proxy, and leaves every other URL to
:class:`~candor._http.transport.FanoutTransport`. With ``[http] transport =
"httpx"`` httpx's own :class:`httpx.AsyncHTTPTransport` carries those instead,
so that the client is what a plain ``httpx.AsyncClient`` would make, with
candor's timeout and limits (and ``http2``, ``client_cert`` as configured).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import ssl
import urllib.request
from dataclasses import dataclass

import httpx

from candor._http import AddressPolicy, HTTPSettings, Transport
from candor._http.guard import GuardedBackend
from candor._http.transport import FANOUT_LIMITS, FanoutTransport
from candor.errors import ConfigError

__all__ = ["TIMEOUT", "ProxyRoute", "default_client", "proxy_routes"]

TIMEOUT = httpx.Timeout(10.0)
"""Every phase of a request (connect, write, read, pool) has 10 seconds."""


@dataclass(frozen=True)
class ProxyRoute:
    """URLs matching ``pattern`` (httpx's ``mounts`` keys) go through ``proxy``; None: direct.

    ``variable`` names the setting it came from, for error messages.
    """

    pattern: str
    proxy: str | None
    variable: str


def proxy_routes() -> list[ProxyRoute]:
    """The routes the environment's proxy settings ask for, by the rules httpx applies.

    ``http``, ``https`` and ``all`` proxies become ``http://``, ``https://`` and
    ``all://`` routes (a proxy given without a scheme is ``http://``). Each
    ``NO_PROXY`` entry is a direct route: an entry with a scheme as it is; an
    IPv4 address, a bracketed IPv6 address and ``localhost`` for that host
    only; any other name for the host and every subdomain (``example.com``
    also exempts ``api.example.com``). A ``*`` entry drops every route.
    """
    settings = urllib.request.getproxies()
    routes: list[ProxyRoute] = []
    for scheme in ("http", "https", "all"):
        proxy = settings.get(scheme)
        if proxy:
            routes.append(
                ProxyRoute(
                    f"{scheme}://",
                    proxy if "://" in proxy else f"http://{proxy}",
                    f"{scheme.upper()}_PROXY",
                )
            )
    for entry in (part.strip() for part in settings.get("no", "").split(",")):
        if entry == "*":
            return []
        if entry:
            routes.append(ProxyRoute(_exempt_pattern(entry), None, "NO_PROXY"))
    return routes


def _exempt_pattern(entry: str) -> str:
    if "://" in entry:
        return entry
    address = entry.split("/", 1)[0]  # an address with a prefix length counts by its address
    version: int
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        version = 0  # a name
    if version == 4 or entry.lower() == "localhost":
        return f"all://{entry}"
    if version == 6:
        return f"all://[{entry}]"
    return f"all://*{entry}"


def default_client(settings: HTTPSettings | None = None) -> httpx.AsyncClient:
    """The client candor makes when it is given none; ``settings`` is ``[http]`` in candor.toml.

    Raises :class:`~candor.errors.ConfigError` naming the variable when a proxy
    setting cannot be used (an unknown scheme, a SOCKS proxy without
    ``httpx[socks]``, a malformed address), and naming the key when HTTP/2
    lacks ``h2`` or a client certificate cannot be loaded.
    """
    settings = settings or HTTPSettings()
    if settings.http2 and importlib.util.find_spec("h2") is None:
        raise ConfigError(
            "HTTP/2 needs the h2 package: pip install 'candor[http2]'", key="http.http2"
        )
    verify = _tls_context(settings)
    mounts = {route.pattern: _proxy_transport(route, settings, verify) for route in proxy_routes()}
    direct: httpx.AsyncBaseTransport
    if settings.transport == Transport.HTTPX:
        # What a plain httpx.AsyncClient makes for itself, with candor's limits.
        direct = httpx.AsyncHTTPTransport(verify=verify, limits=FANOUT_LIMITS, http2=settings.http2)
        _guard(direct, settings.addresses)
    else:
        direct = FanoutTransport(verify=verify, addresses=settings.addresses)
    return httpx.AsyncClient(timeout=TIMEOUT, transport=direct, mounts=mounts)


def _guard(transport: httpx.AsyncHTTPTransport, policy: AddressPolicy) -> None:
    """Make httpx's transport judge every address it connects to by ``policy``.

    httpx takes no network backend of its own; its connection pool (httpcore's)
    does, so the pool's is wrapped. tests/_http/test_addresses.py fails if httpx
    ever stops building the pool this way.
    """
    pool = transport._pool
    pool._network_backend = GuardedBackend(pool._network_backend, policy)


def _tls_context(settings: HTTPSettings) -> ssl.SSLContext | bool:
    """True (httpx's default context, made when first needed), or one holding the client cert."""
    if settings.client_cert is None:
        return True
    for key, path in (
        ("http.client_cert", settings.client_cert),
        ("http.client_key", settings.client_key),
    ):
        if path is not None and not path.is_file():
            raise ConfigError(f"no such file: {path}", key=key)
    context = httpx.create_ssl_context()  # certifi, or SSL_CERT_FILE / SSL_CERT_DIR
    key = "http.client_key" if settings.client_key is not None else "http.client_cert"
    try:
        context.load_cert_chain(settings.client_cert, settings.client_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"cannot load the client certificate {settings.client_cert}"
            + (f" with the key {settings.client_key}" if settings.client_key else "")
            + f": {exc.strerror or exc}",
            key=key,
        ) from None
    return context


def _proxy_transport(
    route: ProxyRoute, settings: HTTPSettings, verify: ssl.SSLContext | bool
) -> httpx.AsyncBaseTransport | None:
    """httpx's transport through ``route.proxy`` (None for a direct route), checked now."""
    try:
        httpx.URL(route.pattern)  # as httpx will parse it when the client is made
        if route.proxy is None:
            return None
        # The client's own limits and HTTP versions, as httpx gives a proxy transport it mounts.
        return httpx.AsyncHTTPTransport(
            proxy=route.proxy, verify=verify, limits=FANOUT_LIMITS, http2=settings.http2
        )
    except (ValueError, ImportError, httpx.InvalidURL) as exc:
        # httpx's messages show a proxy URL with its password masked ("[secure]").
        raise ConfigError(f"environment variable {route.variable}: {exc}") from None
