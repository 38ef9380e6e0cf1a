"""What a command costs the server from SendCommand to its results: it starts on the agents
connected here in the transaction that writes it (no pass of its own), its results are read
without reading the command again, and a pass waits a moment for results still to come from
the agents it was sent to, so that one transaction records them together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from openssm.protocol.frames import InvocationFrame, ResultAckFrame
from openssm.server.channel.hub import Hub
from openssm.server.dispatch import dispatcher as dispatcher_module
from openssm.server.dispatch.dispatcher import Dispatcher
from openssm.server.services.commands import send
from openssm.server.store.commands import repo
from tests.unit.server.dispatch.world import (
    RecordingPeer,
    World,
    details,
    register_nodes,
    result_frame,
)
from tests.unit.server.services.documents.store import context


def _writer(world: World, nodes: list[str]) -> Callable[[Connection], repo.CommandRow]:
    """SendCommand's write of ``echo hi`` on these nodes, all at once."""
    keyring = world[1]
    ctx = context()
    request = send.SendInput(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["echo hi"]},
        instance_ids=nodes,
        max_concurrency="100%",
    )
    return lambda conn: send.send_command(conn, ctx, keyring, request, online_cutoff=ctx.now)


def _transactions(world: World) -> list[str]:
    begun: list[str] = []
    event.listen(world[0].engine, "begin", lambda _conn: begun.append("begin"))
    return begun


def _served(
    world: World, count: int, here: int
) -> tuple[list[str], dict[str, RecordingPeer], Dispatcher]:
    """``count`` registered nodes, the first ``here`` of them connected to the dispatcher."""
    nodes = register_nodes(world[0], context(), count)
    peers = {node: RecordingPeer() for node in nodes[:here]}
    hub = Hub()
    for node, peer in peers.items():
        hub.attach(node, peer)
    return nodes, peers, Dispatcher(world[0], world[1], hub, world[2])


def test_a_sent_command_reaches_the_agents_connected_here_in_its_own_transaction(
    world: World,
) -> None:
    store = world[0]
    nodes, peers, dispatcher = _served(world, 2, here=1)  # the other node is away
    begun = _transactions(world)

    command = asyncio.run(dispatcher.start_new(_writer(world, nodes)))

    assert len(begun) == 1
    assert command.status == "Pending"  # SendCommand answers with the command as written
    assert [type(f) for f in peers[nodes[0]].frames] == [InvocationFrame]
    assert details(store, command.command_id) == {"InProgress": 1, "Pending": 1}
    rolled = store.read_sync(lambda conn: repo.get_command_by_id(conn, command.command_id))
    assert rolled is not None
    assert rolled.status == "InProgress"
    assert dispatcher.delivered_command(command.command_id) == command


def test_a_command_none_of_whose_agents_is_here_waits_for_the_next_pass(world: World) -> None:
    store = world[0]
    nodes, _peers, dispatcher = _served(world, 1, here=0)

    command = asyncio.run(dispatcher.start_new(_writer(world, nodes)))

    assert details(store, command.command_id) == {"Pending": 1}
    assert dispatcher.delivered_command(command.command_id) is None


def test_a_pass_records_with_a_result_those_arriving_while_it_waits_for_them(
    world: World,
) -> None:
    store = world[0]
    nodes, peers, dispatcher = _served(world, 3, here=3)
    command = asyncio.run(dispatcher.start_new(_writer(world, nodes)))
    frame = result_frame(command.command_id, "Success", 0, "hi\n")
    begun = _transactions(world)

    async def results_one_after_another() -> None:
        dispatcher.result_received(nodes[0], frame)
        loop = asyncio.get_running_loop()
        loop.call_soon(dispatcher.result_received, nodes[1], frame)
        loop.call_soon(lambda: loop.call_soon(dispatcher.result_received, nodes[2], frame))
        await dispatcher.tick()

    asyncio.run(results_one_after_another())

    assert len(begun) == 1
    assert details(store, command.command_id) == {"Success": 3}
    assert all(isinstance(p.frames[-1], ResultAckFrame) for p in peers.values())


def test_a_pass_waits_only_a_moment_for_a_result_that_does_not_come(world: World) -> None:
    store = world[0]
    nodes, _peers, dispatcher = _served(world, 2, here=2)
    command = asyncio.run(dispatcher.start_new(_writer(world, nodes)))

    dispatcher.result_received(nodes[0], result_frame(command.command_id, "Success", 0))
    asyncio.run(dispatcher.tick())

    assert details(store, command.command_id) == {"InProgress": 1, "Success": 1}


def test_results_that_come_while_a_pass_runs_are_recorded_in_it(world: World) -> None:
    store = world[0]
    nodes, peers, dispatcher = _served(world, 2, here=2)
    command = asyncio.run(dispatcher.start_new(_writer(world, nodes)))
    frame = result_frame(command.command_id, "Success", 0)
    dispatcher.result_received(nodes[0], frame)
    begun = _transactions(world)
    statements: list[str] = []

    def arrives_meanwhile(*args: object) -> None:
        statements.append(str(args[2]))
        if len(statements) == 2:  # the pass has locked the command and recorded the first
            dispatcher.result_received(nodes[1], frame)

    event.listen(store.engine, "before_cursor_execute", arrives_meanwhile)
    asyncio.run(dispatcher.tick())

    assert len(begun) == 1
    assert details(store, command.command_id) == {"Success": 2}
    assert all(isinstance(p.frames[-1], ResultAckFrame) for p in peers.values())
    rolled = store.read_sync(lambda conn: repo.get_command_by_id(conn, command.command_id))
    assert rolled is not None
    assert (rolled.status, rolled.completed_count) == ("Success", 2)


def test_a_large_command_is_left_to_the_next_pass(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Claiming and sending thousands of invocations would hold SendCommand's answer.
    monkeypatch.setattr(dispatcher_module, "INLINE_START_TARGETS", 1)
    store = world[0]
    nodes, peers, dispatcher = _served(world, 2, here=2)

    command = asyncio.run(dispatcher.start_new(_writer(world, nodes)))

    assert details(store, command.command_id) == {"Pending": 2}
    assert all(peer.frames == [] for peer in peers.values())
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"InProgress": 2}
    assert all([type(f) for f in peer.frames] == [InvocationFrame] for peer in peers.values())
