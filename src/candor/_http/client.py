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
"httpx"`` it is a plain ``httpx.AsyncClient`` with candor's timeout and
limits, and httpx reads the environment itself.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from dataclasses import dataclass

import httpx

from candor._http import HTTPSettings, Transport
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
    ``httpx[socks]``, a malformed address).
    """
    settings = settings or HTTPSettings()
    mounts = {route.pattern: _proxy_transport(route) for route in proxy_routes()}
    direct: httpx.AsyncBaseTransport
    if settings.transport == Transport.HTTPX:
        # What a plain httpx.AsyncClient makes for itself, with candor's limits.
        direct = httpx.AsyncHTTPTransport(limits=FANOUT_LIMITS)
    else:
        direct = FanoutTransport()
    return httpx.AsyncClient(timeout=TIMEOUT, transport=direct, mounts=mounts)


def _proxy_transport(route: ProxyRoute) -> httpx.AsyncBaseTransport | None:
    """httpx's transport through ``route.proxy`` (None for a direct route), checked now."""
    try:
        httpx.URL(route.pattern)  # as httpx will parse it when the client is made
        if route.proxy is None:
            return None
        # The client's own limits, as httpx gives a proxy transport it mounts itself.
        return httpx.AsyncHTTPTransport(proxy=route.proxy, limits=FANOUT_LIMITS)
    except (ValueError, ImportError, httpx.InvalidURL) as exc:
        # httpx's messages show a proxy URL with its password masked ("[secure]").
        raise ConfigError(f"environment variable {route.variable}: {exc}") from None
