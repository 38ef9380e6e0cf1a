"""ListCommands' page of commands, newest first, by keyset (requested time, then id; see
repo.ListingQuery), in the caller's transaction. Its statement is built once per combination
of filters, values bound at execution: pollers ask the same again and again (openssm run,
boto3's command_executed waiter), and building the statement cost more than running it.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.commands.repo import CommandRow, ListingQuery
from openssm.server.store.commands.tables import command_invocations, commands


def list_commands(conn: Connection, query: ListingQuery, *, limit: int) -> list[CommandRow]:
    values: dict[str, Any] = {
        "b_account_id": query.account_id,
        "b_region": query.region,
        "b_command_id": query.command_id,
        "b_instance_id": query.instance_id,
        "b_after": query.invoked_after,
        "b_before": query.invoked_before,
        "b_document_name": query.document_name,
        "b_statuses": sorted(query.statuses) if query.statuses is not None else None,
        "b_finished": query.finished,
        "b_at": query.before[0] if query.before is not None else None,
        "b_position": query.before[1] if query.before is not None else None,
        "b_limit": limit,
    }
    select = _listing_select(tuple(values[name] is not None for name in _OPTIONAL))
    given = {name: value for name, value in values.items() if value is not None}
    return [CommandRow(**r._mapping) for r in conn.execute(select, given)]


_OPTIONAL = (
    "b_command_id", "b_instance_id", "b_after", "b_before", "b_document_name", "b_statuses",
    "b_finished", "b_at",
)  # fmt: skip


@functools.lru_cache(maxsize=len(_OPTIONAL) * 8)
def _listing_select(given: tuple[bool, ...]) -> sa.Select[Any]:
    """ListCommands' statement for the filters ``given`` (flags in _OPTIONAL's order), its
    values bound at execution: built once per combination, as pollers ask the same again."""
    has = dict(zip(_OPTIONAL, given, strict=True))
    c = commands.c
    select = sa.select(commands).where(
        c.account_id == sa.bindparam("b_account_id"), c.region == sa.bindparam("b_region")
    )
    if has["b_command_id"]:
        select = select.where(c.command_id == sa.bindparam("b_command_id"))
    if has["b_instance_id"]:
        i = command_invocations.c
        select = select.where(
            sa.exists().where(
                i.command_id == c.command_id, i.instance_id == sa.bindparam("b_instance_id")
            )
        )
    if has["b_after"]:
        select = select.where(c.requested_at >= sa.bindparam("b_after"))
    if has["b_before"]:
        select = select.where(c.requested_at <= sa.bindparam("b_before"))
    if has["b_document_name"]:
        select = select.where(c.document_name == sa.bindparam("b_document_name"))
    if has["b_statuses"]:
        wanted: sa.BindParameter[Any] = sa.bindparam("b_statuses", expanding=True)
        select = select.where(sa.or_(c.status.in_(wanted), c.status_details.in_(wanted)))
    if has["b_finished"]:
        select = select.where(c.finished == sa.bindparam("b_finished"))
    if has["b_at"]:
        at: sa.BindParameter[Any] = sa.bindparam("b_at")
        select = select.where(
            sa.or_(
                c.requested_at < at,
                sa.and_(c.requested_at == at, c.command_id < sa.bindparam("b_position")),
            )
        )
    return select.order_by(c.requested_at.desc(), c.command_id.desc()).limit(
        sa.bindparam("b_limit")
    )
