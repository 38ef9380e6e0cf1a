"""The dispatcher on a real store, with time moved by hand: what runs out of time ends, and a
sent invocation goes to the agent's channel (a recording peer stands in for the socket)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from openssm.clock import FakeClock
from openssm.protocol.frames import InvocationFrame
from openssm.server.channel.hub import Hub
from openssm.server.dispatch.dispatcher import HISTORY, Dispatcher
from openssm.server.secrets import Keyring
from openssm.server.services.commands import progress, send
from openssm.server.store.commands import repo
from openssm.server.store.engine import Store
from tests.unit.server.dispatch.world import (
    RecordingPeer,
    World,
    details,
    register_nodes,
    send_command,
)
from tests.unit.server.services.documents.store import context


def _sent(world: World) -> tuple[Store, Keyring, FakeClock, str, repo.CommandRow]:
    store, keyring, clock = world
    ctx = context()
    (node,) = register_nodes(store, ctx)
    return store, keyring, clock, node, send_command(store, keyring, ctx, [node])


def test_an_undelivered_invocation_ends_delivery_timed_out_at_the_delivery_timeout(
    world: World,
) -> None:
    store, keyring, clock, _, command = _sent(world)
    assert command.expires_at - command.requested_at == dt.timedelta(seconds=30 + 60)
    dispatcher = Dispatcher(store, keyring, Hub(), clock)

    clock.advance(29)
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"Pending": 1}

    clock.advance(2)
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"DeliveryTimedOut": 1}
    rolled = store.read_sync(lambda conn: repo.get_command_by_id(conn, command.command_id))
    assert rolled is not None
    assert (rolled.status, rolled.status_details) == ("TimedOut", "DeliveryTimedOut")
    assert (rolled.delivery_timed_out_count, rolled.completed_count, rolled.finished) == (
        1,
        1,
        True,
    )


def test_a_delivered_invocation_with_no_report_ends_after_its_execution_timeout_and_grace(
    world: World,
) -> None:
    store, keyring, clock, node, command = _sent(world)
    hub = Hub()
    peer = RecordingPeer()
    hub.attach(node, peer)
    dispatcher = Dispatcher(store, keyring, hub, clock)

    asyncio.run(dispatcher.tick())
    (frame,) = peer.frames
    assert isinstance(frame, InvocationFrame)
    assert frame.command_id == command.command_id
    assert frame.plan.steps[0].inputs["runCommand"] == ["sleep 1"]
    assert frame.execution_timeout_s == 60
    assert details(store, command.command_id) == {"InProgress": 1}

    clock.advance(60 + progress.REPORT_GRACE_S - 1)
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"InProgress": 1}
    clock.advance(2)
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"DeliveryTimedOut": 1}
    assert len(peer.frames) == 1  # never sent twice while the channel held


def test_the_plan_is_stored_sealed_and_the_parameters_as_the_caller_wrote_them(
    world: World,
) -> None:
    _, keyring, _, _, command = _sent(world)
    assert "sleep 1" not in command.sealed_plan
    opened = send.open_plan(keyring, command.command_id, command.sealed_plan)
    assert opened.plan.steps[0].inputs["runCommand"] == ["sleep 1"]
    assert json.loads(command.parameters) == {
        "commands": ["sleep 1"],
        "executionTimeout": ["60"],
    }


def test_finished_commands_are_kept_thirty_days_as_on_aws(
    world: World,
) -> None:
    store, keyring, clock, _, command = _sent(world)
    dispatcher = Dispatcher(store, keyring, Hub(), clock)
    clock.advance(31)
    asyncio.run(dispatcher.tick())  # delivery timed out: the command is finished

    clock.advance(HISTORY.total_seconds() - 60)
    asyncio.run(dispatcher.tick())
    assert store.read_sync(lambda conn: repo.get_command_by_id(conn, command.command_id))

    clock.advance(3600)
    asyncio.run(dispatcher.tick())
    assert store.read_sync(lambda conn: repo.get_command_by_id(conn, command.command_id)) is None
    assert details(store, command.command_id) == {}
