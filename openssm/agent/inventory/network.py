"""AWS:Network: one row per network interface.

``ip -j addr`` gives each interface's name, MAC address and addresses; ``ip -j route
show default`` its gateway; /etc/resolv.conf the DNS servers. Several addresses of a
family are joined with commas, as AWS's agent joins them; SubnetMask is the dotted mask
of each IPv4 address, in the same order.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from openssm.agent.inventory.items import Row

ADDR_COMMAND = ("ip", "-j", "addr")
ROUTE_COMMAND = ("ip", "-j", "route", "show", "default")
RESOLV_CONF = "/etc/resolv.conf"
NETWORK = "AWS:Network"


def _json_list(text: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def parse_resolv_conf(text: str) -> list[str]:
    servers: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver" and words[1] not in servers:
            servers.append(words[1])
    return servers


def parse_gateways(route_json: str) -> dict[str, list[str]]:
    """Default routes by interface name."""
    gateways: dict[str, list[str]] = {}
    for route in _json_list(route_json):
        dev, gateway = route.get("dev"), route.get("gateway")
        if isinstance(dev, str) and isinstance(gateway, str):
            gateways.setdefault(dev, []).append(gateway)
    return gateways


def _mask(prefix: int) -> str:
    return str(ipaddress.IPv4Network(f"0.0.0.0/{prefix}").netmask)


def parse_network(addr_json: str, route_json: str = "", resolv_conf: str = "") -> list[Row]:
    gateways = parse_gateways(route_json)
    dns = ",".join(parse_resolv_conf(resolv_conf))
    rows: list[Row] = []
    for link in _json_list(addr_json):
        name = link.get("ifname")
        if not isinstance(name, str):
            continue
        ipv4: list[str] = []
        masks: list[str] = []
        ipv6: list[str] = []
        for info in link.get("addr_info") or []:
            local, prefix = info.get("local"), info.get("prefixlen")
            if not isinstance(local, str):
                continue
            if info.get("family") == "inet":
                ipv4.append(local)
                if isinstance(prefix, int) and 0 <= prefix <= 32:
                    masks.append(_mask(prefix))
            elif info.get("family") == "inet6":
                ipv6.append(local)
        row: Row = {
            "Name": name,
            "MacAddress": str(link.get("address") or ""),
            "IPV4": ",".join(ipv4),
            "IPV6": ",".join(ipv6),
        }
        if masks:
            row["SubnetMask"] = ",".join(masks)
        if name in gateways:
            row["Gateway"] = ",".join(gateways[name])
        if dns and link.get("link_type") != "loopback":
            row["DNSServer"] = dns
        rows.append(row)
    return rows
