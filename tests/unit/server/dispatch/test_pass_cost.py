"""What a dispatcher pass costs: it works on the commands with something to start or to time
out, and rolls up those whose invocations moved, so commands left running (or waiting out a
long timeout) do not make every pass slower."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from openssm.protocol.frames import CancelFrame
from openssm.server.channel.hub import Hub
from openssm.server.dispatch.dispatcher import Dispatcher
from openssm.server.services.commands.cancel import cancel_command
from openssm.server.store.engine import Store
from tests.unit.server.dispatch.world import RecordingPeer, World, register_nodes, send_command
from tests.unit.server.services.documents.store import context


@contextmanager
def _counted(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def _idle_pass_statements(dispatcher: Dispatcher, store: Store) -> int:
    with _counted(store) as statements:
        asyncio.run(dispatcher.tick())
    return len(statements)


def test_a_pass_costs_the_same_however_many_commands_are_running_in_time(world: World) -> None:
    store, keyring, clock = world
    ctx = context()
    (node,) = register_nodes(store, ctx)
    hub = Hub()
    hub.attach(node, RecordingPeer())
    dispatcher = Dispatcher(store, keyring, hub, clock)
    send_command(store, keyring, ctx, [node])
    asyncio.run(dispatcher.tick())  # delivered: InProgress, its timeout a minute away
    one_running = _idle_pass_statements(dispatcher, store)

    for _ in range(20):
        send_command(store, keyring, ctx, [node])
    asyncio.run(dispatcher.tick())
    clock.advance(5)
    assert _idle_pass_statements(dispatcher, store) == one_running


def _asks_for_cancels(statements: list[str]) -> bool:
    return any("claimed_by = " in sql and sql.lstrip().startswith("SELECT") for sql in statements)


def test_a_pass_looks_for_invocations_being_cancelled_only_while_a_command_is_cancelled(
    world: World,
) -> None:
    """Invocations are Cancelling only in a command CancelCommand marked, which stays
    unfinished (so among the pass's active commands) until they end."""
    store, keyring, clock = world
    ctx = context()
    (node,) = register_nodes(store, ctx)
    peer = RecordingPeer()
    hub = Hub()
    hub.attach(node, peer)
    dispatcher = Dispatcher(store, keyring, hub, clock)
    command = send_command(store, keyring, ctx, [node])
    asyncio.run(dispatcher.tick())  # delivered: InProgress
    with _counted(store) as statements:
        asyncio.run(dispatcher.tick())
    assert not _asks_for_cancels(statements)

    store.write_sync(lambda conn: cancel_command(conn, ctx, command.command_id, None))
    with _counted(store) as statements:
        asyncio.run(dispatcher.tick())
    assert _asks_for_cancels(statements)
    assert [f.command_id for f in peer.frames if isinstance(f, CancelFrame)] == [command.command_id]
