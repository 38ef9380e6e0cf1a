"""Rows of the parameter-policy schedule: one per policy of a parameter's current set.

Plain functions over a Connection; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from openssm.server.store.parameters.tables import parameter_policies, parameters

P, POL = parameters.c, parameter_policies.c
_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRow:
    id: int
    parameter_id: int
    position: int
    policy_type: str
    policy_text: str
    status: str
    due_at: dt.datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DuePolicy:
    policy: PolicyRow
    account_id: str
    region: str
    name: str
    type: str


def _policy(m: RowMapping) -> PolicyRow:
    return PolicyRow(
        id=m["id"],
        parameter_id=m["parameter_id"],
        position=m["position"],
        policy_type=m["policy_type"],
        policy_text=m["policy_text"],
        status=m["status"],
        due_at=m["due_at"],
    )


_POLICY_COLUMNS = (
    POL.id,
    POL.parameter_id,
    POL.position,
    POL.policy_type,
    POL.policy_text,
    POL.status,
    POL.due_at,
)


def policies_for(conn: Connection, parameter_ids: Iterable[int]) -> dict[int, list[PolicyRow]]:
    ids = list(dict.fromkeys(parameter_ids))
    found: dict[int, list[PolicyRow]] = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            sa.select(*_POLICY_COLUMNS)
            .where(POL.parameter_id.in_(ids[start : start + _CHUNK]))
            .order_by(POL.parameter_id, POL.position)
        )
        for row in rows:
            policy = _policy(row._mapping)
            found[policy.parameter_id].append(policy)
    return found


def replace_policies(
    conn: Connection,
    *,
    parameter_id: int,
    policies: Sequence[tuple[str, str, str, dt.datetime | None]],
) -> None:
    """Replace the schedule with (type, text, status, due_at) rows, in order."""
    conn.execute(parameter_policies.delete().where(POL.parameter_id == parameter_id))
    if policies:
        conn.execute(
            parameter_policies.insert(),
            [
                {
                    "parameter_id": parameter_id,
                    "position": i,
                    "policy_type": kind,
                    "policy_text": text,
                    "status": status,
                    "due_at": due_at,
                }
                for i, (kind, text, status, due_at) in enumerate(policies)
            ],
        )


def update_policy(
    conn: Connection, *, policy_id: int, status: str, due_at: dt.datetime | None
) -> None:
    conn.execute(
        parameter_policies.update().where(POL.id == policy_id).values(status=status, due_at=due_at)
    )


def claim_due_policies(conn: Connection, *, now: dt.datetime, limit: int) -> list[DuePolicy]:
    """Policies due by ``now``, oldest first; on PostgreSQL rows other replicas hold are
    skipped, so two schedulers never act on one policy."""
    query = (
        sa.select(*_POLICY_COLUMNS, P.account_id, P.region, P.name, P.type)
        .select_from(parameter_policies.join(parameters, P.id == POL.parameter_id))
        .where(POL.due_at.is_not(None), POL.due_at <= now)
        .order_by(POL.due_at, POL.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=parameter_policies)
    )
    return [
        DuePolicy(
            policy=_policy(row._mapping),
            account_id=row.account_id,
            region=row.region,
            name=row.name,
            type=row.type,
        )
        for row in conn.execute(query)
    ]


def policy_rows(conn: Connection, *, parameter_id: int) -> list[PolicyRow]:
    return policies_for(conn, [parameter_id])[parameter_id]
