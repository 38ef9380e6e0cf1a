"""Where the server may deliver events (SECURITY.md #17): the URL's form, and the addresses a
host resolves to."""

from __future__ import annotations

import ipaddress

import pytest

from openssm.server.events import outbound


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254"],
)
def test_link_local_and_metadata_addresses_are_refused_unless_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert outbound.forbidden(ip, allow_link_local=False) is not None
    assert outbound.forbidden(ip, allow_link_local=True) is None


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "224.0.0.1"])  # noqa: S104 (never bound)
def test_non_host_addresses_are_always_refused(address: str) -> None:
    assert outbound.forbidden(ipaddress.ip_address(address), allow_link_local=True) is not None


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "192.168.1.1", "::1", "8.8.8.8"])
def test_ordinary_addresses_are_allowed(address: str) -> None:
    assert outbound.forbidden(ipaddress.ip_address(address), allow_link_local=False) is None


@pytest.mark.parametrize(
    "url",
    ["ftp://h/x", "http:///x", "http://u:p@h/x", "http://h:99999/x", "file:///etc/passwd"],
)
def test_malformed_webhook_urls_are_refused(url: str) -> None:
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url_form(url)


def test_a_name_is_resolved_checked_and_pinned() -> None:
    destination = outbound.resolve("http://localhost:8080/hook?x=1", allow_link_local=False)
    assert (destination.host, destination.port, destination.path) == (
        "localhost",
        8080,
        "/hook?x=1",
    )
    assert ipaddress.ip_address(destination.address).is_loopback
