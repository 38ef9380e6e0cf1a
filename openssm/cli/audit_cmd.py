"""`openssm audit`: the audit trail for people, newest first.

``openssm audit --since 1h --user alice --operation SendCommand`` asks the server's CloudTrail
LookupEvents (the same API ``aws cloudtrail lookup-events`` uses) and prints who called what,
from where, on which resources, and how it ended. ``--json`` prints the CloudTrail records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags, cloudtrail_client
from openssm.cli.tables import table_console

if TYPE_CHECKING:
    from types_boto3_cloudtrail.client import CloudTrailClient
    from types_boto3_cloudtrail.type_defs import LookupAttributeTypeDef

EXIT_ERROR = 2
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> dt.timedelta:
    """``90s``, ``15m``, ``1h``, ``7d`` (or several: ``1h30m``)."""
    text = text.strip().lower()
    total = 0.0
    at = 0
    for found in _DURATION.finditer(text):
        if found.start() != at:
            break
        total += float(found.group(1)) * _UNIT_S[found.group(2)]
        at = found.end()
    if at != len(text) or not text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90s, 15m, 1h or 7d")
    return dt.timedelta(seconds=total)


def add_parser(sub: Any) -> None:
    audit: argparse.ArgumentParser = sub.add_parser(
        "audit", help="who called what, from where, and how it ended (the audit trail)"
    )
    audit.add_argument("--user", help="only calls by this user (or managed node id)")
    audit.add_argument("--operation", help="only this operation (SendCommand, PutParameter, …)")
    audit.add_argument(
        "--since", type=parse_duration, default=None, help="how far back: 90s, 15m, 1h, 7d"
    )
    audit.add_argument("--max", type=int, default=200, help="how many records (default 200)")
    audit.add_argument("--json", action="store_true", help="the CloudTrail records, as JSON")
    add_connection_flags(audit)
    audit.set_defaults(handler=_audit)


def _events(args: argparse.Namespace, trail: CloudTrailClient) -> Iterator[dict[str, Any]]:
    """LookupEvents pages, newest first. CloudTrail takes one lookup attribute: the user when
    given (the operation is then matched here), else the operation."""
    request: dict[str, Any] = {}
    attribute: LookupAttributeTypeDef | None = None
    if args.user:
        attribute = {"AttributeKey": "Username", "AttributeValue": args.user}
    elif args.operation:
        attribute = {"AttributeKey": "EventName", "AttributeValue": args.operation}
    if attribute is not None:
        request["LookupAttributes"] = [attribute]
    if args.since is not None:
        request["StartTime"] = dt.datetime.now(dt.UTC) - args.since
    for page in trail.get_paginator("lookup_events").paginate(**request):
        for event in page["Events"]:
            if args.operation and event["EventName"] != args.operation:
                continue
            yield dict(event)


def _row(record: dict[str, Any]) -> tuple[str, ...]:
    identity = record.get("userIdentity", {})
    who = identity.get("userName") or identity.get("accessKeyId") or identity.get("type", "")
    resources = " ".join(r.get("ARN", "") for r in record.get("resources", []))
    outcome = record.get("errorCode") or "OK"
    return (
        record.get("eventTime", ""),
        who,
        record.get("sourceIPAddress", ""),
        f"{record.get('eventSource', '').split('.', 1)[0]}:{record.get('eventName', '')}",
        resources,
        outcome,
    )


def _audit(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    records: list[dict[str, Any]] = []
    try:
        for event in _events(args, cloudtrail_client(args)):
            records.append(json.loads(event["CloudTrailEvent"]))
            if len(records) >= args.max:
                break
    except (ClientError, BotoCoreError) as exc:
        print(f"openssm audit: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    from rich.table import Table

    table = Table()
    for column in ("Time", "User", "Source IP", "Operation", "Resources", "Result"):
        table.add_column(column, no_wrap=True, overflow="fold")
    for record in records:
        table.add_row(*_row(record))
    table_console().print(table)
    return 0
