"""An association run is a command: start one through Run Command, and record what it did.

``start`` sends the association's document with its parameters and rate control to its
targets (all of them, or the hosts named) as a Run Command command, and records the execution
with one Pending target row per host. ``record_progress`` is called on every scheduler pass:
for each running execution it takes the invocations that ended since the last pass and
records each host's result (execution target, per-host state, compliance, an event); once the
command has finished, the execution ends with its roll-up (and an event).

A host the run never reached (DeliveryTimedOut, Undeliverable) keeps the intent: it is marked
to be applied to again as soon as it is online.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.engine import Connection

from openssm import ids
from openssm.server.context import RequestContext
from openssm.server.events.outbox import Scope
from openssm.server.secrets import Keyring
from openssm.server.services.associations import compliance_link, events, spec
from openssm.server.services.commands import send
from openssm.server.store.associations import repo, runs
from openssm.server.store.associations.repo import AssociationRow
from openssm.server.store.commands import repo as command_rows
from openssm.statuses import InvocationDetail

SUCCESS = "Success"
FAILED = "Failed"
PENDING = "Pending"
# Host results one scheduler pass records at most (each writes its compliance too).
RECORD_BUDGET = 500
# How long after a run's Duration its waiting hosts could still time out undelivered: longer
# than a scheduler pass takes to come round and cancel them.
DURATION_GRACE_S = 300
# Never reached the host: applied again when the host is back.
_UNREACHED = frozenset({InvocationDetail.DELIVERY_TIMED_OUT, InvocationDetail.UNDELIVERABLE})


def context(row: AssociationRow, now: dt.datetime) -> RequestContext:
    """Who acts for the association: the association itself, in its account and region."""
    return RequestContext(
        account_id=row.account_id,
        region=row.region,
        principal_arn=events.association_arn(
            Scope(account_id=row.account_id, region=row.region, now=now), row.association_id
        ),
        request_id=ids.request_id(),
        now=now,
    )


def start(
    conn: Connection,
    keyring: Keyring,
    row: AssociationRow,
    *,
    now: dt.datetime,
    online_cutoff: dt.datetime,
    instance_ids: Sequence[str] = (),
) -> str:
    """Start a run of the association (on ``instance_ids`` only, when given); its id."""
    settings: spec.Spec = json.loads(row.spec)
    execution_id = str(uuid.uuid4())
    output = (settings.get("OutputLocation") or {}).get("S3Location") or {}
    wanted_ids = list(instance_ids)
    if not wanted_ids and settings.get("InstanceId"):
        wanted_ids = [settings["InstanceId"]]
    command = send.send_command(
        conn,
        context(row, now),
        keyring,
        send.SendInput(
            document_name=row.name,
            document_version=settings.get("DocumentVersion"),
            parameters=settings.get("Parameters") or {},
            instance_ids=wanted_ids,
            targets=() if wanted_ids else settings.get("Targets") or (),
            comment=f"association {row.association_id}"[:100],
            output_s3_region=output.get("OutputS3Region", ""),
            output_s3_bucket=output.get("OutputS3BucketName", ""),
            output_s3_prefix=output.get("OutputS3KeyPrefix", ""),
            max_concurrency=settings.get("MaxConcurrency") or spec.DEFAULT_MAX_CONCURRENCY,
            max_errors=settings.get("MaxErrors") or spec.DEFAULT_MAX_ERRORS,
            document_types=spec.RUNNABLE_TYPES,
            delivery_timeout_s=_delivery_timeout(settings),
        ),
        online_cutoff=online_cutoff,
    )
    hosts = [i.instance_id for i in command_rows.invocations_of(conn, command.command_id)]
    runs.insert_execution(
        conn,
        runs.ExecutionRow(
            execution_id=execution_id,
            association_id=row.association_id,
            association_version=row.version,
            command_id=command.command_id,
            status=PENDING,
            detailed_status=PENDING,
            created_at=now,
        ),
    )
    runs.insert_targets(conn, execution_id, hosts, now)
    runs.start_on(conn, row.association_id, row.version, hosts)
    return execution_id


def _delivery_timeout(settings: spec.Spec) -> int | None:
    """A run with a Duration may start a host at any time within it (rate control may keep a
    host waiting for hours), so its hosts wait that long to be delivered, and a little more:
    the scheduler's cancel at the Duration, not a delivery timeout, ends those still waiting.
    Without one, Run Command's default (an hour)."""
    hours = settings.get("Duration")
    return None if hours is None else int(hours) * 3600 + DURATION_GRACE_S


def _summary(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    success = counts.get("Success", 0)
    timed_out = counts.get("TimedOut", 0)
    skipped = counts.get("Skipped", 0)
    failed = total - success - timed_out - skipped
    return (
        f"{total} out of {total} plugin{'s' if total != 1 else ''} processed, {success} success, "
        f"{failed} failed, {timed_out} timedout, {skipped} skipped. "
    )


def record_progress(conn: Connection, now: dt.datetime, *, budget: int = RECORD_BUDGET) -> int:
    """Record what ended in the running executions, at most ``budget`` host results (a pass
    stays a short transaction however large the fleet: the loop runs again at once while
    there is more); returns how many it recorded."""
    recorded = 0
    for execution in runs.active_executions(conn):
        row = repo.get_by_id(conn, execution.association_id)
        if row is None or execution.command_id is None:
            continue
        left = budget - recorded
        if left <= 0:
            break
        done = _record_hosts(conn, row, execution, now, limit=left)
        recorded += done
        if done == left:
            continue  # perhaps more to record: the run ends on a later pass
        command = command_rows.get_command_by_id(conn, execution.command_id)
        if command is None or command.finished:
            _end(conn, row, execution, now)
    return recorded


def _record_hosts(
    conn: Connection,
    row: AssociationRow,
    execution: runs.ExecutionRow,
    now: dt.datetime,
    *,
    limit: int,
) -> int:
    assert execution.command_id is not None
    ended = runs.newly_ended(conn, execution.execution_id, execution.command_id, limit=limit)
    if not ended:
        return 0
    settings: spec.Spec = json.loads(row.spec)
    scope = Scope(account_id=row.account_id, region=row.region, now=now)
    plugins = runs.plugin_counts(conn, execution.command_id, [e.instance_id for e in ended])
    targets: list[runs.TargetRow] = []
    states: list[runs.InstanceStateRow] = []
    results: list[compliance_link.HostResult] = []
    for host in ended:
        succeeded = host.status_details == InvocationDetail.SUCCESS
        status = SUCCESS if succeeded else FAILED
        targets.append(
            runs.TargetRow(
                execution_id=execution.execution_id,
                instance_id=host.instance_id,
                status=status,
                detailed_status=host.status_details,
                last_execution_at=host.ended_at,
                ended=True,
            )
        )
        summary = _summary(plugins.get(host.instance_id, {}))
        error_code = "" if succeeded else str(host.response_code)[:10]
        states.append(
            runs.InstanceStateRow(
                association_id=row.association_id,
                instance_id=host.instance_id,
                association_version=execution.association_version,
                status=status,
                detailed_status=host.status_details,
                execution_at=host.ended_at,
                execution_summary=summary,
                error_code=error_code,
                needs_apply=host.status_details in _UNREACHED,
            )
        )
        # Cancelled while it waited its turn (a run past its Duration): nothing ran on the
        # host, so its compliance stays what the last run that ran there made it.
        never_sent = host.delivered_at is None and host.status_details == InvocationDetail.CANCELLED
        if not never_sent:
            results.append(
                compliance_link.HostResult(
                    instance_id=host.instance_id,
                    association_id=row.association_id,
                    document_name=row.name,
                    document_version=settings.get("DocumentVersion", "$DEFAULT"),
                    succeeded=succeeded,
                    severity=settings.get("ComplianceSeverity", "UNSPECIFIED"),
                    execution_id=execution.execution_id,
                    executed_at=host.ended_at,
                )
            )
        events.instance_association_changed(
            conn,
            scope,
            row,
            instance_id=host.instance_id,
            status=status,
            detailed_status=host.status_details,
            error_code=error_code,
            execution_summary=summary,
            executed_at=host.ended_at,
            last_success_at=host.ended_at if succeeded else None,
        )
    runs.end_targets(conn, execution.execution_id, targets)
    runs.record_states(conn, row.association_id, states)
    if settings.get("SyncCompliance", "AUTO") == "AUTO":
        compliance_link.record(conn, scope, results)
    return len(ended)


def _end(
    conn: Connection, row: AssociationRow, execution: runs.ExecutionRow, now: dt.datetime
) -> None:
    counts = runs.counts_by_status(conn, execution.execution_id)
    failed = any(detail != SUCCESS for detail in counts)
    status = FAILED if failed else SUCCESS
    runs.end_execution(conn, execution.execution_id, status=status, detailed_status=status, now=now)
    if not failed:
        repo.record_success(conn, row.association_id, now)
    scope = Scope(account_id=row.account_id, region=row.region, now=now)
    host_counts = runs.status_counts(conn, [row.association_id])[row.association_id]
    current = repo.get_by_id(conn, row.association_id) or row
    events.association_changed(
        conn, scope, current, status=overview_status(host_counts), counts=host_counts
    )


def overview_status(counts: Mapping[str, int]) -> str:
    """The association's Overview.Status from its hosts' last results: Failed when any host
    failed, else Pending while any host has no result yet, else Success."""
    if counts.get(FAILED):
        return FAILED
    if counts.get(PENDING) or not counts:
        return PENDING
    return SUCCESS
