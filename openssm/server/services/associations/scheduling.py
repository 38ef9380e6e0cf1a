"""One pass of the association scheduler: everything that makes associations apply.

In one write transaction (the scheduler loop runs it on one replica at a time):

1. **Membership.** Hosts whose registration or tags changed (the fleet's change journal) are
   matched against every association of their account: a host that joined an association's
   targets is marked to be applied to; one that left loses its state and its compliance.
2. **Due runs.** Associations whose run was asked for (creation, update, StartAssociationsOnce)
   or whose schedule came due start a run over all their targets. The schedule moves on
   with a compare-and-set, so a run starts once even if two passes raced.
3. **Catch-up.** Hosts waiting to be applied to (they joined, or a run never reached them)
   that are online now get a run of their own.
4. **Duration.** Runs past their Duration are cancelled (``duration``).
5. **Progress.** Each running execution records the results that arrived.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.server.secrets import Keyring
from openssm.server.services import schedules
from openssm.server.services.associations import duration, execution, membership, spec
from openssm.server.store.associations import repo, runs
from openssm.server.store.associations.repo import AssociationRow

log = logging.getLogger("openssm.associations")

DUE_PER_PASS = 100


@dataclass(slots=True)
class PassResult:
    started: int = 0
    recorded: int = 0
    membership_changes: int = 0
    cancelled: int = 0


def run_pass(
    conn: Connection, keyring: Keyring, *, now: dt.datetime, online_cutoff: dt.datetime
) -> PassResult:
    result = PassResult()
    result.membership_changes = membership.follow_changes(conn, now, online_cutoff)
    for row in repo.due(conn, now, limit=DUE_PER_PASS):
        if _start_due(conn, keyring, row, now, online_cutoff):
            result.started += 1
    result.started += _catch_up(conn, keyring, now, online_cutoff)
    result.cancelled = duration.enforce(conn, now)
    result.recorded = execution.record_progress(conn, now)
    return result


def next_run_after(
    settings: spec.Spec, previous: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """When the schedule next comes due after ``now``: a cron's next time (ScheduleOffset
    days after its match), or the rate's next step from the previous due time (missed steps
    are skipped, not run in a burst)."""
    schedule = spec.schedule_of(settings)
    if schedule is None:
        return None
    if isinstance(schedule, schedules.Rate):
        due = previous or now
        while due <= now:
            due += schedule.interval
        return due
    return schedules.next_run(schedule, now, offset_days=settings.get("ScheduleOffset") or 0)


def _start_due(
    conn: Connection,
    keyring: Keyring,
    row: AssociationRow,
    now: dt.datetime,
    online_cutoff: dt.datetime,
) -> bool:
    settings: spec.Spec = json.loads(row.spec)
    scheduled = row.next_run_at is not None and row.next_run_at <= now
    next_run_at = next_run_after(settings, row.next_run_at, now) if scheduled else row.next_run_at
    if not repo.claim_run(conn, row, next_run_at=next_run_at, now=now):
        return False
    execution.start(conn, keyring, row, now=now, online_cutoff=online_cutoff)
    return True


def _catch_up(
    conn: Connection, keyring: Keyring, now: dt.datetime, online_cutoff: dt.datetime
) -> int:
    started = 0
    for association_id, waiting in runs.waiting_to_apply(conn).items():
        row = repo.get_by_id(conn, association_id)
        if row is None:
            continue
        online = membership.matching(
            conn, row, online_cutoff, waiting, statuses=membership.ONLINE, by_targets=False
        )
        if online:
            execution.start(
                conn, keyring, row, now=now, online_cutoff=online_cutoff, instance_ids=online
            )
            started += 1
    return started
