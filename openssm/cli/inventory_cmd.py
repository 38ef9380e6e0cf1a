"""`openssm inventory HOST` and `openssm inventory search TYPE.ATTRIBUTE=VALUE`: what a host
runs, and which hosts run something, through GetInventory and ListInventoryEntries.

HOST is an instance id or a computer name. ``search`` takes one condition: ``=`` (Equal),
``!=`` (NotEqual), ``^=`` (BeginWith), ``<`` and ``>`` (LessThan, GreaterThan), e.g.
``AWS:Application.Name=openssl`` or ``AWS:Application.Version<3.0.12``. Tables are never cut
when the output is not a terminal; ``--json`` prints one JSON document for scripts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags, ssm_client
from openssm.cli.tables import table_console
from openssm.errors import OpenSSMError

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

INFO = "AWS:InstanceInformation"
_INSTANCE_ID = re.compile(r"(mi-[0-9a-f]{17}|i-\w{8}(\w{9})?)")
_CONDITION = re.compile(r"(?P<key>[^=!<>^]+\.[^=!<>^.]+)(?P<op>!=|\^=|=|<|>)(?P<value>.*)", re.S)
_OPERATORS = {
    "=": "Equal",
    "!=": "NotEqual",
    "^=": "BeginWith",
    "<": "LessThan",
    ">": "GreaterThan",
}
# Attributes shown first for a type, when it has them; the others follow.
_LEADING = ("Name", "Version", "Key", "Value")
# GetInventory takes at most 40 values in one filter.
_MAX_VALUES = 40


class UsageError(OpenSSMError):
    """What the person typed cannot be run; the message says how to fix it."""


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "inventory",
        help="what a host runs, or which hosts run something",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "words",
        nargs="+",
        metavar="HOST | search CONDITION",
        help="a host, or search and a condition",
    )
    parser.add_argument("--type", dest="type_name", help="with HOST: list this type's entries")
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    add_connection_flags(parser)
    parser.set_defaults(handler=_run)


def parse_condition(text: str) -> dict[str, Any]:
    """``TYPE.ATTRIBUTE<op>VALUE`` → a GetInventory filter."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise UsageError(
            f"{text!r} is not a condition: write TYPE.ATTRIBUTE=VALUE, for example "
            "AWS:Application.Name=openssl (also !=, ^=, <, >)"
        )
    return {"Key": match["key"], "Values": [match["value"]], "Type": _OPERATORS[match["op"]]}


def _entities(ssm: SSMClient, **request: Any) -> Iterator[dict[str, Any]]:
    for page in ssm.get_paginator("get_inventory").paginate(**request):
        yield from (dict(e) for e in page["Entities"])


def _information(ssm: SSMClient, instance_ids: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(instance_ids), _MAX_VALUES):
        chunk = instance_ids[start : start + _MAX_VALUES]
        key = f"{INFO}.InstanceId"
        for entity in _entities(ssm, Filters=[{"Key": key, "Values": chunk, "Type": "Equal"}]):
            content = entity["Data"].get(INFO, {}).get("Content") or [{}]
            found[entity["Id"]] = content[0]
    return found


def search(ssm: SSMClient, condition: str) -> list[dict[str, str]]:
    """One row per matching entry: the host, its computer name, and the entry."""
    inventory_filter = parse_condition(condition)
    type_name = inventory_filter["Key"].rpartition(".")[0]
    rows: list[dict[str, str]] = []
    for entity in _entities(
        ssm, Filters=[inventory_filter], ResultAttributes=[{"TypeName": type_name}]
    ):
        content = entity["Data"].get(type_name, {}).get("Content", [])
        rows.extend({"InstanceId": entity["Id"], **entry} for entry in content)
    names = _information(ssm, sorted({r["InstanceId"] for r in rows}))
    for row in rows:
        row["ComputerName"] = names.get(row["InstanceId"], {}).get("ComputerName", "")
    return rows


def resolve_host(ssm: SSMClient, host: str) -> str:
    if _INSTANCE_ID.fullmatch(host):
        return host
    key = f"{INFO}.ComputerName"
    ids = [str(e["Id"]) for e in _entities(ssm, Filters=[{"Key": key, "Values": [host]}])]
    if len(ids) != 1:
        found = "no managed instance" if not ids else f"{len(ids)} managed instances"
        raise UsageError(f"{found} named {host!r}; give its instance id")
    return ids[0]


def entries(ssm: SSMClient, instance_id: str, type_name: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    request: dict[str, Any] = {"InstanceId": instance_id, "TypeName": type_name, "MaxResults": 50}
    while True:
        page = ssm.list_inventory_entries(**request)
        found.extend(page.get("Entries", []))
        if "NextToken" not in page:
            return found
        request["NextToken"] = page["NextToken"]


def host_summary(ssm: SSMClient, instance_id: str) -> dict[str, Any]:
    """The host's AWS:InstanceInformation and, per type it reported, its entry count."""
    types: dict[str, int] = {}
    for page in ssm.get_paginator("get_inventory_schema").paginate():
        for schema in page["Schemas"]:
            name = schema["TypeName"]
            if name not in (INFO, "AWS:Tag"):
                count = len(entries(ssm, instance_id, name))
                if count:
                    types[name] = count
    [information] = _information(ssm, [instance_id]).values() or [{}]
    return {"InstanceId": instance_id, "Information": information, "Types": types}


def _table(columns: list[str], rows: list[list[str]]) -> None:
    from rich.table import Table

    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    table_console().print(table)


def _columns(rows: list[dict[str, str]], first: tuple[str, ...]) -> list[str]:
    seen = {k for row in rows for k in row}
    leading = [c for c in (*first, *_LEADING) if c in seen]
    return leading + sorted(seen - set(leading))


def _show(found: Any, rows: list[dict[str, str]], first: tuple[str, ...], as_json: bool) -> None:
    if as_json:
        print(json.dumps(found, indent=2, default=str))
        return
    columns = _columns(rows, first)
    _table(columns, [[row.get(c, "") for c in columns] for row in rows])


def _run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        ssm = ssm_client(args)
        if args.words[0] == "search":
            if len(args.words) != 2:
                raise UsageError("search takes one condition, e.g. AWS:Application.Name=openssl")
            rows = search(ssm, args.words[1])
            _show(rows, rows, ("InstanceId", "ComputerName"), args.json)
            return 0 if rows else 1
        if len(args.words) != 1:
            raise UsageError("give one HOST, or search and a condition")
        instance_id = resolve_host(ssm, args.words[0])
        if args.type_name:
            rows = entries(ssm, instance_id, args.type_name)
            _show(rows, rows, (), args.json)
            return 0
        summary = host_summary(ssm, instance_id)
    except UsageError as exc:
        print(f"openssm inventory: {exc}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError) as exc:
        print(f"openssm inventory: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    information = summary["Information"]
    _table(["Attribute", "Value"], [[k, str(v)] for k, v in sorted(information.items())])
    _table(["Type", "Entries"], [[t, str(n)] for t, n in sorted(summary["Types"].items())])
    return 0
