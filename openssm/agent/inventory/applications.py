"""AWS:Application from the package manager, and AWS:AWSComponent (this agent).

The query prints one record per package with control characters between fields and
records (a description may hold anything printable, newlines included), so parsing needs
no quoting rules. The attributes are those AWS's agent reports: Name, Version, Publisher,
ApplicationType (dpkg's Section, rpm's Group), Architecture (``amd64`` shown as
``x86_64``), URL, Summary (one line), PackageId (the package file's name), InstalledTime
(RFC 3339, UTC) and, from rpm, Release and Epoch.

dpkg keeps no install time; its ``db-fsys:Last-Modified`` (the time the package's file
list last changed, dpkg 1.19.3 and later) is the nearest it has, and it is what is shown.
"""

from __future__ import annotations

import platform

import openssm
from openssm.agent.inventory.items import Row, rfc3339

FIELD = "\x1f"
RECORD = "\x1e"

_DPKG_FIELDS = (
    "${Package}",
    "${Version}",
    "${Maintainer}",
    "${Section}",
    "${Architecture}",
    "${Homepage}",
    "${binary:Summary}",
    "${db-fsys:Last-Modified}",
    "${db:Status-Status}",
)
DPKG_COMMAND = ("dpkg-query", "-W", "-f=" + FIELD.join(_DPKG_FIELDS) + RECORD)

_RPM_FIELDS = (
    "%{NAME}",
    "%{VERSION}",
    "%{RELEASE}",
    "%{EPOCH}",
    "%{VENDOR}",
    "%{GROUP}",
    "%{ARCH}",
    "%{URL}",
    "%{SUMMARY}",
    "%{SOURCERPM}",
    "%{INSTALLTIME}",
)
RPM_COMMAND = ("rpm", "-qa", "--queryformat", FIELD.join(_RPM_FIELDS) + RECORD)

APPLICATION = "AWS:Application"
AWS_COMPONENT = "AWS:AWSComponent"
AGENT_NAME = "openssm-agent"
_RPM_NONE = "(none)"


def format_architecture(arch: str) -> str:
    """AWS shows 64-bit x86 as ``x86_64`` and 32-bit as ``i386`` whichever tool said it."""
    arch = arch.strip().lower()
    return {"amd64": "x86_64", "386": "i386"}.get(arch, arch)


def _records(output: str, width: int) -> list[list[str]]:
    records: list[list[str]] = []
    for record in output.split(RECORD):
        fields = record.lstrip("\n").split(FIELD)
        if len(fields) == width and fields[0]:
            records.append(fields)
    return records


def _clean(value: str) -> str:
    return " ".join(value.split())


def _time(epoch: str) -> str:
    return rfc3339(int(epoch)) if epoch.strip().isdigit() else ""


def _drop_empty(row: Row) -> Row:
    """AWS leaves out optional attributes it has no value for."""
    required = ("Name", "Version", "Publisher", "Architecture")
    return {k: v for k, v in row.items() if v or k in required}


def parse_dpkg(output: str) -> list[Row]:
    """``DPKG_COMMAND``'s output → AWS:Application rows of the installed packages."""
    rows: list[Row] = []
    for fields in _records(output, len(_DPKG_FIELDS)):
        name, version, maintainer, section, arch, homepage, summary, modified, status = fields
        if status != "installed":
            continue  # removed but with its configuration left (dpkg's "rc")
        rows.append(
            _drop_empty(
                {
                    "Name": name,
                    "Version": version,
                    "Publisher": _clean(maintainer),
                    "ApplicationType": section,
                    "Architecture": format_architecture(arch),
                    "URL": homepage,
                    "Summary": _clean(summary),
                    # The .deb file's name, which leaves the epoch out of the version.
                    "PackageId": f"{name}_{version.partition(':')[2] or version}_{arch}.deb",
                    "InstalledTime": _time(modified),
                }
            )
        )
    return sorted(rows, key=lambda r: (r["Name"].lower(), r["Architecture"]))


def _rpm_value(value: str) -> str:
    return "" if value == _RPM_NONE else value


def parse_rpm(output: str) -> list[Row]:
    """``RPM_COMMAND``'s output → AWS:Application rows (gpg-pubkey entries are keys, not
    software, and are left out)."""
    rows: list[Row] = []
    for fields in _records(output, len(_RPM_FIELDS)):
        name, version, release, epoch, vendor, group, arch, url, summary, source, installed = (
            _rpm_value(f) for f in fields
        )
        if name == "gpg-pubkey":
            continue
        rows.append(
            _drop_empty(
                {
                    "Name": name,
                    "Version": version,
                    "Release": release,
                    "Epoch": epoch,
                    "Publisher": _clean(vendor),
                    "ApplicationType": group,
                    "Architecture": format_architecture(arch),
                    "URL": url,
                    "Summary": _clean(summary.splitlines()[0] if summary else ""),
                    "PackageId": source,
                    "InstalledTime": _time(installed),
                }
            )
        )
    return sorted(rows, key=lambda r: (r["Name"].lower(), r["Architecture"]))


def agent_component(installed_at: float | None = None) -> list[Row]:
    """AWS:AWSComponent: the agent itself, as AWS lists its own agent there."""
    row: Row = {
        "Name": AGENT_NAME,
        "Version": openssm.__version__,
        "Publisher": "openssm",
        "ApplicationType": "Agent",
        "Architecture": format_architecture(platform.machine()),
    }
    if installed_at is not None:
        row["InstalledTime"] = rfc3339(installed_at)
    return [row]
