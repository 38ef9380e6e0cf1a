"""Where the server may connect to deliver an event (SECURITY.md #17).

A webhook URL comes from an API caller, so it is checked twice: its form when the target is
put (http or https, a host, no credentials in it), and every address its host resolves to
when a delivery connects. Link-local addresses (169.254.0.0/16, fe80::/10, where cloud
metadata services live) and the known metadata addresses are refused unless the operator's
server configuration allows them; nothing an API caller sends can lift that. The delivery
then connects to the address that was checked, so a name cannot resolve to something else
between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass

from openssm.errors import OpenSSMError

# Cloud metadata services outside the link-local ranges (AWS's IPv6 one, Alibaba's, Oracle's).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(OpenSSMError):
    """The destination is not one the server may connect to; retrying will not help."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked URL: where to connect (``address``) and what to tell the server (``host``)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_url_form(url: str) -> urllib.parse.SplitResult:
    """The parts of a webhook URL, or OutboundRefused saying what is wrong with it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("A webhook URL must start with http:// or https://.")
    if not parts.hostname:
        raise OutboundRefused("A webhook URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("A webhook URL must not carry credentials.")
    try:
        _ = parts.port
    except ValueError:
        raise OutboundRefused("A webhook URL's port must be a number from 0 to 65535.") from None
    return parts


def forbidden(address: _IP, *, allow_link_local: bool) -> str | None:
    """Why the server must not connect to ``address``, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        return f"{address} is not a host address"
    if allow_link_local:
        return None
    if address.is_link_local or address in _METADATA:
        return (
            f"{address} is a link-local or cloud-metadata address; the server's configuration "
            "does not allow events to reach it (OPENSSM_EVENTS_ALLOW_LINK_LOCAL)"
        )
    return None


def check_literal(url: str, *, allow_link_local: bool) -> None:
    """When the URL's host is an IP address, refuse a forbidden one at once."""
    host = check_url_form(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked when a delivery resolves it
    problem = forbidden(address, allow_link_local=allow_link_local)
    if problem is not None:
        raise OutboundRefused(problem)


def resolve(url: str, *, allow_link_local: bool) -> Destination:
    """Resolve the URL's host (blocking) and check every address it has; the first one is
    where the delivery connects. OSError when the name does not resolve."""
    parts = check_url_form(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        problem = forbidden(address, allow_link_local=allow_link_local)
        if problem is not None:
            raise OutboundRefused(f"{host} resolves to {problem}")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Destination(
        scheme=parts.scheme, host=host, port=port, path=path, address=str(addresses[0])
    )
