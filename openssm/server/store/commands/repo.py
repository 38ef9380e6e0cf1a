"""Rows of Run Command: commands, invocations and plugin results, read and written in SQL.

Every function runs inside the caller's transaction. Listing functions page by keyset
(requested time, then id) so a page never skips or repeats a row while commands arrive;
ListCommands' statements are in listing.py.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.commands.tables import command_invocations, command_plugins, commands

_CHUNK = 500


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    """``ids`` in lists of at most _CHUNK: an ``IN (…)`` list stays under every database's
    limit on bound parameters (SQLite's is 32,766; a fan-out may name 10,000 and more)."""
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandRow:
    command_id: str
    account_id: str
    region: str
    document_name: str
    document_version: str | None
    comment: str
    parameters: str
    instance_ids: str
    targets: str
    requested_at: dt.datetime
    expires_at: dt.datetime
    delivery_timeout_s: int
    execution_timeout_s: int
    output_s3_region: str
    output_s3_bucket: str
    output_s3_prefix: str
    max_concurrency: str
    max_errors: str
    concurrency: int
    errors_allowed: int
    service_role: str
    notification_config: str
    cloudwatch_output_config: str
    sealed_plan: str
    status: str
    status_details: str
    target_count: int
    completed_count: int
    error_count: int
    delivery_timed_out_count: int
    cancel_requested: bool
    finished: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class InvocationRow:
    command_id: str
    instance_id: str
    instance_name: str
    status_details: str
    requested_at: dt.datetime
    delivered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    claimed_by: str | None = None
    deliveries: int = 0
    response_code: int = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginRow:
    command_id: str
    instance_id: str
    step_index: int
    name: str
    action: str
    status: str
    status_details: str
    response_code: int
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    stdout: str
    stderr: str
    output_key_prefix: str
    plugin_id: str = ""
    stdout_size: int = 0
    stderr_size: int = 0
    output_kept: bool = False


def _values(row: Any, fields: Sequence[str]) -> dict[str, Any]:
    """A row dataclass as insert parameters. Not dataclasses.asdict: it deep-copies every
    value, which costs more than the insert itself when a fan-out writes 10,000 rows."""
    return {name: getattr(row, name) for name in fields}


def _command(row: Any) -> CommandRow:
    return CommandRow(**row._mapping)


def _invocation(row: Any) -> InvocationRow:
    return InvocationRow(**row._mapping)


# --- commands --------------------------------------------------------------------------------


# Statements run for every command or dispatcher pass are built once: building one (each
# column compared, each value bound) and keying it for the compiled cache cost more than
# running it. Their values are bound at execution.
_COMMAND_FIELDS = tuple(column.name for column in commands.columns)
_INSERT_COMMAND = commands.insert()
_COMMAND_BY_ID = sa.select(commands).where(commands.c.command_id == sa.bindparam("b_command_id"))
_COMMAND_IN_SCOPE = _COMMAND_BY_ID.where(
    commands.c.account_id == sa.bindparam("b_account_id"),
    commands.c.region == sa.bindparam("b_region"),
)


def insert_command(conn: Connection, row: CommandRow) -> None:
    conn.execute(_INSERT_COMMAND, _values(row, _COMMAND_FIELDS))


def get_command(
    conn: Connection, *, account_id: str, region: str, command_id: str
) -> CommandRow | None:
    found = conn.execute(
        _COMMAND_IN_SCOPE,
        {"b_command_id": command_id, "b_account_id": account_id, "b_region": region},
    ).first()
    return None if found is None else _command(found)


def get_command_by_id(conn: Connection, command_id: str) -> CommandRow | None:
    found = conn.execute(_COMMAND_BY_ID, {"b_command_id": command_id}).first()
    return None if found is None else _command(found)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingQuery:
    """What ListCommands and ListCommandInvocations select, newest command first."""

    account_id: str
    region: str
    command_id: str | None = None
    instance_id: str | None = None
    invoked_after: dt.datetime | None = None
    invoked_before: dt.datetime | None = None
    document_name: str | None = None
    # A command matches a status filter on its Status or its StatusDetails; an invocation on
    # its StatusDetails (the caller adds the details that show a wanted Status).
    statuses: frozenset[str] | None = None
    # Commands only: finished (Complete) or not (Executing).
    finished: bool | None = None
    # Keyset position: before this (requested time, command id) for commands, and
    # (requested time, command id, instance id) for invocations.
    before: tuple[Any, ...] | None = None


def active_commands(conn: Connection) -> list[CommandRow]:
    """Every command not yet finished, oldest first: the dispatcher's work.

    Their rows stay locked until the transaction ends, so replicas sharing PostgreSQL count
    and claim invocations one pass at a time (rate control holds across replicas; SQLite
    writers are serialized anyway). Every pass locks in this one order, so passes never
    deadlock each other.
    """
    return [_command(r) for r in conn.execute(_ACTIVE)]


_ACTIVE = (
    sa.select(commands)
    .where(commands.c.finished == sa.false())
    .order_by(commands.c.requested_at, commands.c.command_id)
    .with_for_update()
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RolledUp:
    status: str
    status_details: str
    target_count: int
    completed_count: int
    error_count: int
    delivery_timed_out_count: int
    finished: bool


_ROLLUP_FIELDS = tuple(f.name for f in fields(RolledUp))
_UPDATE_ROLLUP = (
    commands.update()
    .where(commands.c.command_id == sa.bindparam("b_command_id"))
    .values({name: sa.bindparam(f"b_{name}") for name in _ROLLUP_FIELDS})
)


def update_rollup(conn: Connection, command_id: str, rolled: RolledUp) -> None:
    values = {f"b_{name}": getattr(rolled, name) for name in _ROLLUP_FIELDS}
    conn.execute(_UPDATE_ROLLUP, {"b_command_id": command_id, **values})


def request_cancel(conn: Connection, command_id: str) -> None:
    conn.execute(
        commands.update().where(commands.c.command_id == command_id).values(cancel_requested=True)
    )


def delete_commands_before(conn: Connection, cutoff: dt.datetime) -> int:
    """Drop finished commands requested before ``cutoff`` (AWS keeps 30 days of history)."""
    c = commands.c
    old = sa.select(c.command_id).where(c.requested_at < cutoff, c.finished == sa.true())
    ids = [r[0] for r in conn.execute(old)]
    for chunk in _chunks(ids):
        conn.execute(command_plugins.delete().where(command_plugins.c.command_id.in_(chunk)))
        conn.execute(
            command_invocations.delete().where(command_invocations.c.command_id.in_(chunk))
        )
        conn.execute(commands.delete().where(c.command_id.in_(chunk)))
    return len(ids)


# --- invocations -----------------------------------------------------------------------------


_INVOCATION_FIELDS = tuple(column.name for column in command_invocations.columns)
_INSERT_INVOCATIONS = command_invocations.insert()


def insert_invocations(conn: Connection, rows: Sequence[InvocationRow]) -> None:
    if rows:
        conn.execute(_INSERT_INVOCATIONS, [_values(r, _INVOCATION_FIELDS) for r in rows])


_DETAILS_OF = (
    sa.select(command_invocations.c.status_details, sa.func.count())
    .where(command_invocations.c.command_id == sa.bindparam("b_command_id"))
    .group_by(command_invocations.c.status_details)
)


def details_of(conn: Connection, command_id: str) -> dict[str, int]:
    """StatusDetails → how many of the command's invocations have it."""
    return {row[0]: row[1] for row in conn.execute(_DETAILS_OF, {"b_command_id": command_id})}


def invocations_of(conn: Connection, command_id: str) -> list[InvocationRow]:
    i = command_invocations.c
    select = (
        sa.select(command_invocations).where(i.command_id == command_id).order_by(i.instance_id)
    )
    return [_invocation(r) for r in conn.execute(select)]


def get_invocation(conn: Connection, command_id: str, instance_id: str) -> InvocationRow | None:
    i = command_invocations.c
    found = conn.execute(
        sa.select(command_invocations).where(
            i.command_id == command_id, i.instance_id == instance_id
        )
    ).first()
    return None if found is None else _invocation(found)


def list_invocations(
    conn: Connection, query: ListingQuery, *, limit: int
) -> list[tuple[InvocationRow, CommandRow]]:
    """Invocations with their commands, newest command first, then by instance id."""
    i = command_invocations.c
    c = commands.c
    select = (
        sa.select(command_invocations, commands)
        .join(commands, c.command_id == i.command_id)
        .where(c.account_id == query.account_id, c.region == query.region)
    )
    if query.command_id is not None:
        select = select.where(i.command_id == query.command_id)
    if query.instance_id is not None:
        select = select.where(i.instance_id == query.instance_id)
    if query.invoked_after is not None:
        select = select.where(c.requested_at >= query.invoked_after)
    if query.invoked_before is not None:
        select = select.where(c.requested_at <= query.invoked_before)
    if query.document_name is not None:
        select = select.where(c.document_name == query.document_name)
    if query.statuses is not None:
        select = select.where(i.status_details.in_(sorted(query.statuses)))
    if query.before is not None:
        at, command_id, instance_id = query.before
        select = select.where(
            sa.or_(
                c.requested_at < at,
                sa.and_(c.requested_at == at, c.command_id < command_id),
                sa.and_(
                    c.requested_at == at, c.command_id == command_id, i.instance_id > instance_id
                ),
            )
        )
    select = select.order_by(c.requested_at.desc(), c.command_id.desc(), i.instance_id).limit(limit)
    out: list[tuple[InvocationRow, CommandRow]] = []
    invocation_columns = {col.name for col in command_invocations.columns}
    for row in conn.execute(select):
        m = row._mapping
        values = {name: m[command_invocations.c[name]] for name in invocation_columns}
        out.append((InvocationRow(**values), _command_from(m)))
    return out


def _command_from(mapping: Any) -> CommandRow:
    return CommandRow(**{col.name: mapping[commands.c[col.name]] for col in commands.columns})


_WAITING_FOR = (
    sa.select(command_invocations.c.instance_id)
    .where(
        command_invocations.c.command_id == sa.bindparam("b_command_id"),
        command_invocations.c.status_details == "Pending",
        command_invocations.c.instance_id.in_(sa.bindparam("b_instance_ids", expanding=True)),
    )
    .order_by(command_invocations.c.instance_id)
    .limit(sa.bindparam("b_limit"))
)


def waiting_for(
    conn: Connection, command_id: str, instance_ids: Iterable[str], *, limit: int
) -> list[str]:
    """Up to ``limit`` Pending invocations of the command on these instances, by instance id."""
    ids = sorted(set(instance_ids))
    found: list[str] = []
    for chunk in _chunks(ids):
        if len(found) >= limit:
            break
        values = {
            "b_command_id": command_id,
            "b_instance_ids": chunk,
            "b_limit": limit - len(found),
        }
        found.extend(r[0] for r in conn.execute(_WAITING_FOR, values))
    return found


_CLAIM = (
    command_invocations.update()
    .where(
        command_invocations.c.command_id == sa.bindparam("b_command_id"),
        command_invocations.c.instance_id.in_(sa.bindparam("b_instance_ids", expanding=True)),
        command_invocations.c.status_details == "Pending",
    )
    .values(
        status_details="InProgress",
        claimed_by=sa.bindparam("b_replica"),
        delivered_at=sa.bindparam("b_now"),
        deliveries=command_invocations.c.deliveries + 1,
    )
    .returning(command_invocations.c.instance_id)
)


def claim(
    conn: Connection,
    command_id: str,
    instance_ids: Sequence[str],
    *,
    replica: str,
    now: dt.datetime,
) -> list[str]:
    """Mark these Pending invocations InProgress, delivered by ``replica``; the ids it won,
    in the order given.

    A row another replica claimed first (it is no longer Pending) is left alone, so each
    invocation is delivered by one replica only. One statement per chunk of ids: a
    10,000-target command is claimed in 20 statements, not 10,000.
    """
    won: set[str] = set()
    for chunk in _chunks(instance_ids):
        values = {"b_command_id": command_id, "b_instance_ids": chunk, "b_replica": replica}
        claimed = conn.execute(_CLAIM, {**values, "b_now": now})
        won.update(r[0] for r in claimed)
    return [instance_id for instance_id in instance_ids if instance_id in won]


def in_flight_for_instance(conn: Connection, instance_id: str) -> list[InvocationRow]:
    """The instance's invocations that were delivered and have not ended (for re-delivery)."""
    i = command_invocations.c
    select = sa.select(command_invocations).where(
        i.instance_id == instance_id, i.status_details.in_(["InProgress", "Cancelling"])
    )
    return [_invocation(r) for r in conn.execute(select)]


def cancelling_claimed_by(conn: Connection, replica: str) -> list[tuple[str, str]]:
    """(command id, instance id) of invocations being cancelled that ``replica`` delivered."""
    i = command_invocations.c
    select = sa.select(i.command_id, i.instance_id).where(
        i.claimed_by == replica, i.status_details == "Cancelling"
    )
    return [(r[0], r[1]) for r in conn.execute(select)]


_DETAILS_BY_INSTANCE = sa.select(
    command_invocations.c.instance_id, command_invocations.c.status_details
).where(
    command_invocations.c.command_id == sa.bindparam("b_command_id"),
    command_invocations.c.instance_id.in_(sa.bindparam("b_instance_ids", expanding=True)),
)


def details_by_instance(
    conn: Connection, command_id: str, instance_ids: Iterable[str]
) -> dict[str, str]:
    """Instance id → StatusDetails of the command's invocations on these instances (an
    instance the command does not target is absent)."""
    ids = list(instance_ids)
    found: dict[str, str] = {}
    for chunk in _chunks(ids):
        rows = conn.execute(
            _DETAILS_BY_INSTANCE, {"b_command_id": command_id, "b_instance_ids": chunk}
        )
        found.update((r[0], r[1]) for r in rows)
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Ending:
    """How one invocation ended, as its agent reported it."""

    command_id: str
    instance_id: str
    status_details: str
    ended_at: dt.datetime
    response_code: int


def end_invocations(conn: Connection, endings: Sequence[Ending], *, only_if: Iterable[str]) -> None:
    """Write many invocations' endings in one batched statement, each where the invocation's
    current StatusDetails is still in ``only_if``."""
    if not endings:
        return
    conn.execute(
        _ending_statement(frozenset(only_if)),
        [
            {
                "b_command_id": e.command_id,
                "b_instance_id": e.instance_id,
                "b_status_details": e.status_details,
                "b_ended_at": e.ended_at,
                "b_response_code": e.response_code,
            }
            for e in endings
        ],
    )


@functools.lru_cache(maxsize=8)
def _ending_statement(only_if: frozenset[str]) -> sa.Update:
    """end_invocations' statement, built once per set of StatusDetails it may replace."""
    i = command_invocations.c
    # Equalities, not IN: an IN list is expanded per execution, which a batch cannot do.
    still = sa.or_(*(i.status_details == details for details in sorted(only_if)))
    return (
        command_invocations.update()
        .where(
            i.command_id == sa.bindparam("b_command_id"),
            i.instance_id == sa.bindparam("b_instance_id"),
            still,
        )
        .values(
            status_details=sa.bindparam("b_status_details"),
            ended_at=sa.bindparam("b_ended_at"),
            response_code=sa.bindparam("b_response_code"),
        )
    )


def set_invocation_details(
    conn: Connection,
    command_id: str,
    instance_ids: Sequence[str],
    details: str,
    *,
    only_if: Iterable[str],
    ended_at: dt.datetime | None = None,
    response_code: int | None = None,
) -> list[str]:
    """Move these invocations to ``details`` where their current StatusDetails is in
    ``only_if``; the instance ids that moved."""
    i = command_invocations.c
    allowed = sorted(set(only_if))
    values: dict[str, Any] = {"status_details": details}
    if ended_at is not None:
        values["ended_at"] = ended_at
    if response_code is not None:
        values["response_code"] = response_code
    moved: list[str] = []
    for chunk in _chunks(instance_ids):
        select = sa.select(i.instance_id).where(
            i.command_id == command_id, i.instance_id.in_(chunk), i.status_details.in_(allowed)
        )
        ids = [r[0] for r in conn.execute(select)]
        if ids:
            conn.execute(
                command_invocations.update()
                .where(i.command_id == command_id, i.instance_id.in_(ids))
                .values(values)
            )
            moved.extend(ids)
    return moved


def overdue(
    conn: Connection, command_id: str, *, details: str, since_column: str, before: dt.datetime
) -> list[str]:
    """Instance ids of the command's invocations in ``details`` whose ``since_column`` time
    (requested_at or delivered_at) is before ``before``."""
    i = command_invocations.c
    select = sa.select(i.instance_id).where(
        i.command_id == command_id,
        i.status_details == details,
        command_invocations.c[since_column] < before,
    )
    return [r[0] for r in conn.execute(select)]


# --- plugin results --------------------------------------------------------------------------


_PLUGIN_FIELDS = tuple(column.name for column in command_plugins.columns)
_INSERT_PLUGINS = command_plugins.insert()
_DELETE_PLUGINS = command_plugins.delete().where(
    command_plugins.c.command_id == sa.bindparam("b_command_id"),
    command_plugins.c.instance_id == sa.bindparam("b_instance_id"),
)


def replace_plugins(
    conn: Connection, invocations: Sequence[tuple[str, str]], rows: Sequence[PluginRow]
) -> None:
    """Replace the plugin results of these (command id, instance id) invocations by ``rows``,
    in two batched statements whatever their number."""
    if not invocations:
        return
    conn.execute(_DELETE_PLUGINS, [{"b_command_id": c, "b_instance_id": i} for c, i in invocations])
    if rows:
        conn.execute(_INSERT_PLUGINS, [_values(r, _PLUGIN_FIELDS) for r in rows])


def plugins_of(
    conn: Connection, command_id: str, instance_ids: Sequence[str]
) -> dict[str, list[PluginRow]]:
    p = command_plugins.c
    out: dict[str, list[PluginRow]] = {}
    for chunk in _chunks(instance_ids):
        select = (
            sa.select(command_plugins)
            .where(p.command_id == command_id, p.instance_id.in_(chunk))
            .order_by(p.instance_id, p.step_index)
        )
        for row in conn.execute(select):
            plugin = PluginRow(**row._mapping)
            out.setdefault(plugin.instance_id, []).append(plugin)
    return out
