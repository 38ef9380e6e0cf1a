"""CancelCommand: stop a command on all its nodes or some of them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from openssm.errors import InvalidInstanceId
from openssm.server.context import RequestContext
from openssm.server.services.commands import progress, reads
from openssm.server.store.commands import repo
from openssm.server.store.notify import COMMANDS_CHANNEL, notify


def cancel_command(
    conn: Connection, ctx: RequestContext, command_id: str, instance_ids: Sequence[str] | None
) -> list[str]:
    """Cancel what has not ended; returns the nodes whose agents must be told to stop.

    InvalidCommandId for an unknown command; InvalidInstanceId for a node the command does
    not run on. Cancelling a command that already ended changes nothing (AWS: best effort).
    """
    command = reads.get_command(conn, ctx, command_id)
    if instance_ids:
        known = {row.instance_id for row in repo.invocations_of(conn, command_id)}
        strangers = sorted(set(instance_ids) - known)
        if strangers:
            raise InvalidInstanceId(f"Command {command_id} does not run on {', '.join(strangers)}.")
    stopping = progress.cancel(conn, command, instance_ids, ctx.now)
    progress.refresh(conn, reads.get_command(conn, ctx, command_id), ctx.now)
    notify(conn, COMMANDS_CHANNEL)  # the replica holding an agent passes the cancel on
    return stopping
