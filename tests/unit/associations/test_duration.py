"""Duration and ScheduleOffset in the association scheduler, on a real store with time moved
by hand (the injectable clock) and recording peers standing in for agents.

Duration (AWS): once a run has taken its Duration in hours, what still runs is cancelled and
no more targets are started; until then a target waiting its turn (MaxConcurrency 1) may
still start, past Run Command's one-hour delivery timeout; at the Duration it ends
Failed/Cancelled without being sent anything and keeps its compliance. ScheduleOffset: a cron
association runs that many days after the cron's match.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Connection

from openssm.protocol.frames import CancelFrame, InvocationFrame
from openssm.server.channel.hub import Hub
from openssm.server.dispatch.dispatcher import Dispatcher
from openssm.server.secrets import Keyring
from openssm.server.services.associations import scheduling, writes
from openssm.server.store.associations import repo, runs
from openssm.server.store.commands import repo as command_rows
from openssm.server.store.compliance import repo as compliance_rows
from tests.unit.server.dispatch.world import (
    RecordingPeer,
    open_world,
    register_nodes,
    result_frame,
)
from tests.unit.server.services.documents.store import context

# The world's clock starts at 2026-03-01 12:00 UTC, a Sunday.
DAILY_AT_13 = "cron(0 13 * * ? *)"


def _run(conn: Connection, keyring: Keyring, now: dt.datetime) -> scheduling.PassResult:
    return scheduling.run_pass(conn, keyring, now=now, online_cutoff=now)


def test_a_run_past_its_duration_is_cancelled_and_starts_no_more_targets(
    tmp_path: Path,
) -> None:
    with open_world(tmp_path) as (store, keyring, clock):
        ctx = context()
        first, second = register_nodes(store, ctx, 2)
        request = {
            "Name": "AWS-RunShellScript",
            "Parameters": {"commands": ["sleep 7200"], "executionTimeout": ["10800"]},
            "Targets": [{"Key": "InstanceIds", "Values": [first, second]}],
            "ScheduleExpression": DAILY_AT_13,
            "ApplyOnlyAtCronInterval": True,
            "Duration": 2,
            "MaxConcurrency": "1",
        }
        association = store.write_sync(
            lambda conn: writes.create_association(conn, ctx, keyring, request)
        )
        hub = Hub()
        peers = {first: RecordingPeer(), second: RecordingPeer()}
        for node, peer in peers.items():
            hub.attach(node, peer)
        dispatcher = Dispatcher(store, keyring, hub, clock)

        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).started == 0
        clock.advance(3600)  # 13:00: the cron's run
        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).started == 1
        asyncio.run(dispatcher.tick())
        sent = [
            n for n, p in peers.items() if any(isinstance(f, InvocationFrame) for f in p.frames)
        ]
        assert len(sent) == 1  # MaxConcurrency 1: the other host waits its turn
        (running,) = sent
        (waiting,) = {first, second} - {running}
        (execution,) = store.read_sync(
            lambda conn: runs.list_executions(
                conn, association.association_id, conditions=[], before=None, limit=5
            )
        )
        assert execution.command_id is not None
        command_id = execution.command_id

        # Past Run Command's default delivery timeout (an hour) the waiting host still waits:
        # within its Duration a run may start a host at any time.
        clock.advance(3601)
        asyncio.run(dispatcher.tick())
        assert store.read_sync(lambda conn: command_rows.details_of(conn, command_id)) == {
            "InProgress": 1,
            "Pending": 1,
        }
        clock.advance(3598)  # not yet two hours: nothing is cancelled
        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).cancelled == 0
        clock.advance(1)  # the two hours have passed
        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).cancelled == 1
        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).cancelled == 0
        asyncio.run(dispatcher.tick())
        assert not any(isinstance(f, InvocationFrame) for f in peers[waiting].frames)
        assert any(isinstance(f, CancelFrame) for f in peers[running].frames)
        dispatcher.result_received(running, result_frame(command_id, "Cancelled", 1))
        asyncio.run(dispatcher.tick())
        store.write_sync(lambda conn: _run(conn, keyring, clock.now()))

        details = store.read_sync(lambda conn: command_rows.details_of(conn, command_id))
        assert details == {"Cancelled": 2}
        targets = store.read_sync(
            lambda conn: runs.list_targets(
                conn, execution.execution_id, conditions=[], after=None, limit=10
            )
        )
        assert {(t.instance_id, t.status, t.detailed_status) for t in targets} == {
            (first, "Failed", "Cancelled"),
            (second, "Failed", "Cancelled"),
        }
        ended = store.read_sync(
            lambda conn: runs.get_execution(
                conn, association.association_id, execution.execution_id
            )
        )
        assert ended is not None
        assert not ended.active

        def has_item(node: str) -> bool:
            key = compliance_rows.ResourceKey(ctx.account_id, ctx.region, "ManagedInstance", node)
            return "Association" in store.read_sync(
                lambda conn: compliance_rows.summaries_of(conn, key)
            )

        # The cancelled run ran on one host (NON_COMPLIANT); the other was never sent it.
        assert has_item(running)
        assert not has_item(waiting)


def test_a_schedule_offset_runs_that_many_days_after_the_cron_match(tmp_path: Path) -> None:
    with open_world(tmp_path) as (store, keyring, clock):
        ctx = context()
        (node,) = register_nodes(store, ctx)
        request = {
            "Name": "AWS-RunShellScript",
            "Parameters": {"commands": ["true"]},
            "Targets": [{"Key": "InstanceIds", "Values": [node]}],
            # Sundays at 13:00 (1 = Sunday); 2026-03-01 is one.
            "ScheduleExpression": "cron(0 13 ? * 1 *)",
            "ApplyOnlyAtCronInterval": True,
            "ScheduleOffset": 2,
        }
        association = store.write_sync(
            lambda conn: writes.create_association(conn, ctx, keyring, request)
        )
        assert association.next_run_at == dt.datetime(2026, 3, 3, 13, tzinfo=dt.UTC)
        clock.advance(3600)  # Sunday 13:00: the match itself does not run
        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).started == 0
        clock.advance(dt.timedelta(days=2).total_seconds())  # Tuesday 13:00
        assert store.write_sync(lambda conn: _run(conn, keyring, clock.now())).started == 1
        (row,) = store.read_sync(
            lambda conn: [
                r
                for r in runs.active_executions(conn)
                if r.association_id == association.association_id
            ]
        )
        assert row.created_at == dt.datetime(2026, 3, 3, 13, tzinfo=dt.UTC)
        due = store.read_sync(lambda conn: repo.get_by_id(conn, association.association_id))
        assert due is not None
        assert due.next_run_at == dt.datetime(2026, 3, 10, 13, tzinfo=dt.UTC)
