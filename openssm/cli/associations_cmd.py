"""``openssm associations``: the account's associations and how their hosts stand.

One row per association: its name (or id), document, schedule, when it last ran and its
hosts by their last result (compliant = the run succeeded, failed, pending = not run yet).
``--json`` prints the associations as ListAssociations gives them, for scripts. Rich tables,
never cut when stdout is not a terminal.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from openssm.cli.client import add_connection_flags, ssm_client
from openssm.cli.tables import table_console, when


def add_parser(sub: Any) -> None:
    associations: argparse.ArgumentParser = sub.add_parser(
        "associations",
        help="associations with their hosts: compliant, failed, pending",
    )
    associations.add_argument("--name", help="only the association with this AssociationName")
    associations.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    add_connection_flags(associations)
    associations.set_defaults(handler=_associations)


def host_counts(association: dict[str, Any]) -> tuple[int, int, int]:
    """(compliant, failed, pending) hosts of one association, from its overview."""
    counts = (association.get("Overview") or {}).get("AssociationStatusAggregatedCount") or {}
    return counts.get("Success", 0), counts.get("Failed", 0), counts.get("Pending", 0)


def _targets(association: dict[str, Any]) -> str:
    if association.get("InstanceId"):
        return str(association["InstanceId"])
    return "; ".join(
        f"{t['Key']}={','.join(t['Values'])}" for t in association.get("Targets") or []
    )


def _associations(args: argparse.Namespace) -> int:
    ssm = ssm_client(args)
    found: list[dict[str, Any]] = []
    paginator = ssm.get_paginator("list_associations")
    pages = (
        paginator.paginate(AssociationFilterList=[{"key": "AssociationName", "value": args.name}])
        if args.name
        else paginator.paginate()
    )
    for page in pages:
        found.extend(dict(a) for a in page["Associations"])
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return 0
    from rich.table import Table

    table = Table(title=f"{len(found)} association{'s' if len(found) != 1 else ''}")
    columns = ("Association", "Document", "Targets", "Schedule", "Last run", "Status")
    for column in (*columns, "Compliant", "Failed", "Pending"):
        table.add_column(column, overflow="fold")
    for a in found:
        compliant, failed, pending = host_counts(a)
        status = (a.get("Overview") or {}).get("Status", "")
        colour = {"Success": "green", "Failed": "red"}.get(status, "yellow")
        table.add_row(
            a.get("AssociationName") or a["AssociationId"],
            a["Name"],
            _targets(a),
            a.get("ScheduleExpression") or "once",
            when(a.get("LastExecutionDate"), missing="never"),
            f"[{colour}]{status}[/{colour}]",
            str(compliant),
            str(failed),
            str(pending),
        )
    table_console().print(table)
    return 0
