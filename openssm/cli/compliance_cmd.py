"""`openssm compliance`: the fleet's compliance by type, and the hosts that are not compliant.

The first table counts hosts per compliance type, compliant and non-compliant, by severity
(ListComplianceSummaries); the second lists each non-compliant host and type with its
failing items (ListResourceComplianceSummaries and ListComplianceItems). ``--type`` and
``--host`` narrow both; ``--json`` prints one JSON document for scripts instead. Nothing is
cut when the output is not a terminal.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags, ssm_client
from openssm.cli.tables import table_console

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient
    from types_boto3_ssm.type_defs import ComplianceStringFilterTypeDef

SEVERITIES = ("Critical", "High", "Medium", "Low", "Informational", "Unspecified")


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "compliance", help="compliance by type, and the non-compliant hosts with what fails"
    )
    parser.add_argument("--type", help="one compliance type (Association, Patch, Custom:…)")
    parser.add_argument("--host", help="one managed node (mi-…)")
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    add_connection_flags(parser)
    parser.set_defaults(handler=_compliance)


def _filters(args: argparse.Namespace, **more: str) -> list[ComplianceStringFilterTypeDef]:
    wanted = {"ComplianceType": args.type, "ResourceId": args.host, **more}
    return [
        {"Key": key, "Values": [value], "Type": "EQUAL"}
        for key, value in wanted.items()
        if value is not None
    ]


def _pages(call: Any, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every result of a paged listing (these listings have no boto3 paginator)."""
    while True:
        page = call(**kwargs)
        yield from page[key]
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]


def _report(ssm: SSMClient, args: argparse.Namespace) -> dict[str, Any]:
    summaries = list(
        _pages(ssm.list_compliance_summaries, "ComplianceSummaryItems", Filters=_filters(args))
    )
    failing = _filters(args, Status="NON_COMPLIANT")
    hosts = list(
        _pages(
            ssm.list_resource_compliance_summaries,
            "ResourceComplianceSummaryItems",
            Filters=failing,
        )
    )
    items: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in _pages(ssm.list_compliance_items, "ComplianceItems", Filters=failing):
        items.setdefault((item["ResourceId"], item["ComplianceType"]), []).append(item)
    non_compliant = [
        {
            "ResourceId": host["ResourceId"],
            "ComplianceType": host["ComplianceType"],
            "OverallSeverity": host["OverallSeverity"],
            "ExecutionSummary": host.get("ExecutionSummary", {}),
            "Items": items.get((host["ResourceId"], host["ComplianceType"]), []),
        }
        for host in hosts
    ]
    return {"Summaries": summaries, "NonCompliant": non_compliant}


def _compliance(args: argparse.Namespace) -> int:
    report = _report(ssm_client(args), args)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    from rich.table import Table

    console = table_console()
    by_type = Table(title="compliance by type (hosts)")
    for column in ("Type", "Status", "Hosts", *SEVERITIES):
        by_type.add_column(column, no_wrap=True, overflow="fold")
    for summary in report["Summaries"]:
        for status, part, count in (
            ("compliant", summary["CompliantSummary"], "CompliantCount"),
            ("non-compliant", summary["NonCompliantSummary"], "NonCompliantCount"),
        ):
            severity = part["SeveritySummary"]
            by_type.add_row(
                summary["ComplianceType"],
                status,
                str(part[count]),
                *(str(severity[f"{s}Count"]) for s in SEVERITIES),
            )
    console.print(by_type)
    if not report["NonCompliant"]:
        console.print("no non-compliant hosts")
        return 0
    hosts = Table(title="non-compliant hosts")
    for column in ("Host", "Type", "Severity", "Failing items"):
        hosts.add_column(column, no_wrap=True, overflow="fold")
    for host in report["NonCompliant"]:
        hosts.add_row(
            host["ResourceId"],
            host["ComplianceType"],
            host["OverallSeverity"],
            "\n".join(_describe(item) for item in host["Items"]),
        )
    console.print(hosts)
    return 0


def _describe(item: dict[str, Any]) -> str:
    """One failing item: its severity, Id and title, and its details as key=value."""
    words = [item["Severity"], item.get("Id") or "(no id)"]
    if item.get("Title"):
        words.append(item["Title"])
    details = item.get("Details") or {}
    words += [f"{key}={value}" for key, value in sorted(details.items())]
    return " ".join(words)
