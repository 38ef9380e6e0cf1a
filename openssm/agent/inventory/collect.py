"""aws:softwareInventory's parameters → the inventory items of this host, and their cost.

Each enabled gatherer runs once; one that fails (its tool missing, a limit reached) is
left out with a message, and the others are still reported, as AWS's agent does. The
Windows-only types (windowsUpdates, windowsRoles, windowsRegistry) and billingInfo (EC2
only) have nothing to collect here. AWS:InstanceInformation and AWS:Tag are not collected
by the agent: the server fills them from its own fleet data.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openssm.agent.inventory import applications, custom, files, instance, network, services
from openssm.agent.inventory.items import InventoryItem, Row
from openssm.agent.inventory.probe import Limits, ProbeFailed, probe

ENABLED = "Enabled"
# Parameter → the gatherer it switches on (None: nothing to gather on Linux).
SWITCHES = {
    "applications": applications.APPLICATION,
    "awsComponents": applications.AWS_COMPONENT,
    "networkConfig": network.NETWORK,
    "instanceDetailedInformation": instance.INSTANCE_DETAILED_INFORMATION,
    "services": services.SERVICE,
    "windowsUpdates": None,
    "windowsRoles": None,
    "billingInfo": None,
}


@dataclass(slots=True)
class Cost:
    """What a collection cost: the agent's own CPU, its commands' CPU and largest RSS."""

    agent_cpu_s: float = 0.0
    commands_cpu_s: float = 0.0
    commands_peak_rss_bytes: int = 0
    wall_s: float = 0.0

    def summary(self) -> str:
        return (
            f"CPU {self.agent_cpu_s + self.commands_cpu_s:.2f} s (agent {self.agent_cpu_s:.2f} s, "
            f"commands {self.commands_cpu_s:.2f} s), commands' peak RSS "
            f"{self.commands_peak_rss_bytes / 1e6:.1f} MB, {self.wall_s:.2f} s"
        )


@dataclass(slots=True)
class Collection:
    items: list[InventoryItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    cost: Cost = field(default_factory=Cost)


@dataclass(frozen=True, slots=True)
class Host:
    """Where the gatherers look; tests point them at prepared directories."""

    custom_folder: Path
    unit_dirs: tuple[str, ...] = services.UNIT_DIRS
    resolv_conf: str = network.RESOLV_CONF
    cpuinfo: str = instance.CPUINFO
    agent_installed_at: float | None = None
    limits: Limits = field(default_factory=Limits)


class _Run:
    def __init__(self, host: Host, cost: Cost) -> None:
        self.host = host
        self.cost = cost

    async def command(self, argv: tuple[str, ...]) -> str:
        """The command's output; ProbeFailed when it cannot run or did not end well."""
        result = await probe(argv, self.host.limits)
        self.cost.commands_cpu_s += result.cpu_s
        self.cost.commands_peak_rss_bytes = max(
            self.cost.commands_peak_rss_bytes, result.peak_rss_bytes
        )
        if result.error is not None:
            raise ProbeFailed(f"{' '.join(argv[:2])}: {result.error}")
        return result.output


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


async def _applications(run: _Run) -> list[Row]:
    try:
        return applications.parse_dpkg(await run.command(applications.DPKG_COMMAND))
    except ProbeFailed as dpkg_failed:
        try:
            return applications.parse_rpm(await run.command(applications.RPM_COMMAND))
        except ProbeFailed as rpm_failed:
            raise ProbeFailed(f"no package manager answered: {dpkg_failed}; {rpm_failed}") from None


async def _components(run: _Run) -> list[Row]:
    return applications.agent_component(run.host.agent_installed_at)


async def _network(run: _Run) -> list[Row]:
    addr = await run.command(network.ADDR_COMMAND)
    try:
        route = await run.command(network.ROUTE_COMMAND)
    except ProbeFailed:
        route = ""
    return network.parse_network(addr, route, _read(run.host.resolv_conf))


async def _instance(run: _Run) -> list[Row]:
    try:
        lscpu = await run.command(instance.LSCPU_COMMAND)
    except ProbeFailed:
        lscpu = ""  # /proc/cpuinfo alone still says most
    return instance.parse_instance_details(lscpu, _read(run.host.cpuinfo))


def _unit_files(unit_dirs: tuple[str, ...]) -> tuple[dict[str, services.UnitFile], set[str]]:
    units: dict[str, services.UnitFile | None] = {}
    links: list[tuple[str, str]] = []
    for directory in unit_dirs:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                links.extend((entry.name, name) for name in _names(entry.path))
            elif entry.name.endswith(".service") and entry.name not in units:
                units[entry.name] = _unit(Path(entry.path))
    found = {name: unit for name, unit in units.items() if unit is not None}
    return found, services.wanted_units(links)


def _names(directory: str) -> list[str]:
    try:
        return [e.name for e in os.scandir(directory)]
    except OSError:
        return []


def _unit(path: Path) -> services.UnitFile | None:
    """The unit at ``path``; MASKED for a link to /dev/null; None for an alias of another."""
    if path.is_symlink():
        target = str(path.readlink())
        if target == "/dev/null":
            return services.MASKED
        if Path(target).name != path.name:
            return None  # an alias (dbus-org.freedesktop.hostname1.service): listed once
    return services.parse_unit_file(_read(str(path)))


def _systemd_runs() -> bool:
    return Path("/run/systemd/system").is_dir()  # sd_booted(3)'s test


async def _services(run: _Run) -> list[Row]:
    units, enabled = _unit_files(run.host.unit_dirs)
    live: dict[str, tuple[str, str]] | None = None
    file_states: dict[str, str] | None = None
    if _systemd_runs():
        live = services.parse_list_units(await run.command(services.LIST_UNITS_COMMAND))
        file_states = services.parse_list_unit_files(
            await run.command(services.LIST_UNIT_FILES_COMMAND)
        )
    return services.service_rows(
        units, enabled=enabled, live_states=live, unit_file_states=file_states
    )


_GATHERERS: Mapping[str, Callable[[_Run], Awaitable[list[Row]]]] = {
    applications.APPLICATION: _applications,
    applications.AWS_COMPONENT: _components,
    network.NETWORK: _network,
    instance.INSTANCE_DETAILED_INFORMATION: _instance,
    services.SERVICE: _services,
}


def _is_enabled(inputs: Mapping[str, Any], name: str) -> bool:
    return str(inputs.get(name, ENABLED)) == ENABLED


async def collect(inputs: Mapping[str, Any], host: Host, now: dt.datetime) -> Collection:
    """Gather what ``inputs`` (the step's parameters) ask for."""
    result = Collection()
    started, cpu_started = time.monotonic(), _own_cpu_s()
    run = _Run(host, result.cost)
    for parameter, type_name in SWITCHES.items():
        if type_name is None or not _is_enabled(inputs, parameter):
            continue
        try:
            rows = await _GATHERERS[type_name](run)
        except (ProbeFailed, OSError) as exc:
            result.problems.append(f"{type_name}: {exc}")
            continue
        result.items.append(InventoryItem.of(type_name, rows, now))
    files_text = inputs.get("files") or ""
    if isinstance(files_text, str) and files_text.strip():
        try:
            rows = []
            for search in files.parse_searches(files_text):
                rows.extend(files.search_files(search))
            result.items.append(InventoryItem.of(files.FILE, rows, now))
        except files.FileSearchError as exc:
            result.problems.append(f"{files.FILE}: {exc}")
    if _is_enabled(inputs, "customInventory"):
        found, problems = custom.read_custom_folder(host.custom_folder)
        result.problems.extend(f"custom inventory: {p}" for p in problems)
        result.items.extend(
            InventoryItem.of(t.type_name, t.rows, now, t.schema_version) for t in found
        )
    result.cost.wall_s = time.monotonic() - started
    result.cost.agent_cpu_s = _own_cpu_s() - cpu_started
    return result


def _own_cpu_s() -> float:
    """The agent process's CPU time (its threads included, its children not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
