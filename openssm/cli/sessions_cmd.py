"""`openssm sessions`: the active sessions and those that ended (DescribeSessions, State
Active then History), as a table or, with ``--json``, one JSON document."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags, ssm_client
from openssm.cli.tables import table_console, when

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

COLUMNS = (
    "Session",
    "State",
    "Target",
    "Owner",
    "Document",
    "Started",
    "Ended",
    "Reason",
    "Details",
)


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "sessions", help="active and past Session Manager sessions"
    )
    parser.add_argument(
        "--state", choices=("Active", "History", "all"), default="all", help="default: all"
    )
    parser.add_argument("--target", help="only the sessions to this instance id")
    parser.add_argument("--max", type=int, default=50, help="at most this many of each state")
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    add_connection_flags(parser)
    parser.set_defaults(handler=_run)


def sessions(ssm: SSMClient, state: str, target: str | None, most: int) -> list[dict[str, Any]]:
    request: dict[str, Any] = {"State": state}
    if target:
        request["Filters"] = [{"key": "Target", "value": target}]
    found: list[dict[str, Any]] = []
    pages = ssm.get_paginator("describe_sessions").paginate(
        **request, PaginationConfig={"MaxItems": most}
    )
    for page in pages:
        found.extend(dict(s, State=s.get("Status", state)) for s in page["Sessions"])
    return found


def _run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    states = ("Active", "History") if args.state == "all" else (args.state,)
    try:
        ssm = ssm_client(args)
        found = [s for state in states for s in sessions(ssm, state, args.target, args.max)]
    except (ClientError, BotoCoreError) as exc:
        print(f"openssm sessions: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return 0
    from rich.table import Table

    table = Table()
    for column in COLUMNS:
        table.add_column(column, no_wrap=True, overflow="fold")
    for s in found:
        table.add_row(
            s["SessionId"],
            str(s.get("Status", "")),
            str(s.get("Target", "")),
            str(s.get("Owner", "")),
            str(s.get("DocumentName", "")),
            when(s.get("StartDate")),
            when(s.get("EndDate")),
            str(s.get("Reason", "")),
            str(s.get("Details", "")),
        )
    table_console().print(table)
    return 0
