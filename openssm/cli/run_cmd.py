"""`openssm run`, `openssm commands` and `openssm output`: Run Command for people.

``openssm run --targets Key=tag:Env,Values=prod 'uptime'`` sends AWS-RunShellScript (or any
document with ``--document``/``--parameters``), shows live progress while it runs, then
each node's output; it exits 1 when any node did not succeed. ``--json`` prints one JSON
document for scripts instead. All of it goes through the public API with boto3.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags, ssm_client
from openssm.cli.shorthand import ShorthandError, parse_parameters, parse_target
from openssm.cli.tables import print_rule, table_console, when

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

SHELL_DOCUMENT = "AWS-RunShellScript"
POLL_S = 0.25
FINAL_STATUSES = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
EXIT_FAILED = 1
EXIT_ERROR = 2


def add_parser(sub: Any) -> None:
    run: argparse.ArgumentParser = sub.add_parser(
        "run", help="run a shell command or a document on managed nodes, with live progress"
    )
    run.add_argument("shell", nargs="*", help="shell command lines (AWS-RunShellScript)")
    run.add_argument("--document", help="document name (default AWS-RunShellScript)")
    run.add_argument("--document-version", help="$DEFAULT, $LATEST or a number")
    run.add_argument("--parameters", help="name=value,… as the aws CLI writes them, or JSON")
    run.add_argument(
        "--targets",
        action="append",
        default=[],
        metavar="Key=K,Values=V1[,V2]",
        help="nodes by tag:<key>, tag-key or InstanceIds (repeat to AND several)",
    )
    run.add_argument(
        "--instance-ids",
        nargs="+",
        action="extend",
        default=[],
        help="nodes by id, at most 50 (end the list with -- before shell lines)",
    )
    run.add_argument("--max-concurrency", help="how many nodes at once: a number or N%%")
    run.add_argument("--max-errors", help="errors allowed before stopping: a number or N%%")
    run.add_argument("--timeout", type=int, help="delivery timeout in seconds (30-2592000)")
    run.add_argument("--comment", help="a note kept with the command (100 characters)")
    run.add_argument("--no-wait", action="store_true", help="print the command id and return")
    run.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    add_connection_flags(run)
    run.set_defaults(handler=_run)

    commands: argparse.ArgumentParser = sub.add_parser(
        "commands", help="recent commands with their status and counts"
    )
    commands.add_argument("--max", type=int, default=20, help="how many (default 20)")
    commands.add_argument("--json", action="store_true")
    add_connection_flags(commands)
    commands.set_defaults(handler=_commands)

    output: argparse.ArgumentParser = sub.add_parser(
        "output", help="each node's status and output for one command"
    )
    output.add_argument("command_id")
    output.add_argument("--json", action="store_true")
    output.add_argument(
        "--full",
        action="store_true",
        help="each step's whole output (standard error to stderr), not only its first characters",
    )
    add_connection_flags(output)
    output.set_defaults(handler=_output)


def _request(args: argparse.Namespace) -> dict[str, Any]:
    document = args.document or SHELL_DOCUMENT
    parameters: dict[str, list[str]] = {}
    if args.parameters:
        parameters = parse_parameters(args.parameters)
    if args.shell:
        if document != SHELL_DOCUMENT:
            raise ShorthandError("shell lines run with AWS-RunShellScript; use --parameters")
        parameters.setdefault("commands", []).extend(args.shell)
    request: dict[str, Any] = {"DocumentName": document, "Parameters": parameters}
    if args.targets:
        request["Targets"] = [parse_target(t) for t in args.targets]
    if args.instance_ids:
        request["InstanceIds"] = args.instance_ids
    optional = {
        "DocumentVersion": args.document_version,
        "MaxConcurrency": args.max_concurrency,
        "MaxErrors": args.max_errors,
        "TimeoutSeconds": args.timeout,
        "Comment": args.comment,
    }
    request.update({k: v for k, v in optional.items() if v is not None})
    return request


def _run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    command_id = ""
    try:
        request = _request(args)
        ssm = ssm_client(args)
        command_id = ssm.send_command(**request)["Command"]["CommandId"]
        if args.no_wait:
            print(command_id)
            return 0
        command = _follow(ssm, command_id, live=not args.json and sys.stdout.isatty())
        invocations = _invocations(ssm, command_id)
    except ShorthandError as exc:
        print(f"openssm run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (ClientError, BotoCoreError) as exc:
        print(f"openssm run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"\nstopped watching; the command goes on: openssm output {command_id}")
        return 130
    _show(command, invocations, as_json=args.json)
    ok = command["Status"] == "Success" and all(i["Status"] == "Success" for i in invocations)
    return 0 if ok else EXIT_FAILED


def _follow(ssm: SSMClient, command_id: str, *, live: bool) -> dict[str, Any]:
    """Poll until the command ends; with ``live``, a progress bar with counts meanwhile."""
    if not live:
        while True:
            command = _command(ssm, command_id)
            if command["Status"] in FINAL_STATUSES:
                return command
            time.sleep(POLL_S)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (
        TextColumn("[bold]{task.fields[status]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("run", total=None, status="Pending", counts="")
        while True:
            command = _command(ssm, command_id)
            bar.update(
                task,
                total=command["TargetCount"] or 1,
                completed=command["CompletedCount"],
                status=command["Status"],
                counts=_counts(command),
            )
            if command["Status"] in FINAL_STATUSES:
                return command
            time.sleep(POLL_S)


def _counts(command: dict[str, Any]) -> str:
    running = command["TargetCount"] - command["CompletedCount"]
    parts = [f"{command['ErrorCount']} failed", f"{running} not done"]
    if command["DeliveryTimedOutCount"]:
        parts.append(f"{command['DeliveryTimedOutCount']} undelivered")
    return ", ".join(parts)


def _command(ssm: SSMClient, command_id: str) -> dict[str, Any]:
    command: dict[str, Any] = dict(ssm.list_commands(CommandId=command_id)["Commands"][0])
    return command


def _invocations(ssm: SSMClient, command_id: str) -> list[dict[str, Any]]:
    pages = ssm.get_paginator("list_command_invocations").paginate(
        CommandId=command_id, Details=True
    )
    return [dict(i) for page in pages for i in page["CommandInvocations"]]


def _show(command: dict[str, Any], invocations: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"Command": command, "Invocations": invocations}, indent=2, default=str))
        return
    from rich.table import Table

    console = table_console()
    table = Table(title=f"command {command['CommandId']}: {command['Status']}")
    for column in ("Instance", "Name", "Status", "Code"):
        table.add_column(column, no_wrap=True, overflow="fold")
    for item in invocations:
        code = item["CommandPlugins"][0]["ResponseCode"] if item["CommandPlugins"] else ""
        table.add_row(item["InstanceId"], item["InstanceName"], item["StatusDetails"], str(code))
    console.print(table)
    for item in invocations:
        print_rule(console, f"{item['InstanceId']} {item['StatusDetails']}")
        for plugin in item["CommandPlugins"]:
            if len(item["CommandPlugins"]) > 1:
                console.print(f"[bold]{plugin['Name']}[/bold]")
            console.out(plugin["Output"] or "(no output)", highlight=False)


def _commands(args: argparse.Namespace) -> int:
    ssm = ssm_client(args)
    found: list[dict[str, Any]] = []
    for page in ssm.get_paginator("list_commands").paginate(
        PaginationConfig={"MaxItems": args.max}
    ):
        found.extend(dict(c) for c in page["Commands"])
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return 0
    from rich.table import Table

    table = Table()
    for column in ("Command", "Document", "Requested", "Status", "Targets", "Done", "Errors"):
        table.add_column(column, no_wrap=True, overflow="fold")
    for c in found:
        table.add_row(
            c["CommandId"],
            c["DocumentName"],
            when(c["RequestedDateTime"]),
            c["StatusDetails"],
            str(c["TargetCount"]),
            str(c["CompletedCount"]),
            str(c["ErrorCount"]),
        )
    table_console().print(table)
    return 0


def _output(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    ssm = ssm_client(args)
    try:
        command = _command(ssm, args.command_id)
        invocations = _invocations(ssm, args.command_id)
    except ClientError as exc:
        print(f"openssm output: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.full:
        from openssm.cli import full_output

        try:
            full_output.show(ssm, args.command_id, invocations)
        except (OSError, ValueError) as exc:
            print(f"openssm output: {exc}", file=sys.stderr)
            return EXIT_ERROR
        return 0
    _show(command, invocations, as_json=args.json)
    return 0
