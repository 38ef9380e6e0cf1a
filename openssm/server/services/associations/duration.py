"""Duration: how many hours a run of an association may take (AWS: 1 to 24, for cron
associations with ApplyOnlyAtCronInterval only, which ``spec`` checks).

Once a run's Duration has passed since it started, AWS cancels what is still running and
starts the run on no more targets. Here the run's command is cancelled through Run Command:
hosts still waiting their turn (rate control) end Cancelled without being sent anything, and
hosts running it are told to stop. The run's own recording then ends those hosts Failed with
the detail Cancelled; a host that was never sent the command keeps its compliance, since
nothing ran there.

The Duration is the one of the association version that started the run, and time is the
scheduler pass's ``now`` (the injectable clock).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Connection

from openssm.server.services.associations import execution
from openssm.server.services.commands import cancel
from openssm.server.store.associations import repo, runs
from openssm.server.store.commands import repo as command_rows


def deadline(settings: dict[str, object], started_at: dt.datetime) -> dt.datetime | None:
    """When a run started at ``started_at`` must stop; None when it has no Duration."""
    hours = settings.get("Duration")
    return None if not isinstance(hours, int) else started_at + dt.timedelta(hours=hours)


def enforce(conn: Connection, now: dt.datetime) -> int:
    """Cancel the running association runs whose Duration has passed; how many."""
    stopped = 0
    for run in runs.active_executions(conn):
        if run.command_id is None:
            continue
        version = repo.get_version(conn, run.association_id, run.association_version)
        row = repo.get_by_id(conn, run.association_id)
        if version is None or row is None:
            continue
        ends = deadline(json.loads(version.spec), run.created_at)
        if ends is None or now < ends:
            continue
        command = command_rows.get_command_by_id(conn, run.command_id)
        if command is None or command.finished or command.cancel_requested:
            continue
        cancel.cancel_command(conn, execution.context(row, now), run.command_id, None)
        stopped += 1
    return stopped
