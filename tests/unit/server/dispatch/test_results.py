"""Results in the dispatcher's pass: however many arrive together, each invocation is stored
once (its first ending wins), every result is acknowledged, and claims take only what still
waits."""

from __future__ import annotations

import asyncio

from openssm.protocol.frames import InvocationFrame, ResultAckFrame, ResultFrame
from openssm.server.channel.hub import Hub
from openssm.server.dispatch.dispatcher import Dispatcher
from openssm.server.services.commands import progress
from openssm.server.store.commands import repo
from tests.unit.server.dispatch.world import (
    RecordingPeer,
    World,
    details,
    register_nodes,
    result_frame,
    send_command,
)
from tests.unit.server.services.documents.store import context


def _result(command_id: str, status: str, code: int, stdout: str) -> ResultFrame:
    return result_frame(command_id, status, code, stdout)


def _delivered(
    world: World, count: int
) -> tuple[Dispatcher, repo.CommandRow, dict[str, RecordingPeer]]:
    store, keyring, clock = world
    ctx = context()
    nodes = register_nodes(store, ctx, count)
    command = send_command(store, keyring, ctx, nodes)
    hub = Hub()
    peers = {node: RecordingPeer() for node in nodes}
    for node, peer in peers.items():
        hub.attach(node, peer)
    dispatcher = Dispatcher(store, keyring, hub, clock)
    asyncio.run(dispatcher.tick())
    assert all(isinstance(p.frames[0], InvocationFrame) for p in peers.values())
    return dispatcher, command, peers


def _acks(peer: RecordingPeer) -> list[str]:
    return [f.command_id for f in peer.frames if isinstance(f, ResultAckFrame)]


def test_results_arriving_together_are_all_stored_with_their_output_and_acknowledged(
    world: World,
) -> None:
    store = world[0]
    dispatcher, command, peers = _delivered(world, 3)
    for n, node in enumerate(peers):
        dispatcher.result_received(node, _result(command.command_id, "Success", 0, f"hi {n}\n"))
    asyncio.run(dispatcher.tick())

    assert details(store, command.command_id) == {"Success": 3}
    plugins = store.read_sync(lambda conn: repo.plugins_of(conn, command.command_id, list(peers)))
    assert [plugins[node][0].stdout for node in peers] == ["hi 0\n", "hi 1\n", "hi 2\n"]
    assert all(_acks(peer) == [command.command_id] for peer in peers.values())
    rolled = store.read_sync(lambda conn: repo.get_command_by_id(conn, command.command_id))
    assert rolled is not None
    assert (rolled.status, rolled.completed_count, rolled.finished) == ("Success", 3, True)


def test_a_result_reported_twice_in_one_pass_is_stored_once_and_acknowledged_twice(
    world: World,
) -> None:
    store = world[0]
    dispatcher, command, peers = _delivered(world, 1)
    (node,) = peers
    dispatcher.result_received(node, _result(command.command_id, "Failed", 1, "first\n"))
    dispatcher.result_received(node, _result(command.command_id, "Success", 0, "second\n"))
    asyncio.run(dispatcher.tick())

    assert details(store, command.command_id) == {"Failed": 1}
    invocation = store.read_sync(lambda conn: repo.get_invocation(conn, command.command_id, node))
    assert invocation is not None
    assert invocation.response_code == 1
    plugins = store.read_sync(lambda conn: repo.plugins_of(conn, command.command_id, [node]))
    assert [p.stdout for p in plugins[node]] == ["first\n"]
    assert _acks(peers[node]) == [command.command_id, command.command_id]


def test_a_result_after_the_invocation_timed_out_is_acknowledged_and_changes_nothing(
    world: World,
) -> None:
    store, _, clock = world
    dispatcher, command, peers = _delivered(world, 1)
    (node,) = peers
    clock.advance(60 + progress.REPORT_GRACE_S + 1)
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"DeliveryTimedOut": 1}

    dispatcher.result_received(node, _result(command.command_id, "Success", 0, "late\n"))
    asyncio.run(dispatcher.tick())
    assert details(store, command.command_id) == {"DeliveryTimedOut": 1}
    plugins = store.read_sync(lambda conn: repo.plugins_of(conn, command.command_id, [node]))
    assert plugins == {}
    assert _acks(peers[node]) == [command.command_id]


def test_a_claim_takes_only_pending_invocations_and_answers_in_the_order_asked(
    world: World,
) -> None:
    store, keyring, clock = world
    ctx = context()
    first, second, third = register_nodes(store, ctx, 3)
    command = send_command(store, keyring, ctx, [first, second, third])
    store.write_sync(
        lambda conn: repo.set_invocation_details(
            conn, command.command_id, [second], "Cancelled", only_if={"Pending"}
        )
    )
    won = store.write_sync(
        lambda conn: repo.claim(
            conn, command.command_id, [third, second, first], replica="r1", now=clock.now()
        )
    )
    assert won == [third, first]
    again = store.write_sync(
        lambda conn: repo.claim(conn, command.command_id, [first], replica="r2", now=clock.now())
    )
    assert again == []
    rows = store.read_sync(lambda conn: repo.invocations_of(conn, command.command_id))
    assert [(r.status_details, r.claimed_by, r.deliveries) for r in rows] == [
        ("InProgress", "r1", 1) if r.instance_id in (first, third) else ("Cancelled", None, 0)
        for r in rows
    ]
