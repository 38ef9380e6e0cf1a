"""Activation rows: insert, look up, list in creation order, count registrations, delete."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.fleet.tables import activations


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivationRow:
    activation_id: str
    account_id: str
    region: str
    code_salt: bytes
    code_digest: bytes
    description: str | None
    default_instance_name: str | None
    iam_role: str
    registration_limit: int
    registrations_count: int
    expires_at: dt.datetime
    created_at: dt.datetime
    tags: dict[str, str]
    registration_metadata: list[dict[str, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivationQuery:
    """What DescribeActivations asks for; an empty collection means 'any'."""

    account_id: str
    region: str
    activation_ids: Collection[str] = ()
    default_instance_names: Collection[str] = ()
    iam_roles: Collection[str] = ()
    # Keyset position: list rows strictly after (created_at, activation_id).
    after: tuple[dt.datetime, str] | None = None


def _row(row: Any) -> ActivationRow:
    m = row._mapping
    return ActivationRow(
        activation_id=m["activation_id"],
        account_id=m["account_id"],
        region=m["region"],
        code_salt=bytes(m["code_salt"]),
        code_digest=bytes(m["code_digest"]),
        description=m["description"],
        default_instance_name=m["default_instance_name"],
        iam_role=m["iam_role"],
        registration_limit=m["registration_limit"],
        registrations_count=m["registrations_count"],
        expires_at=m["expires_at"],
        created_at=m["created_at"],
        tags=json.loads(m["tags"]),
        registration_metadata=json.loads(m["registration_metadata"]),
    )


def insert_activation(conn: Connection, row: ActivationRow) -> None:
    conn.execute(
        activations.insert().values(
            activation_id=row.activation_id,
            account_id=row.account_id,
            region=row.region,
            code_salt=row.code_salt,
            code_digest=row.code_digest,
            description=row.description,
            default_instance_name=row.default_instance_name,
            iam_role=row.iam_role,
            registration_limit=row.registration_limit,
            registrations_count=row.registrations_count,
            expires_at=row.expires_at,
            created_at=row.created_at,
            tags=json.dumps(row.tags, sort_keys=True, separators=(",", ":")),
            registration_metadata=json.dumps(row.registration_metadata, separators=(",", ":")),
        )
    )


def get_activation(
    conn: Connection, activation_id: str, *, for_update: bool = False
) -> ActivationRow | None:
    """The activation with this id in any account (ids are globally unique).

    ``for_update`` locks the row on PostgreSQL; on SQLite the write transaction already holds
    the database's write lock.
    """
    query = sa.select(activations).where(activations.c.activation_id == activation_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _row(row)


def list_activations(
    conn: Connection, query: ActivationQuery, *, limit: int
) -> list[ActivationRow]:
    """Up to ``limit`` activations in creation order, after the query's keyset position."""
    c = activations.c
    select = sa.select(activations).where(
        c.account_id == query.account_id, c.region == query.region
    )
    if query.activation_ids:
        select = select.where(c.activation_id.in_(list(query.activation_ids)))
    if query.default_instance_names:
        select = select.where(c.default_instance_name.in_(list(query.default_instance_names)))
    if query.iam_roles:
        select = select.where(c.iam_role.in_(list(query.iam_roles)))
    if query.after is not None:
        created_at, activation_id = query.after
        select = select.where(
            sa.or_(
                c.created_at > created_at,
                sa.and_(c.created_at == created_at, c.activation_id > activation_id),
            )
        )
    select = select.order_by(c.created_at, c.activation_id).limit(limit)
    return [_row(r) for r in conn.execute(select)]


def count_registration(conn: Connection, activation_id: str, *, now: dt.datetime) -> bool:
    """Count one registration if the activation is unexpired and below its limit.

    One conditional UPDATE, so two registrations racing for the last slot cannot both win:
    PostgreSQL re-checks the condition after waiting for the row lock, SQLite serialises
    writers.
    """
    c = activations.c
    result = conn.execute(
        activations.update()
        .where(
            c.activation_id == activation_id,
            c.registrations_count < c.registration_limit,
            c.expires_at > now,
        )
        .values(registrations_count=c.registrations_count + 1)
    )
    return result.rowcount == 1


def delete_activation(conn: Connection, activation_id: str) -> bool:
    result = conn.execute(activations.delete().where(activations.c.activation_id == activation_id))
    return result.rowcount == 1
