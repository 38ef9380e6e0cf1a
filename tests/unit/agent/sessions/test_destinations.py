"""Where a port session may go (SECURITY.md #16): resolved once, link-local and cloud
metadata addresses refused."""

from __future__ import annotations

import pytest

from openssm.agent.sessions.ports import DestinationRefused, pin_destination


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "169.254.10.1", "fe80::1", "fd00:ec2::254"],
)
def test_link_local_and_metadata_addresses_are_refused(host: str) -> None:
    with pytest.raises(DestinationRefused, match="link-local or metadata"):
        pin_destination(host, 80)


def test_a_name_is_resolved_once_to_the_address_every_connection_uses() -> None:
    pinned = pin_destination("localhost", 22)
    assert pinned.host == "localhost"
    assert pinned.address in ("127.0.0.1", "::1")
    assert pinned.port == 22


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_a_port_outside_tcp_is_refused(port: int) -> None:
    with pytest.raises(DestinationRefused, match="not a TCP port"):
        pin_destination("127.0.0.1", port)
