"""Outbound addresses: what a URL in the configuration must look like, and where candor connects.

:func:`check_url` is the one reading of an outbound URL, used by every setting
that holds one (an adapter's ``base_url``, the webhook's ``url``, the
organization's ``status_page_url``): an ``http://`` or ``https://`` address with
a host, a port from 1 to 65535 if it has one, and no control character or
white space anywhere. Its message never quotes the URL, which may carry a token.

:class:`AddressPolicy` says which addresses candor connects to; the transport
asks it about every address a host name resolves to, at connection time, so a
name that resolves to the cloud metadata service is refused like the address
itself:

- link-local addresses (``169.254.0.0/16``, ``fe80::/10``) and the cloud
  metadata addresses (``169.254.169.254``, ``fd00:ec2::254``): refused, unless
  ``allow_link_local``;
- loopback (``127.0.0.0/8``, ``::1``, the unspecified ``0.0.0.0`` and ``::``):
  allowed, unless ``allow_loopback`` is false;
- private ranges (``10.0.0.0/8``, ``172.16.0.0/12``, ``192.168.0.0/16``,
  ``100.64.0.0/10``, ``fc00::/7`` and the other ranges Python's
  :mod:`ipaddress` calls private): allowed, unless ``allow_private`` is false.

An IPv4 address written as IPv6 (``::ffff:169.254.169.254``) is judged as the
IPv4 address it is. This module imports nothing but the standard library.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["AddressPolicy", "check_url"]

_LINK_LOCAL = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # the AWS metadata service over IPv6
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: private in practice
_CONTROL_OR_SPACE = re.compile("[\x00-\x20\x7f-\x9f]")
_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_~%")


def check_url(value: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """``value`` if it is a usable outbound URL; ValueError saying what is wrong otherwise.

    The message names the fault (the scheme, the port, a control character),
    never the URL itself.
    """
    found = _CONTROL_OR_SPACE.search(value)
    if found:
        char = found.group()
        what = "white space" if char == " " else f"a control character (U+{ord(char):04X})"
        raise ValueError(f"must not contain {what} (at position {found.start()})")
    if "\\" in value:
        raise ValueError("must not contain a backslash")
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # its messages never quote the URL ("Invalid IPv6 URL")
        raise ValueError(f"is not a valid URL ({exc})") from None
    allowed = " or ".join(f"{scheme}://" for scheme in schemes)
    if parts.scheme.lower() not in schemes or not value.lower().startswith(
        tuple(f"{scheme}://" for scheme in schemes)
    ):
        shown = f"{parts.scheme}:" if parts.scheme and parts.scheme.isalnum() else "none"
        raise ValueError(f"must be an {allowed} URL (its scheme is {shown})")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    host = parts.hostname
    if not host:
        raise ValueError("has no host")
    if ":" in host:  # an IPv6 literal, [brackets] removed by urlsplit
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValueError("has a host that is not a valid IPv6 address") from None
    elif not set(host) <= _HOST_CHARACTERS and not host.isascii():
        try:
            host.encode("idna")
        except UnicodeError:
            raise ValueError("has a host name that is not valid") from None
    elif not set(host) <= _HOST_CHARACTERS:
        raise ValueError("has a host name with characters a host name cannot have")
    return value


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses candor connects to (see the module docstring for the ranges)."""

    allow_link_local: bool = False
    """Link-local and cloud metadata addresses: refused unless set (``[http]`` in candor.toml)."""
    allow_loopback: bool = True
    allow_private: bool = True

    def refusal(self, address: str, *, named: str | None = None) -> str | None:
        """Why ``address`` (an IP address) is refused, in words; None when it is allowed.

        The words name the address, or say ``named`` instead (for an address that
        must not be quoted: the host of a secret URL).
        """
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return None  # not an address: the caller resolves names first
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        shown = str(ip) if named is None else named
        if any(ip in network for network in _LINK_LOCAL if network.version == ip.version):
            if self.allow_link_local:
                return None
            return (
                f"{shown} is a link-local or cloud metadata address, which candor refuses"
                " unless [http] allow_link_local = true"
            )
        if ip.is_loopback or ip.is_unspecified:
            if self.allow_loopback:
                return None
            return f"{shown} is a loopback address, refused by [http] allow_loopback = false"
        if ip.is_private or (ip.version == 4 and ip in _SHARED):
            if self.allow_private:
                return None
            return f"{shown} is a private address, refused by [http] allow_private = false"
        return None
