"""The dispatcher's view of the unfinished commands: what each has still open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.commands.tables import command_invocations, commands


@dataclass(slots=True, kw_only=True)
class OpenWork:
    """A command's invocations that have not ended, as far as a dispatcher pass needs them."""

    waiting: int = 0  # Pending or Delayed
    oldest_pending: dt.datetime | None = None  # requested_at of the oldest Pending
    oldest_delivered: dt.datetime | None = None  # delivered_at of the oldest running


_WAITING = ("Pending", "Delayed")
_DELIVERED = ("InProgress", "Cancelling")


_i = command_invocations.c
# Built once: every dispatcher pass runs it, and building it cost more than running it.
_OPEN = (
    sa.select(
        _i.command_id,
        _i.status_details,
        sa.func.count(),
        sa.func.min(_i.requested_at),
        sa.func.min(_i.delivered_at),
    )
    .join(commands, commands.c.command_id == _i.command_id)
    .where(commands.c.finished == sa.false(), _i.status_details.in_(_WAITING + _DELIVERED))
    .group_by(_i.command_id, _i.status_details)
)


def open_work(conn: Connection) -> dict[str, OpenWork]:
    """Command id → its open invocations, for every unfinished command that has any, in one
    statement: a pass then works only on the commands with something to start or to time out,
    however many others wait for a node that is away."""
    found: dict[str, OpenWork] = {}
    for command_id, details, count, requested_at, delivered_at in conn.execute(_OPEN):
        work = found.setdefault(command_id, OpenWork())
        if details in _WAITING:
            work.waiting += count
        if details == "Pending":
            work.oldest_pending = requested_at
        elif details in _DELIVERED and delivered_at is not None:
            work.oldest_delivered = min(filter(None, (work.oldest_delivered, delivered_at)))
    return found
