"""How a command moves: deliveries started under rate control, results recorded, timeouts and
cancellations applied, and the command's roll-up rewritten after each change.

Every function runs in the caller's write transaction; the dispatcher batches many of them
into one (a 10,000-target command must not cost 10,000 commits). Nothing here talks to an
agent: the dispatcher sends what these functions decided after the transaction committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.server.events import runcommand as events
from openssm.server.services.commands import ratecontrol, rollup
from openssm.server.store.commands import repo
from openssm.server.store.commands.open_work import OpenWork
from openssm.statuses import InvocationDetail, InvocationStatus

_D = InvocationDetail
# After its execution timeout, an agent gets this long to report before the invocation is
# given up as DeliveryTimedOut (AWS: no terminal reply means DeliveryTimedOut).
REPORT_GRACE_S = 30
# States in which a node holds (or may hold) the invocation.
RUNNING = frozenset({_D.IN_PROGRESS, _D.CANCELLING})
# A late result may still replace these: the agent's own account is the truer one.
_REPLACEABLE = frozenset({_D.PENDING, _D.DELAYED, _D.IN_PROGRESS, _D.CANCELLING})


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    index: int
    name: str
    action: str
    status: InvocationStatus
    status_details: str
    response_code: int
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    stdout: str
    stderr: str
    output_key_prefix: str = ""
    plugin_id: str = ""
    # Bytes of the whole output, and whether all of it was collected and stored.
    stdout_size: int = 0
    stderr_size: int = 0
    output_kept: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InvocationResult:
    """What an agent reported about one invocation it ran (or could not run)."""

    command_id: str
    instance_id: str
    details: InvocationDetail
    response_code: int
    ended_at: dt.datetime
    steps: Sequence[StepResult] = ()


def refresh(conn: Connection, command: repo.CommandRow, now: dt.datetime) -> rollup.Rollup:
    """Recompute and store the command's status and counts from its invocations; a changed
    status is an event."""
    counts = repo.details_of(conn, command.command_id)
    details = [InvocationDetail(d) for d, n in counts.items() for _ in range(n)]
    rolled = rollup.roll_up(
        details, errors_allowed=command.errors_allowed, cancel_requested=command.cancel_requested
    )
    repo.update_rollup(
        conn,
        command.command_id,
        repo.RolledUp(
            status=rolled.status,
            status_details=rolled.detail,
            target_count=rolled.target_count,
            completed_count=rolled.completed_count,
            error_count=rolled.error_count,
            delivery_timed_out_count=rolled.delivery_timed_out_count,
            finished=rolled.completed_count == rolled.target_count,
        ),
    )
    if rolled.status != command.status:
        events.command_status_changed(conn, command, rolled.status, now)
    return rolled


def record_results(
    conn: Connection,
    results: Sequence[InvocationResult],
    *,
    known: Mapping[str, repo.CommandRow] | None = None,
) -> int:
    """Store agents' results, however many, in a few batched statements; a result for an
    invocation that had already ended (a re-sent result, or one that arrived after the
    invocation timed out and was counted) is dropped. Returns how many were stored.
    ``known``: commands the caller has already read in this transaction, by id."""
    by_command: dict[str, list[InvocationResult]] = {}
    for result in results:
        by_command.setdefault(result.command_id, []).append(result)
    stored: list[InvocationResult] = []
    for command_id, reported in by_command.items():
        current = repo.details_by_instance(conn, command_id, {r.instance_id for r in reported})
        for result in reported:
            details = current.get(result.instance_id)
            if details is None or InvocationDetail(details) not in _REPLACEABLE:
                continue
            stored.append(result)
            # Every result is an ending, so a second one for the same invocation is dropped.
            current[result.instance_id] = result.details
    repo.end_invocations(
        conn,
        [
            repo.Ending(
                command_id=r.command_id,
                instance_id=r.instance_id,
                status_details=r.details,
                ended_at=r.ended_at,
                response_code=r.response_code,
            )
            for r in stored
        ],
        only_if=_REPLACEABLE,
    )
    _ended_events(conn, stored, known or {})
    repo.replace_plugins(
        conn,
        [(r.command_id, r.instance_id) for r in stored],
        [
            repo.PluginRow(
                command_id=result.command_id,
                instance_id=result.instance_id,
                step_index=step.index,
                name=step.name,
                action=step.action,
                status=step.status,
                status_details=step.status_details,
                response_code=step.response_code,
                started_at=step.started_at,
                ended_at=step.ended_at,
                stdout=step.stdout,
                stderr=step.stderr,
                output_key_prefix=step.output_key_prefix,
                plugin_id=step.plugin_id,
                stdout_size=step.stdout_size,
                stderr_size=step.stderr_size,
                output_kept=step.output_kept,
            )
            for result in stored
            for step in result.steps
        ],
    )
    return len(stored)


def _cutoffs(command: repo.CommandRow, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Pending invocations requested before the first time ran out of delivery time; those
    delivered before the second ran out of execution time and the grace for the report."""
    return (
        now - dt.timedelta(seconds=command.delivery_timeout_s),
        now - dt.timedelta(seconds=command.execution_timeout_s + REPORT_GRACE_S),
    )


def is_due(command: repo.CommandRow, work: OpenWork, now: dt.datetime) -> bool:
    """Whether ``expire`` would end anything of the command's open invocations."""
    delivery_cutoff, report_cutoff = _cutoffs(command, now)
    return (work.oldest_pending is not None and work.oldest_pending < delivery_cutoff) or (
        work.oldest_delivered is not None and work.oldest_delivered < report_cutoff
    )


def _ended_events(
    conn: Connection, stored: Sequence[InvocationResult], known: Mapping[str, repo.CommandRow]
) -> None:
    """One event per stored result, written in a statement per command and status."""
    changes: dict[tuple[str, str], list[InvocationResult]] = {}
    for result in stored:
        changes.setdefault((result.command_id, result.details), []).append(result)
    commands: dict[str, repo.CommandRow | None] = dict(known)
    for (command_id, details), results in changes.items():
        if command_id not in commands:
            commands[command_id] = repo.get_command_by_id(conn, command_id)
        command = commands[command_id]
        if command is not None:
            at = max(r.ended_at for r in results)
            events.invocations_changed(conn, command, [r.instance_id for r in results], details, at)


def expire(conn: Connection, command: repo.CommandRow, now: dt.datetime) -> int:
    """End what ran out of time: Pending past the delivery timeout, delivered invocations
    past the execution timeout and a grace for the report. Returns how many ended."""
    delivery_cutoff, report_cutoff = _cutoffs(command, now)
    ended = 0
    for details, column, cutoff in (
        (_D.PENDING, "requested_at", delivery_cutoff),
        (_D.IN_PROGRESS, "delivered_at", report_cutoff),
        (_D.CANCELLING, "delivered_at", report_cutoff),
    ):
        late = repo.overdue(
            conn, command.command_id, details=details, since_column=column, before=cutoff
        )
        timed_out = repo.set_invocation_details(
            conn, command.command_id, late, _D.DELIVERY_TIMED_OUT, only_if={details}, ended_at=now
        )
        events.invocations_changed(conn, command, timed_out, _D.DELIVERY_TIMED_OUT, now)
        ended += len(timed_out)
    return ended


@dataclass(frozen=True, slots=True)
class Advanced:
    """What ``advance`` did: the instance ids claimed for delivery, and how many waiting
    invocations it ended (Terminated once errors passed MaxErrors)."""

    claimed: tuple[str, ...] = ()
    ended: int = 0


def advance(
    conn: Connection,
    command: repo.CommandRow,
    *,
    reachable: Collection[str],
    replica: str,
    now: dt.datetime,
) -> Advanced:
    """Start what rate control allows on the ``reachable`` nodes (those connected to this
    replica); end the waiting ones Terminated once errors passed MaxErrors."""
    counts = repo.details_of(conn, command.command_id)
    progress = ratecontrol.Progress(
        waiting=counts.get(_D.PENDING, 0) + counts.get(_D.DELAYED, 0),
        running=sum(counts.get(d, 0) for d in RUNNING),
        error_count=counts.get(_D.FAILED, 0) + counts.get(_D.EXECUTION_TIMED_OUT, 0),
    )
    decision = ratecontrol.decide(
        progress, concurrency=command.concurrency, errors=command.errors_allowed
    )
    if decision.terminate_waiting:
        return Advanced(ended=len(_end_waiting(conn, command, _D.TERMINATED, now)))
    if decision.start == 0 or not reachable:
        return Advanced()
    chosen = repo.waiting_for(conn, command.command_id, reachable, limit=decision.start)
    claimed = tuple(repo.claim(conn, command.command_id, chosen, replica=replica, now=now))
    events.invocations_changed(conn, command, claimed, _D.IN_PROGRESS, now)
    return Advanced(claimed=claimed)


def _end_waiting(
    conn: Connection, command: repo.CommandRow, details: InvocationDetail, now: dt.datetime
) -> list[str]:
    ended = repo.set_invocation_details(
        conn,
        command.command_id,
        _all_instances(conn, command),
        details,
        only_if={_D.PENDING, _D.DELAYED},
        ended_at=now,
    )
    events.invocations_changed(conn, command, ended, details, now)
    return ended


def _all_instances(conn: Connection, command: repo.CommandRow) -> list[str]:
    return [row.instance_id for row in repo.invocations_of(conn, command.command_id)]


def cancel(
    conn: Connection, command: repo.CommandRow, instance_ids: Sequence[str] | None, now: dt.datetime
) -> list[str]:
    """CancelCommand: waiting invocations end Cancelled at once; delivered ones become
    Cancelling until their agent confirms. Returns the instance ids to tell to stop."""
    targets = list(instance_ids) if instance_ids else _all_instances(conn, command)
    repo.request_cancel(conn, command.command_id)
    cancelled = repo.set_invocation_details(
        conn,
        command.command_id,
        targets,
        _D.CANCELLED,
        only_if={_D.PENDING, _D.DELAYED},
        ended_at=now,
    )
    events.invocations_changed(conn, command, cancelled, _D.CANCELLED, now)
    stopping = repo.set_invocation_details(
        conn, command.command_id, targets, _D.CANCELLING, only_if={_D.IN_PROGRESS}
    )
    events.invocations_changed(conn, command, stopping, _D.CANCELLING, now)
    return stopping
