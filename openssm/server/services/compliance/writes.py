"""Writing compliance: PutComplianceItems, and what State Manager writes for its associations.

For other capabilities (the associations scheduler, patching), inside their own transaction:

- ``put_items(conn, scope, request)`` is PutComplianceItems itself: it checks the request,
  replaces (COMPLETE) or merges by Id (PARTIAL) the resource's items of that type, updates the
  resource's roll-up and, when the resource's status for the type changed, writes a
  "Configuration Compliance State Change" event to the outbox. ``scope`` is the request's
  RequestContext or an ``openssm.server.events.outbox.Scope`` (account, region, now).
- ``put_association_compliance(conn, scope, AssociationResult(...))`` writes one host's
  Association item for one association as AWS's agent shapes it (Id = the association id,
  Details DocumentName and DocumentVersion, COMPLIANT only when the run succeeded, the
  association's severity), leaving the host's other associations' items alone. A host that
  is no longer registered is skipped (returns False) rather than failing the caller.
  ``put_association_results`` does the same for many hosts in a few statements.
- ``delete_association_items(conn, scope, association_id, instance_ids=None)`` clears an
  association's items from every host, or from those named (hosts untagged out of its
  targets), in a few statements however many hosts.

Agents never choose whose compliance they write: a caller on an agent's behalf passes the
instance id its authenticated channel belongs to, never one read from the agent's frame.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from openssm.errors import (
    ComplianceTypeCountLimitExceededException,
    InvalidItemContentException,
    InvalidResourceId,
    InvalidResourceType,
    ItemSizeLimitExceededException,
    TotalSizeLimitExceededException,
    ValidationException,
)
from openssm.server.events.outbox import EventScope
from openssm.server.services.compliance import events
from openssm.server.services.compliance.rollup import COMPLIANT, NON_COMPLIANT, resource_rollup
from openssm.server.store.compliance import repo
from openssm.server.store.compliance.repo import ItemRow, ResourceKey, SummaryRow
from openssm.server.store.fleet import instances as fleet_repo

Execution = repo.Execution
MANAGED_INSTANCE = "ManagedInstance"
ASSOCIATION = events.ASSOCIATION
PATCH = "Patch"
CUSTOM_PREFIX = "Custom:"
COMPLETE, PARTIAL = "COMPLETE", "PARTIAL"
# AWS: at most 10 custom compliance types; openssm counts them per resource.
MAX_CUSTOM_TYPES = 10
# openssm's own limits (AWS publishes none for compliance items): one item's JSON, and all
# of one request's items together.
MAX_ITEM_BYTES = 32 * 1024
MAX_TOTAL_BYTES = 1024 * 1024
MAX_ITEM_ID_CHARS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    severity: str
    status: str
    item_id: str = ""
    title: str = ""
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PutRequest:
    resource_id: str
    compliance_type: str
    execution: Execution
    items: Sequence[Item]
    resource_type: str = MANAGED_INSTANCE
    content_hash: str = ""
    upload_type: str = COMPLETE


def put_items(conn: Connection, scope: EventScope, request: PutRequest) -> bool:
    """PutComplianceItems in the caller's transaction; False when the ItemContentHash is the
    one already stored (AWS then ignores the request)."""
    key = checked_resource(conn, scope, request.resource_type, request.resource_id)
    _check_type(request.compliance_type, request.upload_type)
    _check_items(request.items)
    summaries = repo.summaries_of(conn, key)
    previous = summaries.get(request.compliance_type)
    if previous is None and request.compliance_type.startswith(CUSTOM_PREFIX):
        custom = [t for t in summaries if t.startswith(CUSTOM_PREFIX)]
        if len(custom) >= MAX_CUSTOM_TYPES:
            raise ComplianceTypeCountLimitExceededException(
                f"{request.resource_id} already has {len(custom)} custom compliance types, the "
                f"most a resource may have: {request.compliance_type} would be one more."
            )
    if (
        request.content_hash
        and previous is not None
        and previous.content_hash == request.content_hash
    ):
        return False
    replaced = None if request.upload_type == COMPLETE else [i.item_id for i in request.items]
    repo.delete_items(conn, key, request.compliance_type, replaced)
    repo.insert_items(
        conn,
        key,
        [
            ItemRow(
                resource_type=key.resource_type,
                resource_id=key.resource_id,
                compliance_type=request.compliance_type,
                item_id=item.item_id,
                title=item.title,
                severity=item.severity,
                status=item.status,
                details=item.details,
                execution=request.execution,
            )
            for item in request.items
        ],
    )
    _refresh(
        conn, scope, key, request.compliance_type, previous, request.execution, request.content_hash
    )
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationResult:
    """One host's result of one association run, as compliance sees it."""

    instance_id: str
    association_id: str
    document_name: str
    document_version: str
    succeeded: bool
    severity: str = "UNSPECIFIED"
    execution: Execution
    title: str = ""


def put_association_compliance(
    conn: Connection, scope: EventScope, result: AssociationResult
) -> bool:
    """Write the host's Association item for this association (see the module docstring)."""
    return put_association_results(conn, scope, [result]) == 1


def put_association_results(
    conn: Connection, scope: EventScope, results: Sequence[AssociationResult]
) -> int:
    """``put_association_compliance`` for many hosts at once (a run's results): what a
    PARTIAL PutComplianceItems does per host, in a few statements for them all. A host
    named twice keeps its last result. Returns how many hosts were written."""
    latest = {(r.instance_id, r.association_id): r for r in results}
    active = fleet_repo.active_ids(
        conn,
        account_id=scope.account_id,
        region=scope.region,
        instance_ids={host for host, _ in latest},
    )
    kept = [r for key, r in latest.items() if key[0] in active]
    if not kept:
        return 0
    where = repo.TypeScope(scope.account_id, scope.region, MANAGED_INSTANCE, ASSOCIATION)
    hosts = sorted({r.instance_id for r in kept})
    previous = repo.summaries_of_many(conn, where, hosts)
    repo.delete_items_many(conn, where, [(r.instance_id, r.association_id) for r in kept])
    repo.insert_rows(conn, scope.account_id, scope.region, [_association_item(r) for r in kept])
    _refresh_many(conn, scope, where, previous, {r.instance_id: r.execution for r in kept})
    return len(kept)


def _refresh_many(
    conn: Connection,
    scope: EventScope,
    where: repo.TypeScope,
    previous: Mapping[str, SummaryRow],
    executions: Mapping[str, Execution],
) -> None:
    """``_refresh`` for many resources of one type (those ``executions`` names, each with the
    execution its roll-up row shows), in a few statements for them all."""
    hosts = sorted(executions)
    counts = repo.item_counts_many(conn, where, hosts)
    summaries: list[SummaryRow] = []
    changed: list[events.StateChange] = []
    for host in hosts:
        rollup = resource_rollup(counts.get(host, []))
        if rollup.is_empty:
            continue  # no items of the type left: no roll-up row, and no event
        summaries.append(
            SummaryRow(
                resource_type=where.resource_type,
                resource_id=host,
                compliance_type=where.compliance_type,
                status=rollup.status,
                overall_severity=rollup.overall_severity,
                compliant=tuple(rollup.compliant.counts),
                non_compliant=tuple(rollup.non_compliant.counts),
                execution=executions[host],
                content_hash="",
            )
        )
        before = previous.get(host)
        if before is None or before.status != rollup.status:
            changed.append(
                events.StateChange(
                    resource_id=host,
                    compliance_type=where.compliance_type,
                    status=rollup.status,
                    overall_severity=rollup.overall_severity,
                    execution_time=executions[host].time,
                )
            )
    repo.replace_summaries(conn, where, hosts, summaries)
    events.write_state_changes(conn, scope, changed)


def _association_item(result: AssociationResult) -> ItemRow:
    return ItemRow(
        resource_type=MANAGED_INSTANCE,
        resource_id=result.instance_id,
        compliance_type=ASSOCIATION,
        item_id=result.association_id,
        title=result.title,
        severity=result.severity,
        status=COMPLIANT if result.succeeded else NON_COMPLIANT,
        details={
            "DocumentName": result.document_name,
            "DocumentVersion": result.document_version,
        },
        execution=result.execution,
    )


def delete_association_items(
    conn: Connection,
    scope: EventScope,
    association_id: str,
    instance_ids: Sequence[str] | None = None,
) -> int:
    """Remove the association's Association items (from these hosts only, when named);
    returns how many hosts lost one. Their roll-ups follow, with an event where a status
    changed; all hosts in a few statements (deleting an association over a large fleet)."""
    where = repo.TypeScope(scope.account_id, scope.region, MANAGED_INSTANCE, ASSOCIATION)
    hosts = repo.resources_with_item(conn, where, item_id=association_id, resource_ids=instance_ids)
    if not hosts:
        return 0
    previous = repo.summaries_of_many(conn, where, hosts)
    repo.delete_items_many(conn, where, [(host, association_id) for host in hosts])
    # A roll-up row keeps the execution it showed; a host without one has nothing to refresh.
    kept = {h: previous[h].execution for h in hosts if h in previous}
    _refresh_many(conn, scope, where, previous, kept)
    return len(hosts)


def _refresh(
    conn: Connection,
    scope: EventScope,
    key: ResourceKey,
    compliance_type: str,
    previous: SummaryRow | None,
    execution: Execution,
    content_hash: str,
) -> None:
    """Recompute the resource's roll-up for the type from its items; an event when its
    status changed (a type left with no items has no status, and sends none)."""
    rollup = resource_rollup(repo.item_counts(conn, key, compliance_type))
    if rollup.is_empty:
        repo.delete_summary(conn, key, compliance_type)
        return
    repo.write_summary(
        conn,
        key,
        SummaryRow(
            resource_type=key.resource_type,
            resource_id=key.resource_id,
            compliance_type=compliance_type,
            status=rollup.status,
            overall_severity=rollup.overall_severity,
            compliant=tuple(rollup.compliant.counts),
            non_compliant=tuple(rollup.non_compliant.counts),
            execution=execution,
            content_hash=content_hash,
        ),
    )
    if previous is None or previous.status != rollup.status:
        change = events.StateChange(
            resource_id=key.resource_id,
            compliance_type=compliance_type,
            status=rollup.status,
            overall_severity=rollup.overall_severity,
            execution_time=execution.time,
        )
        events.write_state_changes(conn, scope, [change])


def check_resource_type(resource_type: str) -> None:
    if resource_type != MANAGED_INSTANCE:
        raise InvalidResourceType(
            f"ResourceType {resource_type} is not supported: compliance is kept for "
            f"{MANAGED_INSTANCE} resources only."
        )


def checked_resource(
    conn: Connection, scope: EventScope, resource_type: str, resource_id: str
) -> ResourceKey:
    """The resource's key; InvalidResourceType or InvalidResourceId when it can't have any."""
    check_resource_type(resource_type)
    if not fleet_repo.is_active(
        conn, account_id=scope.account_id, region=scope.region, instance_id=resource_id
    ):
        raise InvalidResourceId(f"{resource_id} is not a registered managed instance.")
    return ResourceKey(scope.account_id, scope.region, resource_type, resource_id)


def _check_type(compliance_type: str, upload_type: str) -> None:
    if compliance_type not in (ASSOCIATION, PATCH) and not compliance_type.startswith(
        CUSTOM_PREFIX
    ):
        raise ValidationException(
            f"ComplianceType {compliance_type} is not valid: use {ASSOCIATION}, {PATCH} or "
            f"{CUSTOM_PREFIX}<name>."
        )
    if upload_type == PARTIAL and compliance_type != ASSOCIATION:
        raise ValidationException(
            f"UploadType {PARTIAL} is only valid for the {ASSOCIATION} compliance type."
        )


def _check_items(items: Sequence[Item]) -> None:
    seen: set[str] = set()
    total = 0
    for index, item in enumerate(items, start=1):
        if len(item.item_id) > MAX_ITEM_ID_CHARS:
            raise InvalidItemContentException(
                f"Item {index} has an Id of {len(item.item_id)} characters; at most "
                f"{MAX_ITEM_ID_CHARS} are allowed."
            )
        if item.item_id in seen:
            shown = item.item_id or "(no Id)"
            raise InvalidItemContentException(
                f"Item {index} repeats the Id {shown}: each item of a request needs its own Id."
            )
        seen.add(item.item_id)
        size = len(
            json.dumps([item.item_id, item.title, dict(item.details)], ensure_ascii=False).encode()
        )
        if size > MAX_ITEM_BYTES:
            raise ItemSizeLimitExceededException(
                f"Item {index} is {size} bytes; an item may be at most {MAX_ITEM_BYTES} bytes."
            )
        total += size
    if total > MAX_TOTAL_BYTES:
        raise TotalSizeLimitExceededException(
            f"The items total {total} bytes; a request's items may total at most "
            f"{MAX_TOTAL_BYTES} bytes."
        )
