"""`openssm events`: event rules, their targets, notification topics and a live tail.

Rules and targets go through the server's EventBridge API with boto3 (``events`` client), so
they change live and follow the caller's ``events:*`` permissions:

    openssm events rule create --name failed --pattern '{"source":["aws.ssm"]}' --webhook URL
    openssm events rule list | delete NAME
    openssm events target add RULE --webhook URL | --file NAME | --event-bus ARN | --sns-topic ARN
    openssm events target list RULE | remove RULE ID…
    openssm events tail [--pattern JSON]
    openssm events deliveries [--json]     # on the server's host: waiting, delivered, dead

A webhook target without ``--secret`` gets a generated one, printed once: the server keeps it
sealed and signs every POST with it (``X-Openssm-Signature: sha256=<hex HMAC-SHA256>``).
``openssm events topic`` maps SendCommand's NotificationArn to a destination; it is server
configuration, so it opens the server's store on its host, like ``openssm admin``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags, events_client
from openssm.cli.server_cmd import add_server_options
from openssm.cli.tables import table_console

if TYPE_CHECKING:
    from types_boto3_events.client import EventBridgeClient

EXIT_ERROR = 2
SECRET_HEADER = "X-Openssm-Secret"  # noqa: S105 (the header's name, not a secret)
TAIL_ROUTE = "/events/v1/tail"


def add_parser(sub: Any) -> None:
    events: argparse.ArgumentParser = sub.add_parser(
        "events", help="event rules and targets, notification topics, a live tail"
    )
    area = events.add_subparsers(dest="area", required=True)

    rules = area.add_parser("rule", help="event rules").add_subparsers(dest="verb", required=True)
    create = rules.add_parser("create", help="create or replace a rule (and add one target)")
    create.add_argument("--name", required=True)
    create.add_argument("--pattern", required=True, help="an EventBridge event pattern (JSON)")
    create.add_argument("--description", default=None)
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    _target_flags(create, required=False)
    create.set_defaults(handler=_rule_create)
    listing = rules.add_parser("list", help="the rules, with their patterns")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_rule_list)
    delete = rules.add_parser("delete", help="delete a rule and its targets")
    delete.add_argument("name")
    delete.set_defaults(handler=_rule_delete)

    targets = area.add_parser("target", help="a rule's targets").add_subparsers(
        dest="verb", required=True
    )
    add = targets.add_parser("add", help="add (or replace) a target of a rule")
    add.add_argument("rule")
    add.add_argument("--id", help="the target's id (default: its kind)")
    _target_flags(add, required=True)
    add.set_defaults(handler=_target_add)
    tlist = targets.add_parser("list", help="a rule's targets (never their secrets)")
    tlist.add_argument("rule")
    tlist.add_argument("--json", action="store_true")
    tlist.set_defaults(handler=_target_list)
    remove = targets.add_parser("remove", help="remove targets, with their undelivered events")
    remove.add_argument("rule")
    remove.add_argument("ids", nargs="+")
    remove.set_defaults(handler=_target_remove)
    for parser in (create, listing, delete, add, tlist, remove):
        add_connection_flags(parser)

    topics = area.add_parser(
        "topic", help="where SendCommand notifications go (on the server's host)"
    ).add_subparsers(dest="verb", required=True)
    tset = topics.add_parser("set", help="map a NotificationArn to a webhook or an SNS topic")
    tset.add_argument("topic_arn")
    tset.add_argument("--webhook", help="POST notifications here (else: SNS Publish)")
    tset.add_argument("--secret", help="the webhook's signing secret (default: generated)")
    tset.set_defaults(handler=_topic_set)
    tlist2 = topics.add_parser("list", help="the mapped topics")
    tlist2.set_defaults(handler=_topic_list)
    tremove = topics.add_parser("remove", help="unmap a topic")
    tremove.add_argument("topic_arn")
    tremove.set_defaults(handler=_topic_remove)
    for parser in (tset, tlist2, tremove):
        add_server_options(parser)
        parser.add_argument("--region", default="us-east-1", help="the topic's region")

    status = area.add_parser(
        "deliveries", help="each target's waiting, delivered and dead events (server's host)"
    )
    status.add_argument("--json", action="store_true")
    add_server_options(status)
    status.add_argument("--region", default="us-east-1", help="the targets' region")
    status.set_defaults(handler=_deliveries)

    tail = area.add_parser("tail", help="print events as they happen")
    tail.add_argument("--pattern", help="only events this EventBridge pattern matches")
    tail.add_argument("--json", action="store_true", help="one JSON event per line")
    add_connection_flags(tail)
    tail.set_defaults(handler=_tail)


def _target_flags(parser: argparse.ArgumentParser, *, required: bool) -> None:
    kind = parser.add_mutually_exclusive_group(required=required)
    kind.add_argument("--webhook", metavar="URL", help="POST each event to this http(s) URL")
    kind.add_argument("--file", metavar="NAME", help="append to NAME in the server's events dir")
    kind.add_argument("--event-bus", metavar="ARN", help="PutEvents to this EventBridge bus")
    kind.add_argument("--sns-topic", metavar="ARN", help="Publish to this SNS topic")
    parser.add_argument("--secret", help="the webhook's signing secret (default: generated)")
    parser.add_argument("--max-retries", type=int, help="retries before an event is dead-lettered")


def _target(args: argparse.Namespace, target_id: str | None) -> tuple[dict[str, Any], str | None]:
    """The PutTargets entry the flags describe, and the secret to print (if generated)."""
    generated = None
    if args.webhook:
        arn, kind = args.webhook, "webhook"
    elif args.file:
        arn, kind = f"file:{args.file}", "file"
    elif args.event_bus:
        arn, kind = args.event_bus, "event-bus"
    else:
        arn, kind = args.sns_topic, "sns"
    target: dict[str, Any] = {"Id": target_id or kind, "Arn": arn}
    if args.webhook:
        secret = args.secret or secrets.token_hex(32)
        generated = None if args.secret else secret
        target["HttpParameters"] = {"HeaderParameters": {SECRET_HEADER: secret}}
    elif args.secret:
        raise ValueError("--secret applies to --webhook targets only")
    if args.max_retries is not None:
        target["RetryPolicy"] = {"MaximumRetryAttempts": args.max_retries}
    return target, generated


def _calling(name: str, action: Any) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        result: int = action()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(
            f"openssm events {name}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr
        )
        return EXIT_ERROR
    except (BotoCoreError, ValueError) as exc:
        print(f"openssm events {name}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return result


def _put_target(
    events: EventBridgeClient, rule: str, target: dict[str, Any], secret: str | None
) -> None:
    events.put_targets(Rule=rule, Targets=[target])  # type: ignore[list-item]
    print(f"target {target['Id']} of rule {rule}: {target['Arn']}")
    if secret is not None:
        print(f"signing secret (shown once; each POST carries X-Openssm-Signature): {secret}")


def _rule_create(args: argparse.Namespace) -> int:
    def act() -> int:
        events = events_client(args)
        has_target = bool(args.webhook or args.file or args.event_bus or args.sns_topic)
        target = _target(args, None) if has_target else None
        kwargs: dict[str, Any] = {
            "Name": args.name,
            "EventPattern": args.pattern,
            "State": "DISABLED" if args.disabled else "ENABLED",
        }
        if args.description is not None:
            kwargs["Description"] = args.description
        arn = events.put_rule(**kwargs)["RuleArn"]
        print(f"rule {args.name}: {arn}")
        if target is not None:
            _put_target(events, args.name, *target)
        return 0

    return _calling("rule create", act)


def _rule_list(args: argparse.Namespace) -> int:
    def act() -> int:
        events = events_client(args)
        found: list[dict[str, Any]] = []
        for page in events.get_paginator("list_rules").paginate():
            found.extend(dict(rule) for rule in page["Rules"])
        if args.json:
            print(json.dumps(found, indent=2))
            return 0
        from rich.table import Table

        table = Table("name", "state", "pattern", "description")
        for rule in found:
            table.add_row(
                rule["Name"],
                rule["State"],
                rule.get("EventPattern", ""),
                rule.get("Description", ""),
            )
        table_console().print(table)
        return 0

    return _calling("rule list", act)


def _rule_delete(args: argparse.Namespace) -> int:
    def act() -> int:
        events = events_client(args)
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=args.name)["Targets"]]
        if ids:
            events.remove_targets(Rule=args.name, Ids=ids)
        events.delete_rule(Name=args.name)
        print(f"deleted rule {args.name}" + (f" and its targets {', '.join(ids)}" if ids else ""))
        return 0

    return _calling("rule delete", act)


def _target_add(args: argparse.Namespace) -> int:
    def act() -> int:
        _put_target(events_client(args), args.rule, *_target(args, args.id))
        return 0

    return _calling("target add", act)


def _target_list(args: argparse.Namespace) -> int:
    def act() -> int:
        listed = events_client(args).list_targets_by_rule(Rule=args.rule)["Targets"]
        found: list[dict[str, Any]] = [dict(t) for t in listed]
        if args.json:
            print(json.dumps(found, indent=2))
            return 0
        from rich.table import Table

        table = Table("id", "destination", "max retries")
        for target in found:
            retries = target.get("RetryPolicy", {}).get("MaximumRetryAttempts")
            table.add_row(target["Id"], target["Arn"], "" if retries is None else str(retries))
        table_console().print(table)
        return 0

    return _calling("target list", act)


def _target_remove(args: argparse.Namespace) -> int:
    def act() -> int:
        answer = events_client(args).remove_targets(Rule=args.rule, Ids=args.ids)
        for failed in answer.get("FailedEntries", []):
            print(f"{failed.get('TargetId')}: {failed.get('ErrorMessage')}", file=sys.stderr)
        return 1 if answer.get("FailedEntryCount") else 0

    return _calling("target remove", act)


# --- notification topics (the server's own store) ----------------------------------------------


def _topic_set(args: argparse.Namespace) -> int:
    from openssm.cli.admin_cmd import open_store
    from openssm.server.services.events import topics

    secret = args.secret or (secrets.token_hex(32) if args.webhook else None)
    with open_store(args) as server:
        try:
            server.store.write_sync(
                lambda conn: topics.set_topic(
                    conn,
                    server.keyring,
                    account_id=server.account,
                    region=args.region,
                    topic_arn=args.topic_arn,
                    webhook=args.webhook,
                    secret=secret,
                    now=server.now,
                )
            )
        except topics.TopicError as exc:
            print(f"openssm events topic set: {exc}", file=sys.stderr)
            return EXIT_ERROR
    where = args.webhook or "SNS Publish"
    print(f"notifications to {args.topic_arn} go to {where}")
    if args.webhook and not args.secret:
        print(f"signing secret (shown once; each POST carries X-Openssm-Signature): {secret}")
    return 0


def _topic_list(args: argparse.Namespace) -> int:
    from openssm.cli.admin_cmd import open_store
    from openssm.server.services.events import topics

    with open_store(args) as server:
        found = server.store.read_sync(
            lambda conn: topics.list_topics(conn, account_id=server.account, region=args.region)
        )
    for topic in found:
        where = topic.address if topic.kind == "webhook" else "SNS Publish"
        print(f"{topic.topic_arn}\t{where}")
    return 0


def _topic_remove(args: argparse.Namespace) -> int:
    from openssm.cli.admin_cmd import open_store
    from openssm.server.services.events import topics

    with open_store(args) as server:
        removed = server.store.write_sync(
            lambda conn: topics.remove_topic(
                conn, account_id=server.account, region=args.region, topic_arn=args.topic_arn
            )
        )
    if not removed:
        print(f"openssm events topic remove: {args.topic_arn} is not mapped", file=sys.stderr)
        return 1
    return 0


def _deliveries(args: argparse.Namespace) -> int:
    from openssm.cli import events_deliveries

    return events_deliveries.show(args)


# --- tail -------------------------------------------------------------------------------------


def _tail(args: argparse.Namespace) -> int:
    from openssm.cli import events_tail

    return _calling(
        "tail", lambda: events_tail.follow(events_client(args), args.pattern, args.json)
    )
