"""The read operations of State Manager, in AWS's wire shapes.

DescribeAssociation, ListAssociations, ListAssociationVersions, DescribeAssociationExecutions,
DescribeAssociationExecutionTargets, DescribeInstanceAssociationsStatus and
DescribeEffectiveInstanceAssociations. Listings page with NextTokens bound to the listing
(services.paging). The overview of an association is its hosts' last results, counted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.errors import InvalidFilterKey, InvalidFilterValue, InvalidInstanceId
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.associations import execution, writes
from openssm.server.services.associations.errors import (
    AssociationExecutionDoesNotExist,
    InvalidAssociationVersion,
)
from openssm.server.services.documents import reads as document_reads
from openssm.server.store.associations import repo, runs
from openssm.server.store.associations.repo import AssociationRow
from openssm.server.store.associations.tables import (
    association_execution_targets,
    association_executions,
)
from openssm.server.store.fleet import instances as fleet_rows

Out = dict[str, Any]
_RESOURCE_TYPE = "ManagedInstance"


def _drop_empty(shape: Mapping[str, Any]) -> Out:
    return {k: v for k, v in shape.items() if v is not None}


def overview(counts: Mapping[str, int]) -> Out:
    status = execution.overview_status(counts)
    detailed = "Associated" if not counts else status
    return {
        "Status": status,
        "DetailedStatus": detailed,
        "AssociationStatusAggregatedCount": dict(counts),
    }


def description(
    row: AssociationRow, counts: Mapping[str, int], spec_text: str | None = None
) -> Out:
    settings: dict[str, Any] = json.loads(spec_text or row.spec)
    shape = {
        **settings,
        "AssociationId": row.association_id,
        "AssociationVersion": str(row.version),
        "Date": row.created_at,
        "LastUpdateAssociationDate": row.updated_at,
        "LastExecutionDate": row.last_execution_at,
        "LastSuccessfulExecutionDate": row.last_successful_execution_at,
        "Overview": overview(counts),
        "Status": json.loads(row.status) if row.status else None,
    }
    if isinstance(shape.get("Status"), dict) and isinstance(
        shape["Status"].get("Date"), int | float
    ):
        shape["Status"]["Date"] = dt.datetime.fromtimestamp(shape["Status"]["Date"], dt.UTC)
    return _drop_empty(shape)


def describe(conn: Connection, ctx: RequestContext, body: Mapping[str, Any]) -> Out:
    row = writes.locate(
        conn,
        ctx,
        association_id=body.get("AssociationId"),
        name=body.get("Name"),
        instance_id=body.get("InstanceId"),
    )
    counts = runs.status_counts(conn, [row.association_id])[row.association_id]
    asked = body.get("AssociationVersion")
    if asked in (None, "$LATEST") or asked == str(row.version):
        return description(row, counts)
    version = repo.get_version(conn, row.association_id, int(asked))
    if version is None:
        raise InvalidAssociationVersion(f"Association {row.association_id} has no version {asked}.")
    shape = description(row, counts, version.spec)
    shape["AssociationVersion"] = str(version.version)
    return shape


# --- ListAssociations ------------------------------------------------------------------------

_LIST_KIND = "ListAssociations"
_FILTER_KEYS = frozenset(
    {
        "InstanceId",
        "Name",
        "AssociationId",
        "AssociationStatusName",
        "LastExecutedBefore",
        "LastExecutedAfter",
        "AssociationName",
        "ResourceGroupName",
    }
)


def _time_filter(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterValue(
            f"{value!r} is not a time: write it as ISO 8601, e.g. 2026-01-31T12:00:00Z."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _matches(row: AssociationRow, status: str, key: str, value: str) -> bool:
    settings: dict[str, Any] = json.loads(row.spec)
    if key == "InstanceId":
        return row.instance_id == value
    if key == "Name":
        return row.name == value
    if key == "AssociationId":
        return row.association_id == value
    if key == "AssociationName":
        return row.association_name == value
    if key == "AssociationStatusName":
        return status == value
    if key == "ResourceGroupName":
        return any(
            t["Key"] == "resource-groups:Name" and value in t["Values"]
            for t in settings.get("Targets") or []
        )
    executed = row.last_execution_at
    when = _time_filter(value)
    if executed is None:
        return False
    return executed < when if key == "LastExecutedBefore" else executed > when


def list_associations(
    conn: Connection,
    ctx: RequestContext,
    *,
    filters: Sequence[Mapping[str, str]],
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Out], str | None]:
    for f in filters:
        if f["key"] not in _FILTER_KEYS:
            raise InvalidFilterKey(f"{f['key']!r} is not a filter key of ListAssociations.")
    bound = paging.binding(_LIST_KIND, ctx.account_id, ctx.region, list(filters))
    after = None
    if next_token is not None:
        after = paging.decode_token(next_token, _LIST_KIND, bound_to=bound)["a"]
    limit = max_results or 50
    rows = [
        r
        for r in repo.all_in_scope(conn, account_id=ctx.account_id, region=ctx.region)
        if after is None or r.association_id > after
    ]
    rows.sort(key=lambda r: r.association_id)
    counts = runs.status_counts(conn, [r.association_id for r in rows])
    found: list[Out] = []
    token = None
    for row in rows:
        status = execution.overview_status(counts[row.association_id])
        if all(_matches(row, status, f["key"], f["value"]) for f in filters):
            if len(found) == limit:
                token = paging.encode_token(
                    _LIST_KIND, {"a": found[-1]["AssociationId"]}, bound_to=bound
                )
                break
            found.append(_listed(row, counts[row.association_id]))
    return found, token


def _listed(row: AssociationRow, counts: Mapping[str, int]) -> Out:
    settings: dict[str, Any] = json.loads(row.spec)
    return _drop_empty(
        {
            "Name": row.name,
            "InstanceId": row.instance_id,
            "AssociationId": row.association_id,
            "AssociationVersion": str(row.version),
            "DocumentVersion": settings.get("DocumentVersion"),
            "Targets": settings.get("Targets"),
            "LastExecutionDate": row.last_execution_at,
            "Overview": overview(counts),
            "ScheduleExpression": settings.get("ScheduleExpression"),
            "AssociationName": row.association_name,
            "ScheduleOffset": settings.get("ScheduleOffset"),
            "Duration": settings.get("Duration"),
        }
    )


# --- versions ----------------------------------------------------------------------------------

_VERSIONS_KIND = "ListAssociationVersions"


def list_versions(
    conn: Connection,
    ctx: RequestContext,
    association_id: str,
    *,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Out], str | None]:
    writes.locate(conn, ctx, association_id=association_id)
    bound = paging.binding(_VERSIONS_KIND, ctx.account_id, ctx.region, association_id)
    after = None
    if next_token is not None:
        after = int(paging.decode_token(next_token, _VERSIONS_KIND, bound_to=bound)["v"])
    limit = max_results or 50
    rows = repo.versions(conn, association_id, after=after, limit=limit + 1)
    shown = [
        _drop_empty(
            {
                **json.loads(v.spec),
                "AssociationId": v.association_id,
                "AssociationVersion": str(v.version),
                "CreatedDate": v.created_at,
            }
        )
        for v in rows[:limit]
    ]
    for version in shown:
        version.pop("InstanceId", None)
    token = None
    if len(rows) > limit:
        token = paging.encode_token(_VERSIONS_KIND, {"v": rows[limit - 1].version}, bound_to=bound)
    return shown, token


# --- executions ----------------------------------------------------------------------------------

_EXECUTIONS_KIND = "DescribeAssociationExecutions"


def _execution_conditions(filters: Sequence[Mapping[str, str]]) -> list[sa.ColumnElement[bool]]:
    c = association_executions.c
    conditions: list[sa.ColumnElement[bool]] = []
    for f in filters:
        key, value, kind = f["Key"], f["Value"], f["Type"]
        if key == "ExecutionId":
            conditions.append(c.execution_id == value)
        elif key == "Status":
            conditions.append(c.status == value)
        elif key == "CreatedTime":
            when = _time_filter(value)
            conditions.append(
                {"EQUAL": c.created_at == when, "LESS_THAN": c.created_at < when}.get(
                    kind, c.created_at > when
                )
            )
        if key != "CreatedTime" and kind != "EQUAL":
            raise InvalidFilterValue(f"Filter {key} takes Type EQUAL, not {kind}.")
    return conditions


def count_text(counts: Mapping[str, int]) -> str:
    """ResourceCountByStatus as AWS writes it: ``{Failed=1,Success=2}``."""
    return "{" + ",".join(f"{k}={v}" for k, v in sorted(counts.items())) + "}"


def list_executions(
    conn: Connection,
    ctx: RequestContext,
    association_id: str,
    *,
    filters: Sequence[Mapping[str, str]],
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Out], str | None]:
    writes.locate(conn, ctx, association_id=association_id)
    bound = paging.binding(
        _EXECUTIONS_KIND, ctx.account_id, ctx.region, association_id, list(filters)
    )
    before = None
    if next_token is not None:
        position = paging.decode_token(next_token, _EXECUTIONS_KIND, bound_to=bound)
        before = (dt.datetime.fromisoformat(position["t"]), str(position["e"]))
    limit = max_results or 50
    rows = runs.list_executions(
        conn,
        association_id,
        conditions=_execution_conditions(filters),
        before=before,
        limit=limit + 1,
    )
    shown = [
        {
            "AssociationId": e.association_id,
            "AssociationVersion": str(e.association_version),
            "ExecutionId": e.execution_id,
            "Status": e.status,
            "DetailedStatus": e.detailed_status,
            "CreatedTime": e.created_at,
            "LastExecutionDate": e.ended_at or e.created_at,
            "ResourceCountByStatus": count_text(runs.counts_by_status(conn, e.execution_id)),
        }
        for e in rows[:limit]
    ]
    token = None
    if len(rows) > limit:
        last = rows[limit - 1]
        token = paging.encode_token(
            _EXECUTIONS_KIND,
            {"t": last.created_at.isoformat(), "e": last.execution_id},
            bound_to=bound,
        )
    return shown, token


_TARGETS_KIND = "DescribeAssociationExecutionTargets"


def list_execution_targets(
    conn: Connection,
    ctx: RequestContext,
    association_id: str,
    execution_id: str,
    *,
    filters: Sequence[Mapping[str, str]],
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Out], str | None]:
    writes.locate(conn, ctx, association_id=association_id)
    found = runs.get_execution(conn, association_id, execution_id)
    if found is None:
        raise AssociationExecutionDoesNotExist(
            f"Association {association_id} has no execution {execution_id}."
        )
    t = association_execution_targets.c
    conditions: list[sa.ColumnElement[bool]] = []
    for f in filters:
        if f["Key"] == "Status":
            conditions.append(t.status == f["Value"])
        elif f["Key"] == "ResourceId":
            conditions.append(t.instance_id == f["Value"])
        elif f["Value"] != _RESOURCE_TYPE:
            conditions.append(sa.false())
    bound = paging.binding(_TARGETS_KIND, ctx.account_id, ctx.region, execution_id, list(filters))
    after = None
    if next_token is not None:
        after = str(paging.decode_token(next_token, _TARGETS_KIND, bound_to=bound)["i"])
    limit = max_results or 50
    rows = runs.list_targets(
        conn, execution_id, conditions=conditions, after=after, limit=limit + 1
    )
    shown = [
        {
            "AssociationId": association_id,
            "AssociationVersion": str(found.association_version),
            "ExecutionId": execution_id,
            "ResourceId": r.instance_id,
            "ResourceType": _RESOURCE_TYPE,
            "Status": r.status,
            "DetailedStatus": r.detailed_status,
            "LastExecutionDate": r.last_execution_at,
            "OutputSource": {
                "OutputSourceId": found.command_id or "",
                "OutputSourceType": "RunCommand",
            },
        }
        for r in rows[:limit]
    ]
    token = None
    if len(rows) > limit:
        token = paging.encode_token(
            _TARGETS_KIND, {"i": rows[limit - 1].instance_id}, bound_to=bound
        )
    return shown, token


# --- one host's associations ----------------------------------------------------------------------


def _check_instance(conn: Connection, ctx: RequestContext, instance_id: str) -> None:
    if not fleet_rows.is_active(
        conn, account_id=ctx.account_id, region=ctx.region, instance_id=instance_id
    ):
        raise InvalidInstanceId(f"Instance ID {instance_id} is not a registered managed node.")


def _page_of_instance(
    conn: Connection,
    ctx: RequestContext,
    kind: str,
    instance_id: str,
    max_results: int | None,
    next_token: str | None,
    default_limit: int,
) -> tuple[list[AssociationRow], str | None]:
    _check_instance(conn, ctx, instance_id)
    bound = paging.binding(kind, ctx.account_id, ctx.region, instance_id)
    after = ""
    if next_token is not None:
        after = str(paging.decode_token(next_token, kind, bound_to=bound)["a"])
    ids = [a for a in runs.associations_of_instance(conn, instance_id) if a > after]
    limit = max_results or default_limit
    rows = [
        r
        for r in repo.many(conn, ids[: limit + 1])
        if r.account_id == ctx.account_id and r.region == ctx.region
    ]
    rows.sort(key=lambda r: r.association_id)
    token = None
    if len(rows) > limit:
        rows = rows[:limit]
        token = paging.encode_token(kind, {"a": rows[-1].association_id}, bound_to=bound)
    return rows, token


def instance_statuses(
    conn: Connection,
    ctx: RequestContext,
    instance_id: str,
    *,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Out], str | None]:
    rows, token = _page_of_instance(
        conn, ctx, "DescribeInstanceAssociationsStatus", instance_id, max_results, next_token, 50
    )
    by_id = {r.association_id: r for r in rows}
    shown = []
    for state in runs.states_of_instance(conn, instance_id, by_id):
        row = by_id[state.association_id]
        settings: dict[str, Any] = json.loads(row.spec)
        shown.append(
            _drop_empty(
                {
                    "AssociationId": row.association_id,
                    "Name": row.name,
                    "DocumentVersion": settings.get("DocumentVersion", "$DEFAULT"),
                    "AssociationVersion": str(state.association_version),
                    "InstanceId": instance_id,
                    "ExecutionDate": state.execution_at or row.created_at,
                    "Status": state.status,
                    "DetailedStatus": state.detailed_status,
                    "ExecutionSummary": state.execution_summary or None,
                    "ErrorCode": state.error_code or None,
                    "AssociationName": row.association_name,
                }
            )
        )
    return shown, token


def effective_associations(
    conn: Connection,
    ctx: RequestContext,
    instance_id: str,
    *,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Out], str | None]:
    rows, token = _page_of_instance(
        conn, ctx, "DescribeEffectiveInstanceAssociations", instance_id, max_results, next_token, 5
    )
    shown = []
    for row in rows:
        settings: dict[str, Any] = json.loads(row.spec)
        record, _ = document_reads.resolve_for_execution(
            conn, ctx, row.name, settings.get("DocumentVersion")
        )
        content: dict[str, Any] = json.loads(document_reads.content_as(record, "JSON"))
        content["parameters"] = settings.get("Parameters") or {}
        shown.append(
            {
                "AssociationId": row.association_id,
                "InstanceId": instance_id,
                "Content": json.dumps(content),
                "AssociationVersion": str(row.version),
            }
        )
    return shown, token
