"""What this host is: platform name and version, primary IP address, computer name.

The parsers are pure (os-release text in, values out); ``gather`` is the thin
shell that reads the files and sockets.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from pathlib import Path

import openssm
from openssm.protocol.frames import InstanceInfoFrame

OS_RELEASE_PATHS = (Path("/etc/os-release"), Path("/usr/lib/os-release"))
PLATFORM_TYPE = "Linux"
# Any routable address does: connecting a UDP socket sends nothing, it only asks
# the kernel which source address the default route would use. TEST-NET-1.
_ROUTE_PROBE = ("192.0.2.1", 9)
_ESCAPABLE = frozenset('$"\\`')


def _unquote(value: str) -> str:
    """One os-release value: shell-style quotes, backslash escapes in double quotes."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        i = 0
        while i < len(inner):
            if inner[i] == "\\" and i + 1 < len(inner) and inner[i + 1] in _ESCAPABLE:
                out.append(inner[i + 1])
                i += 2
            else:
                out.append(inner[i])
                i += 1
        return "".join(out)
    return value


def parse_os_release(text: str) -> dict[str, str]:
    """The KEY=value assignments of an os-release file (os-release(5)); others are skipped."""
    result: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if key.isidentifier():  # os-release(5) allows no blanks around '='
            result[key] = _unquote(value)
    return result


def platform_name_version(fields: dict[str, str]) -> tuple[str, str]:
    """(PlatformName, PlatformVersion) as SSM shows them: os-release NAME and VERSION_ID.

    os-release(5) defaults NAME to "Linux"; rolling distributions have no VERSION_ID.
    """
    return fields.get("NAME") or "Linux", fields.get("VERSION_ID", "")


def choose_primary_address(candidates: Iterable[str]) -> str:
    """The first usable IPv4 address, else the first usable IPv6, else 127.0.0.1.

    Loopback, link-local, unspecified and malformed addresses are not usable.
    """
    v4: list[str] = []
    v6: list[str] = []
    for text in candidates:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified:
            continue
        (v4 if address.version == 4 else v6).append(str(address))
    return (v4 or v6 or ["127.0.0.1"])[0]


def read_os_release(paths: Iterable[Path] = OS_RELEASE_PATHS) -> dict[str, str]:
    for path in paths:
        try:
            return parse_os_release(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return {}


def _route_source_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address: str = probe.getsockname()[0]
            return address
    except OSError:
        return None


def _hostname_addresses(hostname: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


def primary_ip_address(hostname: str) -> str:
    """The source address of the default route, else an address the hostname resolves to."""
    routed = _route_source_address()
    if routed and choose_primary_address([routed]) == routed:
        return routed
    # No default route: the name lookup may be slow, so it is only the fallback.
    return choose_primary_address(_hostname_addresses(hostname))


def as_text(name: str) -> str:
    """`name` as Unicode text: bytes the OS gave that are not UTF-8 (which Python keeps as lone
    surrogates) become U+FFFD, since a frame holding a lone surrogate is no text (SPEC.md)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def gather() -> InstanceInfoFrame:
    """This host's instance information, read now."""
    hostname = as_text(socket.gethostname())
    name, version = platform_name_version(read_os_release())
    return InstanceInfoFrame(
        agent_version=openssm.__version__,
        platform_type=PLATFORM_TYPE,
        platform_name=name,
        platform_version=version,
        ip_address=primary_ip_address(hostname),
        computer_name=hostname,
    )
