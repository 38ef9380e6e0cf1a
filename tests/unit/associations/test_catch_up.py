"""The association scheduler on a real store, with time moved by hand: a run that never
reached its host (DeliveryTimedOut) keeps the intent, and the host gets a run of its own once
it is online; a due run starts once however many passes see it."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Connection

from openssm.server.channel.hub import Hub
from openssm.server.dispatch.dispatcher import Dispatcher
from openssm.server.services.associations import execution, scheduling, writes
from openssm.server.store.associations import runs
from openssm.server.store.fleet import instances as fleet_rows
from tests.unit.server.dispatch.world import open_world, register_nodes
from tests.unit.server.services.documents.store import context

RUN_ONCE = {
    "Name": "AWS-RunShellScript",
    "Parameters": {"commands": ["true"]},
}


def test_a_host_the_run_never_reached_gets_a_run_when_it_is_back(tmp_path: Path) -> None:
    with open_world(tmp_path) as (store, keyring, clock):
        ctx = context()
        (node,) = register_nodes(store, ctx)
        request = {**RUN_ONCE, "Targets": [{"Key": "InstanceIds", "Values": [node]}]}
        association = store.write_sync(
            lambda conn: writes.create_association(conn, ctx, keyring, request)
        )

        def one_pass(conn: Connection) -> scheduling.PassResult:
            now = clock.now()
            return scheduling.run_pass(conn, keyring, now=now, online_cutoff=now)

        def state() -> runs.InstanceStateRow:
            (found,) = store.read_sync(
                lambda conn: runs.states_of_instance(conn, node, [association.association_id])
            )
            return found

        assert store.write_sync(one_pass).started == 1  # at creation; the host is offline
        clock.advance(3601)  # past the delivery timeout
        asyncio.run(Dispatcher(store, keyring, Hub(), clock).tick())
        assert store.write_sync(one_pass).recorded == 1
        missed = state()
        assert (missed.status, missed.detailed_status, missed.needs_apply) == (
            "Failed",
            "DeliveryTimedOut",
            True,
        )
        assert store.write_sync(one_pass).started == 0  # still offline: it waits

        store.write_sync(
            lambda conn: fleet_rows.record_connections(conn, [(node, "channel-1", clock.now())])
        )
        assert store.write_sync(one_pass).started == 1  # back: a run of its own
        again = state()
        assert (again.status, again.needs_apply) == ("Pending", False)
        assert store.write_sync(one_pass).started == 0


def test_a_scheduled_run_starts_once_however_many_passes_see_it(tmp_path: Path) -> None:
    with open_world(tmp_path) as (store, keyring, clock):
        ctx = context()
        (node,) = register_nodes(store, ctx)
        request = {
            **RUN_ONCE,
            "Targets": [{"Key": "InstanceIds", "Values": [node]}],
            "ScheduleExpression": "rate(30 minutes)",
        }
        association = store.write_sync(
            lambda conn: writes.create_association(conn, ctx, keyring, request)
        )

        def one_pass(conn: Connection) -> int:
            now = clock.now()
            return scheduling.run_pass(conn, keyring, now=now, online_cutoff=now).started

        assert [store.write_sync(one_pass) for _ in range(3)] == [1, 0, 0]  # at creation
        clock.advance(dt.timedelta(minutes=30).total_seconds())
        assert [store.write_sync(one_pass) for _ in range(3)] == [1, 0, 0]  # on schedule
        clock.advance(dt.timedelta(minutes=29).total_seconds())
        assert store.write_sync(one_pass) == 0
        executions = store.read_sync(
            lambda conn: runs.list_executions(
                conn, association.association_id, conditions=[], before=None, limit=10
            )
        )
        assert len(executions) == 2


def test_a_pass_records_a_bounded_number_of_results_and_ends_the_run_after_the_last(
    tmp_path: Path,
) -> None:
    with open_world(tmp_path) as (store, keyring, clock):
        ctx = context()
        nodes = register_nodes(store, ctx, 3)
        request = {**RUN_ONCE, "Targets": [{"Key": "InstanceIds", "Values": nodes}]}
        store.write_sync(lambda conn: writes.create_association(conn, ctx, keyring, request))
        store.write_sync(
            lambda conn: scheduling.run_pass(conn, keyring, now=ctx.now, online_cutoff=ctx.now)
        )
        clock.advance(3601)
        asyncio.run(Dispatcher(store, keyring, Hub(), clock).tick())  # all DeliveryTimedOut

        def record(conn: Connection) -> tuple[int, int]:
            done = execution.record_progress(conn, clock.now(), budget=2)
            return done, len(runs.active_executions(conn))

        assert store.write_sync(record) == (2, 1)  # the run goes on: one result is left
        assert store.write_sync(record) == (1, 0)  # the last one, and the run ends
        assert store.write_sync(record) == (0, 0)
