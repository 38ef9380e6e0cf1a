"""AWS:Service on Linux: systemd's service units, with AWS's attribute names.

The unit files on disk say what each service is (Description → DisplayName, ``Type=`` →
ServiceType, ``Requires=``/``Wants=``/``BindsTo=`` → ServicesDependedOn, and the reverse
→ DependentServices), and are read whether or not systemd runs (it does not in most
containers). When systemd runs, ``systemctl list-units`` gives each service's state and
``list-unit-files`` whether it starts at boot; otherwise nothing runs under systemd, so
every service shows Stopped, and the ``*.wants`` links say which would start at boot.

Windows' values are kept where they mean the same: Status Running, Stopped, StartPending,
StopPending; StartType Automatic (enabled), Manual (can be started: static, disabled,
indirect) and Disabled (masked: cannot be started).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from openssm.agent.inventory.items import Row

LIST_UNITS_COMMAND = (
    "systemctl", "list-units", "--type=service", "--all", "--no-legend", "--plain", "--no-pager",
)  # fmt: skip
LIST_UNIT_FILES_COMMAND = (
    "systemctl", "list-unit-files", "--type=service", "--no-legend", "--no-pager",
)  # fmt: skip
# Highest precedence first, as systemd reads them.
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
             "/lib/systemd/system")  # fmt: skip
SERVICE = "AWS:Service"
_DEPENDENCY_KEYS = ("Requires", "Wants", "BindsTo", "Requisite")
_AUTOMATIC = frozenset({"enabled", "enabled-runtime", "alias"})
_DISABLED = frozenset({"masked", "masked-runtime"})


@dataclass(frozen=True, slots=True)
class UnitFile:
    description: str = ""
    service_type: str = "simple"
    depends_on: tuple[str, ...] = ()
    masked: bool = False


MASKED = UnitFile(masked=True)


def parse_unit_file(text: str) -> UnitFile:
    """The few settings of a unit file AWS:Service shows (systemd.unit(5) syntax)."""
    section = ""
    description = ""
    service_type = "simple"
    depends: list[str] = []
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        logical.append(line)
    for line in logical:
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if section == "Unit" and key == "Description":
            description = value
        elif section == "Service" and key == "Type" and value:
            service_type = value
        elif section == "Unit" and key in _DEPENDENCY_KEYS:
            if not value:
                depends.clear()  # an empty assignment resets the list
            depends.extend(u for u in value.split() if u not in depends)
    return UnitFile(description, service_type, tuple(depends))


def parse_list_units(output: str) -> dict[str, tuple[str, str]]:
    """``LIST_UNITS_COMMAND``'s output → {unit: (ACTIVE, SUB)}."""
    states: dict[str, tuple[str, str]] = {}
    for line in output.splitlines():
        words = line.split(None, 4)
        if len(words) >= 4 and words[0].endswith(".service"):
            states[words[0]] = (words[2], words[3])
    return states


def parse_list_unit_files(output: str) -> dict[str, str]:
    """``LIST_UNIT_FILES_COMMAND``'s output → {unit: STATE}."""
    states: dict[str, str] = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].endswith(".service"):
            states[words[0]] = words[1]
    return states


def wanted_units(links: Iterable[tuple[str, str]]) -> set[str]:
    """Units enabled by ``<dir>/<target>.wants/<unit>`` links: pairs (directory, unit)."""
    return {unit for directory, unit in links if directory.endswith((".wants", ".requires"))}


def _status(state: tuple[str, str] | None) -> str:
    if state is None:
        return "Stopped"
    active, sub = state
    if active == "active" and sub in ("running", "exited"):
        return "Running"
    if active in ("activating", "reloading"):
        return "StartPending"
    if active == "deactivating":
        return "StopPending"
    return "Stopped"


def _start_type(unit_file_state: str | None, is_enabled: bool, unit: UnitFile) -> str:
    if unit.masked or unit_file_state in _DISABLED:
        return "Disabled"
    if unit_file_state in _AUTOMATIC or (unit_file_state is None and is_enabled):
        return "Automatic"
    return "Manual"


def service_rows(
    units: Mapping[str, UnitFile],
    *,
    enabled: set[str],
    live_states: Mapping[str, tuple[str, str]] | None = None,
    unit_file_states: Mapping[str, str] | None = None,
) -> list[Row]:
    """One row per service unit; ``live_states``/``unit_file_states`` are systemctl's, None
    when systemd does not run. Template units (``name@.service``) are not services."""
    names = sorted(n for n in units if n.endswith(".service") and not n.endswith("@.service"))
    dependents: dict[str, list[str]] = {}
    for name in names:
        for dependency in units[name].depends_on:
            dependents.setdefault(dependency, []).append(name)
    rows: list[Row] = []
    for name in names:
        unit = units[name]
        state = live_states.get(name) if live_states is not None else None
        file_state = unit_file_states.get(name) if unit_file_states is not None else None
        rows.append(
            {
                "Name": name,
                "DisplayName": unit.description,
                "ServiceType": unit.service_type,
                "Status": _status(state),
                "StartType": _start_type(file_state, name in enabled, unit),
                "DependentServices": ",".join(dependents.get(name, ())),
                "ServicesDependedOn": ",".join(unit.depends_on),
            }
        )
    return rows
