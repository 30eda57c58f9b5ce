"""The address policy where the client connects: every resolved address is judged, not the name.

A host name is resolved here, once, and the connection is made to an address
the :class:`~candor._urls.AddressPolicy` allows, never to the name (which a
second lookup could answer differently). So a name that resolves to
``169.254.169.254`` is refused exactly as the address written in the URL is.
:class:`~candor._http.transport.FanoutTransport` calls :func:`allowed_addresses`
before it connects; with ``[http] transport = "httpx"``, :class:`GuardedBackend`
does the same under httpcore. A request sent through a proxy is resolved by
the proxy: only the proxy's own address is candor's to judge then.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from candor._urls import AddressPolicy

__all__ = ["AddressRefused", "GuardedBackend", "allowed_addresses"]


class AddressRefused(httpx.ConnectError):
    """Every address the host resolves to is one the address policy refuses; nothing was sent.

    ``retryable`` is False: trying again reaches the same address, so the
    delivery fails for good with the reason (``candor.adapters.http``).
    """

    retryable = False


async def allowed_addresses(
    host: str, port: int, policy: AddressPolicy, request: httpx.Request | None = None
) -> list[str]:
    """The addresses ``host`` resolves to that ``policy`` allows, in the resolver's order.

    Raises :class:`AddressRefused` when it resolves to none that is allowed,
    naming the first refused address and why; a failed lookup raises the
    resolver's ``socket.gaierror``.
    """
    addresses = _literal(host)
    if addresses is None:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(entry[4][0]) for entry in found))
    allowed = [address for address in addresses if policy.refusal(address) is None]
    if not allowed:
        reason = policy.refusal(addresses[0]) if addresses else "it resolves to no address"
        raise AddressRefused(f"cannot connect to {host}:{port}: {reason}", request=request)
    return allowed


def _literal(host: str) -> list[str] | None:
    """``[host]`` when ``host`` is an address written out, else None (a name to resolve).

    An address needs no lookup: asking the resolver would only cost a trip
    through the event loop's thread pool, and it would answer the same address.
    """
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows.

    httpcore starts TLS on the stream afterwards with the URL's host name, so
    certificates are still checked against the name.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: AddressPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await allowed_addresses(host, port, self._policy)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no address for {host} in time") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
