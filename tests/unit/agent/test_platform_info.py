"""Platform details as DescribeInstanceInformation shows them: os-release NAME and VERSION_ID."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openssm.agent import platform_info
from openssm.protocol.frames import InstanceInfoFrame, decode, encode

FIXTURES = sorted((Path(__file__).parents[2] / "fixtures" / "os_release").glob("*.json"))


@pytest.mark.parametrize("case", FIXTURES, ids=lambda p: p.stem)
def test_platform_name_version_from_os_release(case: Path) -> None:
    data: dict[str, Any] = json.loads(case.read_text())
    fields = platform_info.parse_os_release("\n".join(data["os_release"]))
    name, version = platform_info.platform_name_version(fields)
    assert {"platform_name": name, "platform_version": version} == data["expected"]


def test_parse_os_release_keeps_every_assignment() -> None:
    fields = platform_info.parse_os_release('ID=debian\nID_LIKE="rhel fedora"\n')
    assert fields == {"ID": "debian", "ID_LIKE": "rhel fedora"}


def test_read_os_release_falls_back_to_usr_lib(tmp_path: Path) -> None:
    fallback = tmp_path / "os-release"
    fallback.write_text('NAME="Fallback OS"\nVERSION_ID=7\n')
    fields = platform_info.read_os_release([tmp_path / "missing", fallback])
    assert platform_info.platform_name_version(fields) == ("Fallback OS", "7")


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (["10.0.0.5", "192.168.1.2"], "10.0.0.5"),
        (["127.0.0.1", "10.0.0.5"], "10.0.0.5"),
        (["fe80::1%eth0", "2001:db8::5", "172.16.0.9"], "172.16.0.9"),
        (["::1", "2001:db8::5"], "2001:db8::5"),
        (["169.254.1.1", "0.0.0.0", "not-an-ip"], "127.0.0.1"),  # noqa: S104
        ([], "127.0.0.1"),
    ],
)
def test_choose_primary_address_prefers_routable_ipv4(candidates: list[str], expected: str) -> None:
    assert platform_info.choose_primary_address(candidates) == expected


def test_gather_describes_this_host_as_linux() -> None:
    info = platform_info.gather()
    assert info.platform_type == "Linux"
    assert info.computer_name
    assert info.agent_version


def test_a_hostname_that_is_not_utf8_is_sent_as_text() -> None:
    """Python keeps undecodable bytes of a name as lone surrogates, which no frame may hold."""
    raw = b"web-\xff1".decode("utf-8", "surrogateescape")
    name = platform_info.as_text(raw)
    assert name == "web-\ufffd1"
    frame = InstanceInfoFrame(
        agent_version="0.1.0",
        platform_type="Linux",
        platform_name="Linux",
        platform_version="",
        ip_address="127.0.0.1",
        computer_name=name,
    )
    assert decode(encode(frame)) == frame
