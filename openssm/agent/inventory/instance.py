"""AWS:InstanceDetailedInformation: the processor, from ``lscpu -J`` and /proc/cpuinfo.

lscpu knows the topology (sockets, cores per socket, threads per core); /proc/cpuinfo the
current clock when lscpu shows no maximum (virtual machines often do not). Either may be
missing: what one lacks the other fills, and what neither knows is left empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from openssm.agent.inventory.items import Row

LSCPU_COMMAND = ("lscpu", "-J")
CPUINFO = "/proc/cpuinfo"
INSTANCE_DETAILED_INFORMATION = "AWS:InstanceDetailedInformation"


def _entries(entries: list[Any]) -> Iterator[tuple[str, str]]:
    """lscpu's (field, data) pairs; util-linux 2.38 and later nest some under ``children``."""
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        field, data = entry.get("field"), entry.get("data")
        if isinstance(field, str) and isinstance(data, str):
            yield field.rstrip(":").strip(), data.strip()
        children = entry.get("children")
        if isinstance(children, list):
            yield from _entries(children)


def parse_lscpu(text: str) -> dict[str, str]:
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {}
    entries = value.get("lscpu") if isinstance(value, dict) else None
    return dict(_entries(entries)) if isinstance(entries, list) else {}


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """One mapping per logical processor."""
    processors: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                processors.append(current)
                current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    return processors


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _mhz(value: str | None) -> str:
    try:
        return str(round(float(value))) if value else ""
    except ValueError:
        return ""


def parse_instance_details(lscpu_json: str, cpuinfo: str) -> list[Row]:
    lscpu = parse_lscpu(lscpu_json)
    processors = parse_cpuinfo(cpuinfo)
    first = processors[0] if processors else {}
    cpus = _int(lscpu.get("CPU(s)")) or len(processors) or None
    sockets = _int(lscpu.get("Socket(s)"))
    if sockets is None and processors:
        sockets = len({p.get("physical id", "0") for p in processors})
    cores_per_socket = _int(lscpu.get("Core(s) per socket")) or _int(first.get("cpu cores"))
    threads_per_core = _int(lscpu.get("Thread(s) per core"))
    if threads_per_core is None and cpus and sockets and cores_per_socket:
        threads_per_core = cpus // (sockets * cores_per_socket) or 1
    cores = cores_per_socket * sockets if cores_per_socket and sockets else None
    model = lscpu.get("Model name") or first.get("model name") or first.get("Processor", "")
    speed = _mhz(lscpu.get("CPU max MHz")) or _mhz(first.get("cpu MHz"))
    return [
        {
            "CPUModel": model,
            "CPUCores": str(cores) if cores else "",
            "CPUs": str(cpus) if cpus else "",
            "CPUSpeedMHz": speed,
            "CPUSockets": str(sockets) if sockets else "",
            "CPUHyperThreadEnabled": (
                "" if threads_per_core is None else str(threads_per_core > 1).lower()
            ),
            "OSServicePack": "",
        }
    ]
