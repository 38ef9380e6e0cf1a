"""Reading a command's status, as pollers do many times a second (openssm run, boto3's
command_executed waiter): one statement when the command exists, InvalidCommandId when it
does not, or when it is another account's or region's."""

from __future__ import annotations

import pytest

from openssm.errors import InvalidCommandId
from openssm.server.services.commands import reads
from tests.unit.server.dispatch.test_pass_cost import _counted
from tests.unit.server.dispatch.world import World, register_nodes, send_command
from tests.unit.server.services.documents.store import context


def _listed(world: World, command_id: str, **ctx: str) -> list[str]:
    store = world[0]
    rows, _ = store.read_sync(
        lambda conn: reads.list_commands(
            conn,
            context(**ctx),
            command_id=command_id,
            instance_id=None,
            filters=None,
            max_results=None,
            next_token=None,
        )
    )
    return [row.command_id for row in rows]


def test_listing_one_command_reads_it_once_and_refuses_one_that_is_not_there(
    world: World,
) -> None:
    store, keyring, _ = world
    ctx = context()
    nodes = register_nodes(store, ctx)
    command_id = send_command(store, keyring, ctx, nodes).command_id
    with _counted(store) as statements:
        assert _listed(world, command_id) == [command_id]
    assert len(statements) == 1

    for missing, scope in [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", {}),
        (command_id, {"account_id": "999999999999"}),
        (command_id, {"region": "ap-south-2"}),
    ]:
        with pytest.raises(InvalidCommandId):
            _listed(world, missing, **scope)
