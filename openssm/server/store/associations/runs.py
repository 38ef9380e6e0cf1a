"""Rows of association runs: executions, each host's result of one, and each host's state.

Every function runs inside the caller's transaction; writes of many rows are chunked or
executemany, so a run over 10,000 hosts costs a few statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.associations.tables import (
    association_execution_targets,
    association_executions,
    instance_associations,
)
from openssm.server.store.commands.tables import command_invocations, command_plugins

_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionRow:
    execution_id: str
    association_id: str
    association_version: int
    command_id: str | None
    status: str
    detailed_status: str
    created_at: dt.datetime
    ended_at: dt.datetime | None = None
    active: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRow:
    execution_id: str
    instance_id: str
    status: str
    detailed_status: str
    last_execution_at: dt.datetime
    ended: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceStateRow:
    association_id: str
    instance_id: str
    association_version: int
    status: str
    detailed_status: str
    execution_at: dt.datetime | None
    execution_summary: str
    error_code: str
    needs_apply: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended:
    """A host's invocation of a run's command that ended and is not yet recorded."""

    instance_id: str
    status_details: str
    response_code: int
    ended_at: dt.datetime
    # None when the host was never sent the command (cancelled while it waited its turn).
    delivered_at: dt.datetime | None = None


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


# --- executions ---------------------------------------------------------------------------------


def insert_execution(conn: Connection, row: ExecutionRow) -> None:
    conn.execute(
        association_executions.insert().values(
            {f: getattr(row, f) for f in ExecutionRow.__dataclass_fields__}
        )
    )


def get_execution(conn: Connection, association_id: str, execution_id: str) -> ExecutionRow | None:
    found = conn.execute(
        sa.select(association_executions).where(
            association_executions.c.association_id == association_id,
            association_executions.c.execution_id == execution_id,
        )
    ).first()
    return None if found is None else ExecutionRow(**found._mapping)


def active_executions(conn: Connection) -> list[ExecutionRow]:
    rows = conn.execute(
        sa.select(association_executions).where(association_executions.c.active.is_(True))
    )
    return [ExecutionRow(**r._mapping) for r in rows]


def end_execution(
    conn: Connection, execution_id: str, *, status: str, detailed_status: str, now: dt.datetime
) -> None:
    conn.execute(
        association_executions.update()
        .where(association_executions.c.execution_id == execution_id)
        .values(status=status, detailed_status=detailed_status, ended_at=now, active=False)
    )


def list_executions(
    conn: Connection,
    association_id: str,
    *,
    conditions: Sequence[sa.ColumnElement[bool]],
    before: tuple[dt.datetime, str] | None,
    limit: int,
) -> list[ExecutionRow]:
    """Newest first; ``before`` is the (created, id) of the last row of the previous page."""
    c = association_executions.c
    query = sa.select(association_executions).where(c.association_id == association_id, *conditions)
    if before is not None:
        created, execution_id = before
        query = query.where(
            sa.or_(
                c.created_at < created,
                sa.and_(c.created_at == created, c.execution_id < execution_id),
            )
        )
    rows = conn.execute(query.order_by(c.created_at.desc(), c.execution_id.desc()).limit(limit))
    return [ExecutionRow(**r._mapping) for r in rows]


# --- each host's result of one execution --------------------------------------------------------


def insert_targets(
    conn: Connection, execution_id: str, instance_ids: Sequence[str], now: dt.datetime
) -> None:
    if instance_ids:
        conn.execute(
            association_execution_targets.insert(),
            [
                {
                    "execution_id": execution_id,
                    "instance_id": instance_id,
                    "status": "Pending",
                    "detailed_status": "Pending",
                    "last_execution_at": now,
                    "ended": False,
                }
                for instance_id in instance_ids
            ],
        )


def newly_ended(conn: Connection, execution_id: str, command_id: str, *, limit: int) -> list[Ended]:
    """Up to ``limit`` invocations of the run's command that ended since the run last looked."""
    t, i = association_execution_targets.c, command_invocations.c
    rows = conn.execute(
        sa.select(i.instance_id, i.status_details, i.response_code, i.ended_at, i.delivered_at)
        .select_from(
            association_execution_targets.join(
                command_invocations,
                sa.and_(i.command_id == command_id, i.instance_id == t.instance_id),
            )
        )
        .where(t.execution_id == execution_id, t.ended.is_(False), i.ended_at.is_not(None))
        .limit(limit)
    )
    return [
        Ended(
            instance_id=r[0],
            status_details=r[1],
            response_code=r[2],
            ended_at=r[3],
            delivered_at=r[4],
        )
        for r in rows
    ]


def end_targets(conn: Connection, execution_id: str, rows: Sequence[TargetRow]) -> None:
    if not rows:
        return
    t = association_execution_targets.c
    conn.execute(
        association_execution_targets.update()
        .where(t.execution_id == execution_id, t.instance_id == sa.bindparam("b_instance_id"))
        .values(
            status=sa.bindparam("b_status"),
            detailed_status=sa.bindparam("b_detailed_status"),
            last_execution_at=sa.bindparam("b_last_execution_at"),
            ended=True,
        ),
        [
            {
                "b_instance_id": r.instance_id,
                "b_status": r.status,
                "b_detailed_status": r.detailed_status,
                "b_last_execution_at": r.last_execution_at,
            }
            for r in rows
        ],
    )


def counts_by_status(conn: Connection, execution_id: str) -> dict[str, int]:
    t = association_execution_targets.c
    rows = conn.execute(
        sa.select(t.detailed_status, sa.func.count())
        .where(t.execution_id == execution_id)
        .group_by(t.detailed_status)
    )
    return {r[0]: int(r[1]) for r in rows}


def list_targets(
    conn: Connection,
    execution_id: str,
    *,
    conditions: Sequence[sa.ColumnElement[bool]],
    after: str | None,
    limit: int,
) -> list[TargetRow]:
    t = association_execution_targets.c
    query = sa.select(association_execution_targets).where(
        t.execution_id == execution_id, *conditions
    )
    if after is not None:
        query = query.where(t.instance_id > after)
    rows = conn.execute(query.order_by(t.instance_id).limit(limit))
    return [TargetRow(**r._mapping) for r in rows]


# --- each host's state ---------------------------------------------------------------------------


def start_on(
    conn: Connection,
    association_id: str,
    version: int,
    instance_ids: Sequence[str],
    *,
    detail: str = "Pending",
) -> None:
    """The hosts a run starts on (or that the association now targets): Pending, and no
    longer waiting to be applied to."""
    c = instance_associations.c
    for chunk in _chunks(instance_ids):
        conn.execute(
            instance_associations.delete().where(
                c.association_id == association_id, c.instance_id.in_(chunk)
            )
        )
    if instance_ids:
        conn.execute(
            instance_associations.insert(),
            [
                {
                    "association_id": association_id,
                    "instance_id": instance_id,
                    "association_version": version,
                    "status": "Pending",
                    "detailed_status": detail,
                    "execution_at": None,
                    "execution_summary": "",
                    "error_code": "",
                    "needs_apply": False,
                }
                for instance_id in instance_ids
            ],
        )


def record_states(conn: Connection, association_id: str, rows: Sequence[InstanceStateRow]) -> None:
    if not rows:
        return
    c = instance_associations.c
    conn.execute(
        instance_associations.update()
        .where(c.association_id == association_id, c.instance_id == sa.bindparam("b_instance_id"))
        .values(
            status=sa.bindparam("b_status"),
            detailed_status=sa.bindparam("b_detailed_status"),
            execution_at=sa.bindparam("b_execution_at"),
            execution_summary=sa.bindparam("b_execution_summary"),
            error_code=sa.bindparam("b_error_code"),
            needs_apply=sa.bindparam("b_needs_apply"),
        ),
        [
            {
                "b_instance_id": r.instance_id,
                "b_status": r.status,
                "b_detailed_status": r.detailed_status,
                "b_execution_at": r.execution_at,
                "b_execution_summary": r.execution_summary,
                "b_error_code": r.error_code,
                "b_needs_apply": r.needs_apply,
            }
            for r in rows
        ],
    )


def instances_of(conn: Connection, association_id: str) -> set[str]:
    c = instance_associations.c
    return {
        r[0]
        for r in conn.execute(sa.select(c.instance_id).where(c.association_id == association_id))
    }


def mark_needs_apply(
    conn: Connection, association_id: str, version: int, instance_ids: Sequence[str]
) -> None:
    """Hosts that joined the targets: applied to once online (the scheduler's next passes)."""
    known = instances_of(conn, association_id)
    c = instance_associations.c
    for chunk in _chunks([i for i in instance_ids if i in known]):
        conn.execute(
            instance_associations.update()
            .where(c.association_id == association_id, c.instance_id.in_(chunk))
            .values(needs_apply=True)
        )
    fresh = [i for i in instance_ids if i not in known]
    if fresh:
        conn.execute(
            instance_associations.insert(),
            [
                {
                    "association_id": association_id,
                    "instance_id": instance_id,
                    "association_version": version,
                    "status": "Pending",
                    "detailed_status": "Associated",
                    "execution_at": None,
                    "execution_summary": "",
                    "error_code": "",
                    "needs_apply": True,
                }
                for instance_id in fresh
            ],
        )


def waiting_to_apply(conn: Connection) -> dict[str, list[str]]:
    """Association id → hosts waiting for the association to be applied to them."""
    c = instance_associations.c
    found: dict[str, list[str]] = {}
    rows = conn.execute(sa.select(c.association_id, c.instance_id).where(c.needs_apply.is_(True)))
    for association_id, instance_id in rows:
        found.setdefault(association_id, []).append(instance_id)
    return found


def forget_instances(conn: Connection, association_id: str, instance_ids: Sequence[str]) -> None:
    c = instance_associations.c
    for chunk in _chunks(instance_ids):
        conn.execute(
            instance_associations.delete().where(
                c.association_id == association_id, c.instance_id.in_(chunk)
            )
        )


def status_counts(conn: Connection, association_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Association id → {status: hosts} over the hosts' last results."""
    c = instance_associations.c
    found: dict[str, dict[str, int]] = {a: {} for a in association_ids}
    for chunk in _chunks(association_ids):
        rows = conn.execute(
            sa.select(c.association_id, c.status, sa.func.count())
            .where(c.association_id.in_(chunk))
            .group_by(c.association_id, c.status)
        )
        for association_id, status, count in rows:
            found[association_id][status] = int(count)
    return found


def states_of_instance(
    conn: Connection, instance_id: str, association_ids: Iterable[str]
) -> list[InstanceStateRow]:
    c = instance_associations.c
    ids = list(association_ids)
    found: list[InstanceStateRow] = []
    for chunk in _chunks(ids):
        rows = conn.execute(
            sa.select(instance_associations)
            .where(c.instance_id == instance_id, c.association_id.in_(chunk))
            .order_by(c.association_id)
        )
        found.extend(InstanceStateRow(**r._mapping) for r in rows)
    return found


def associations_of_instance(conn: Connection, instance_id: str) -> list[str]:
    c = instance_associations.c
    rows = conn.execute(
        sa.select(c.association_id).where(c.instance_id == instance_id).order_by(c.association_id)
    )
    return [r[0] for r in rows]


def plugin_counts(
    conn: Connection, command_id: str, instance_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Instance id → {plugin status: steps} of a run's command (for ExecutionSummary)."""
    p = command_plugins.c
    found: dict[str, dict[str, int]] = {i: {} for i in instance_ids}
    for chunk in _chunks(instance_ids):
        rows = conn.execute(
            sa.select(p.instance_id, p.status, sa.func.count())
            .where(p.command_id == command_id, p.instance_id.in_(chunk))
            .group_by(p.instance_id, p.status)
        )
        for instance_id, status, count in rows:
            found[instance_id][status] = int(count)
    return found
