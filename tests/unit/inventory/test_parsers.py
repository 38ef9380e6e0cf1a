"""Each gatherer's parser against captured outputs (tests/fixtures/inventory/<gatherer>).

Debian fixtures were captured on a Debian 12 host; the RPM-based host's were written by
hand in the tools' own output formats. Each file says which host it stands for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openssm.agent.inventory import applications, instance, network, services

FIXTURES = Path(__file__).parents[2] / "fixtures" / "inventory"


def cases(gatherer: str) -> list[Any]:
    paths = sorted((FIXTURES / gatherer).glob("*.json"))
    assert paths, f"no fixtures for {gatherer}"
    return [pytest.param(json.loads(p.read_text(encoding="utf-8")), id=p.stem) for p in paths]


@pytest.mark.parametrize("case", cases("dpkg"))
def test_parse_dpkg_gives_aws_application_rows(case: dict[str, Any]) -> None:
    assert case["command"][:3] == list(applications.DPKG_COMMAND)
    assert applications.parse_dpkg(case["output"]) == case["expected"]


@pytest.mark.parametrize("case", cases("rpm"))
def test_parse_rpm_gives_aws_application_rows(case: dict[str, Any]) -> None:
    assert case["command"] == list(applications.RPM_COMMAND)
    assert applications.parse_rpm(case["output"]) == case["expected"]


@pytest.mark.parametrize("case", cases("network"))
def test_parse_network_gives_one_row_per_interface(case: dict[str, Any]) -> None:
    rows = network.parse_network(
        json.dumps(case["addr"]), json.dumps(case["route"]), "\n".join(case["resolv_conf"])
    )
    assert rows == case["expected"]


@pytest.mark.parametrize("case", cases("instance"))
def test_parse_instance_details_from_lscpu_and_cpuinfo(case: dict[str, Any]) -> None:
    lscpu = json.dumps(case["lscpu"]) if case["lscpu"] is not None else ""
    rows = instance.parse_instance_details(lscpu, "\n".join(case["cpuinfo"]))
    assert rows == case["expected"]


def _unit(text: str | list[str]) -> services.UnitFile:
    return services.MASKED if text == "masked" else services.parse_unit_file("\n".join(text))


@pytest.mark.parametrize("case", cases("services"))
def test_service_rows_from_unit_files_and_systemctl(case: dict[str, Any]) -> None:
    live, files = case["list_units"], case["list_unit_files"]
    rows = services.service_rows(
        {name: _unit(text) for name, text in case["units"].items()},
        enabled=services.wanted_units(tuple(link) for link in case["links"]),
        live_states=None if live is None else services.parse_list_units("\n".join(live)),
        unit_file_states=(
            None if files is None else services.parse_list_unit_files("\n".join(files))
        ),
    )
    assert rows == case["expected"]


def test_dpkg_keeps_only_installed_packages_and_drops_epoch_from_package_id() -> None:
    case = json.loads((FIXTURES / "dpkg" / "removed_and_multiarch.json").read_text())
    rows = {r["Name"]: r for r in applications.parse_dpkg(case["output"])}
    assert "apache2" not in rows  # only its configuration files are left
    assert rows["openssh-server"]["Version"] == "1:9.2p1-2+deb12u3"
    assert rows["openssh-server"]["PackageId"] == "openssh-server_9.2p1-2+deb12u3_amd64.deb"
    assert "InstalledTime" not in rows["libc6"]  # dpkg had no time to give


def test_rpm_leaves_out_gpg_keys_and_keeps_every_installed_kernel() -> None:
    case = json.loads((FIXTURES / "rpm" / "rocky9.json").read_text())
    rows = applications.parse_rpm(case["output"])
    assert all(r["Name"] != "gpg-pubkey" for r in rows)
    assert [r["Release"] for r in rows if r["Name"] == "kernel"] == [
        "427.13.1.el9_4",
        "427.20.1.el9_4",
    ]
    assert next(r for r in rows if r["Name"] == "openssl")["Epoch"] == "1"
    assert "Epoch" not in next(r for r in rows if r["Name"] == "bash")  # rpm said (none)


@pytest.mark.parametrize(
    ("arch", "shown"), [("amd64", "x86_64"), ("AMD64", "x86_64"), ("386", "i386"), ("all", "all")]
)
def test_format_architecture_as_aws_shows_it(arch: str, shown: str) -> None:
    assert applications.format_architecture(arch) == shown


def test_parse_dpkg_ignores_a_truncated_record() -> None:
    output = "\x1f".join(["bash", "5.2"]) + "\x1e"
    assert applications.parse_dpkg(output) == []


def test_unit_file_empty_assignment_resets_dependencies() -> None:
    unit = services.parse_unit_file("[Unit]\nWants=a.service\nWants=\nWants=b.service\n")
    assert unit.depends_on == ("b.service",)


def test_network_without_routes_or_dns_has_no_gateway() -> None:
    addr = [{"ifname": "eth0", "address": "aa:bb:cc:dd:ee:ff", "link_type": "ether",
             "addr_info": [{"family": "inet", "local": "10.1.2.3", "prefixlen": 16}]}]  # fmt: skip
    assert network.parse_network(json.dumps(addr)) == [
        {
            "Name": "eth0",
            "MacAddress": "aa:bb:cc:dd:ee:ff",
            "IPV4": "10.1.2.3",
            "IPV6": "",
            "SubnetMask": "255.255.0.0",
        }
    ]


@pytest.mark.parametrize("text", ["", "not json", "{}", "[1, 2]"])
def test_network_of_unreadable_output_is_empty(text: str) -> None:
    assert network.parse_network(text) == []
