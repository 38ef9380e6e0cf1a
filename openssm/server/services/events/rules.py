"""Event rules and their targets, as EventBridge's API manages them (on the default bus).

A target's ``Arn`` says where its events go: an ``http://`` or ``https://`` URL is a webhook
(openssm's own; AWS would want an API destination), ``file:NAME`` a JSON-lines file in the
server's events directory, an ``event-bus`` ARN an EventBridge-compatible bus, and an ``sns``
ARN an SNS-compatible topic. A webhook's signing secret is given as the header parameter
``X-Openssm-Secret``: it is sealed with the server's keyring, never sent as a header and never
returned. ``RetryPolicy.MaximumRetryAttempts`` bounds the retries of the target's deliveries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import (
    InvalidEventPatternException,
    InvalidNextToken,
    ResourceNotFoundException,
    ValidationException,
)
from openssm.server.context import RequestContext
from openssm.server.events import outbound
from openssm.server.events.patterns import PatternError, canonical, parse_pattern
from openssm.server.events.senders import FILE_NAME, secret_binding
from openssm.server.secrets import Keyring
from openssm.server.services import paging
from openssm.server.store.events import deliveries
from openssm.server.store.events import rules as repo

DEFAULT_BUS = "default"
SECRET_HEADER = "X-Openssm-Secret"  # noqa: S105 (the header's name, not a secret)
FILE_PREFIX = "file:"
MAX_TARGETS_PER_RULE = 5
_BUS_ARN = re.compile(r"arn:[a-z-]+:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]+")
_TOPIC_ARN = re.compile(r"arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
_UNSUPPORTED_TARGET_MEMBERS = (
    "Input",
    "InputPath",
    "InputTransformer",
    "RoleArn",
    "KinesisParameters",
    "RunCommandParameters",
    "EcsParameters",
    "BatchParameters",
    "SqsParameters",
    "RedshiftDataParameters",
    "SageMakerPipelineParameters",
    "DeadLetterConfig",
    "AppSyncParameters",
)


def rule_arn(ctx: RequestContext, name: str) -> str:
    return arns.service_arn("events", ctx.region, ctx.account_id, f"rule/{name}")


def check_bus(name: str | None) -> None:
    if name not in (None, DEFAULT_BUS) and not str(name).endswith(":event-bus/default"):
        raise ResourceNotFoundException(f"Event bus {name} does not exist.")


def _not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Rule {name} does not exist on EventBus {DEFAULT_BUS}.")


def _rule(conn: Connection, ctx: RequestContext, name: str) -> repo.RuleRow:
    rule = repo.get_rule(conn, account_id=ctx.account_id, region=ctx.region, name=name)
    if rule is None:
        raise _not_found(name)
    return rule


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleInput:
    name: str
    event_pattern: str | None
    schedule_expression: str | None
    state: str | None
    description: str | None


def put_rule(conn: Connection, ctx: RequestContext, request: RuleInput) -> str:
    """PutRule: create the rule or replace its pattern, state and description; its ARN."""
    if request.schedule_expression is not None:
        raise ValidationException(
            "openssm's rules match events; ScheduleExpression is not supported."
        )
    if request.event_pattern is None:
        raise ValidationException(
            "Parameter(s) EventPattern or ScheduleExpression must be specified."
        )
    try:
        pattern = canonical(parse_pattern(request.event_pattern))
    except PatternError as exc:
        raise InvalidEventPatternException(f"Event pattern is not valid. Reason: {exc}") from None
    state = request.state or "ENABLED"
    if state not in ("ENABLED", "DISABLED"):
        raise ValidationException(f"State {state} is not supported; use ENABLED or DISABLED.")
    existing = repo.get_rule(conn, account_id=ctx.account_id, region=ctx.region, name=request.name)
    enabled_after, disabled_after = _window(conn, existing, state)
    if existing is None:
        repo.insert_rule(
            conn,
            repo.RuleRow(
                id=0,
                account_id=ctx.account_id,
                region=ctx.region,
                name=request.name,
                description=request.description or "",
                event_pattern=pattern,
                state=state,
                created_at=ctx.now,
                enabled_after=enabled_after,
                disabled_after=disabled_after,
            ),
        )
    else:
        repo.update_rule(
            conn,
            existing.id,
            description=request.description
            if request.description is not None
            else existing.description,
            event_pattern=pattern,
            state=state,
            window=(enabled_after, disabled_after),
        )
    return rule_arn(ctx, request.name)


def _window(conn: Connection, rule: repo.RuleRow | None, state: str) -> tuple[int, int | None]:
    """The outbox window the rule covers once its state is ``state``: enabling it opens a
    window after the last event written so far, disabling it closes the open one there, so
    it matches what was written while it was enabled however late the relay routes it. Only
    the last window is kept: events of an earlier one still unrouted when the rule is
    enabled again are not delivered to it."""
    position = deliveries.last_event_id(conn)
    if rule is None:
        return position, None if state == "ENABLED" else position
    if rule.state == state:
        return rule.enabled_after, rule.disabled_after
    if state == "ENABLED":
        return position, None
    return rule.enabled_after, position


def set_state(conn: Connection, ctx: RequestContext, name: str, state: str) -> None:
    """EnableRule / DisableRule."""
    rule = _rule(conn, ctx, name)
    repo.update_rule(
        conn,
        rule.id,
        description=rule.description,
        event_pattern=rule.event_pattern,
        state=state,
        window=_window(conn, rule, state),
    )


def describe_rule(conn: Connection, ctx: RequestContext, name: str) -> dict[str, Any]:
    return rule_record(ctx, _rule(conn, ctx, name))


def rule_record(ctx: RequestContext, rule: repo.RuleRow) -> dict[str, Any]:
    return {
        "Name": rule.name,
        "Arn": rule_arn(ctx, rule.name),
        "EventPattern": rule.event_pattern,
        "State": rule.state,
        "Description": rule.description or None,
        "EventBusName": DEFAULT_BUS,
    }


def list_rules(
    conn: Connection, ctx: RequestContext, *, prefix: str, limit: int | None, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    bound = paging.binding("ListRules", ctx.account_id, ctx.region, prefix)
    after = _position(token, "ListRules", bound)
    size = limit or 100
    rows = repo.list_rules(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        prefix=prefix,
        after=after,
        limit=size + 1,
    )
    next_token = None
    if len(rows) > size:
        rows = rows[:size]
        next_token = paging.encode_token("ListRules", {"k": rows[-1].name}, bound_to=bound)
    return [rule_record(ctx, r) for r in rows], next_token


def _position(token: str | None, kind: str, bound: str) -> str | None:
    if token is None:
        return None
    try:
        after = paging.decode_token(token, kind, bound_to=bound).get("k")
    except InvalidNextToken:
        raise ValidationException("The NextToken is not valid.") from None
    if not isinstance(after, str):
        raise ValidationException("The NextToken is not valid.")
    return after


def delete_rule(conn: Connection, ctx: RequestContext, name: str) -> None:
    """DeleteRule: as on AWS, a rule with targets is refused and a missing one is no error."""
    rule = repo.get_rule(conn, account_id=ctx.account_id, region=ctx.region, name=name)
    if rule is None:
        return
    if repo.count_targets(conn, rule.id):
        raise ValidationException("Rule can't be deleted since it has targets.")
    repo.delete_rule(conn, rule.id)


# --- targets ----------------------------------------------------------------------------------


def target_of(
    arn: str, target: Mapping[str, Any], *, allow_link_local: bool
) -> tuple[str, str, str | None]:
    """(kind, address, secret) of a PutTargets entry; ValidationException when openssm cannot
    deliver there."""
    unsupported = [m for m in _UNSUPPORTED_TARGET_MEMBERS if m in target]
    if unsupported:
        raise ValidationException(f"openssm targets do not support {', '.join(unsupported)}.")
    headers = dict((target.get("HttpParameters") or {}).get("HeaderParameters") or {})
    secret = headers.pop(SECRET_HEADER, None)
    if headers or set(target.get("HttpParameters") or {}) - {"HeaderParameters"}:
        raise ValidationException(
            f"HttpParameters may only carry the {SECRET_HEADER} header parameter."
        )
    if arn.startswith(("http://", "https://")):
        try:
            outbound.check_literal(arn, allow_link_local=allow_link_local)
        except outbound.OutboundRefused as exc:
            raise ValidationException(f"Target {target['Id']}: {exc}") from None
        return "webhook", arn, secret
    if secret is not None:
        raise ValidationException(f"{SECRET_HEADER} applies to webhook targets only.")
    if arn.startswith(FILE_PREFIX):
        name = arn[len(FILE_PREFIX) :]
        if not FILE_NAME.fullmatch(name):
            raise ValidationException(
                f"Target {target['Id']}: file:NAME takes a file name (letters, digits, '.', '_' "
                "and '-'; no directories): it is written in the server's events directory."
            )
        return "file", name, None
    if _BUS_ARN.fullmatch(arn):
        return "eventbridge", arn, None
    if _TOPIC_ARN.fullmatch(arn):
        return "sns", arn, None
    raise ValidationException(
        f"Target {target['Id']}: openssm delivers to webhooks (http:// or https:// URLs), "
        "file:NAME, EventBridge event-bus ARNs and SNS topic ARNs."
    )


def put_targets(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    rule_name: str,
    targets: Sequence[Mapping[str, Any]],
    *,
    allow_link_local: bool,
) -> None:
    rule = _rule(conn, ctx, rule_name)
    ids = [t["Id"] for t in targets]
    if len(set(ids)) != len(ids):
        raise ValidationException("Target ids must be unique within a PutTargets call.")
    existing = {t.target_id for t in repo.targets_of(conn, [rule.id])}
    if len(existing | set(ids)) > MAX_TARGETS_PER_RULE:
        raise ValidationException(f"A rule has at most {MAX_TARGETS_PER_RULE} targets.")
    for target in targets:
        kind, address, secret = target_of(target["Arn"], target, allow_link_local=allow_link_local)
        retries = (target.get("RetryPolicy") or {}).get("MaximumRetryAttempts")
        row_for_binding = repo.TargetRow(
            id=0,
            account_id=rule.account_id,
            region=rule.region,
            rule_id=rule.id,
            target_id=target["Id"],
            topic_arn=None,
            kind=kind,
            address=address,
            secret_sealed=None,
            max_attempts=None,
            created_at=ctx.now,
        )
        sealed = (
            keyring.seal_secret(secret, bound_to=secret_binding(row_for_binding))
            if secret
            else None
        )
        repo.put_target(
            conn,
            rule=rule,
            target_id=target["Id"],
            target=repo.NewTarget(
                kind=kind,
                address=address,
                secret_sealed=sealed,
                max_attempts=None if retries is None else int(retries) + 1,
            ),
            now=ctx.now,
        )


def target_record(target: repo.TargetRow) -> dict[str, Any]:
    """A target as ListTargetsByRule shows it: never its secret."""
    arn = FILE_PREFIX + target.address if target.kind == "file" else target.address
    record: dict[str, Any] = {"Id": target.target_id, "Arn": arn}
    if target.max_attempts is not None:
        record["RetryPolicy"] = {"MaximumRetryAttempts": target.max_attempts - 1}
    return record


def list_targets(conn: Connection, ctx: RequestContext, rule_name: str) -> list[dict[str, Any]]:
    rule = _rule(conn, ctx, rule_name)
    return [target_record(t) for t in repo.targets_of(conn, [rule.id])]


def remove_targets(
    conn: Connection, ctx: RequestContext, rule_name: str, ids: Sequence[str]
) -> list[str]:
    """RemoveTargets; returns the ids that named no target of the rule."""
    rule = _rule(conn, ctx, rule_name)
    removed = repo.remove_targets(conn, rule.id, set(ids))
    return [i for i in ids if i not in removed]
