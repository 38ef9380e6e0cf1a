"""Rows of users, their inline policies and their access keys.

Every function that changes one of them also bumps the identity generation, the
counter that tells a server its cached principals are stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.generations import Generation, bump
from openssm.server.store.schema import access_keys, user_policies, users


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRow:
    id: int
    account_id: str
    user_name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessKeyRow:
    access_key_id: str
    user: UserRow
    secret_sealed: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime | None


def _bump_generation(conn: Connection) -> None:
    bump(conn, Generation.IDENTITY)


def _user(row: Any) -> UserRow:
    return UserRow(id=row[0], account_id=row[1], user_name=row[2], created_at=row[3])


_USER_COLUMNS = (users.c.id, users.c.account_id, users.c.user_name, users.c.created_at)


def insert_user(conn: Connection, *, account_id: str, user_name: str, now: dt.datetime) -> int:
    result = conn.execute(
        users.insert().values(account_id=account_id, user_name=user_name, created_at=now)
    )
    key = result.inserted_primary_key
    assert key is not None
    _bump_generation(conn)
    return int(key[0])


def get_user(conn: Connection, *, account_id: str, user_name: str) -> UserRow | None:
    row = conn.execute(
        sa.select(*_USER_COLUMNS).where(
            users.c.account_id == account_id, users.c.user_name == user_name
        )
    ).first()
    return _user(row) if row else None


def list_users(conn: Connection) -> list[UserRow]:
    rows = conn.execute(sa.select(*_USER_COLUMNS).order_by(users.c.account_id, users.c.user_name))
    return [_user(r) for r in rows]


def delete_user(conn: Connection, *, user_id: int) -> None:
    # Delete children explicitly: SQLite enforces ON DELETE CASCADE only with
    # foreign_keys=ON, which the CLI's own connections may not have set.
    conn.execute(access_keys.delete().where(access_keys.c.user_id == user_id))
    conn.execute(user_policies.delete().where(user_policies.c.user_id == user_id))
    conn.execute(users.delete().where(users.c.id == user_id))
    _bump_generation(conn)


def insert_access_key(
    conn: Connection,
    *,
    access_key_id: str,
    user_id: int,
    secret_sealed: str,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> None:
    conn.execute(
        access_keys.insert().values(
            access_key_id=access_key_id,
            user_id=user_id,
            secret_sealed=secret_sealed,
            status="Active",
            created_at=now,
            expires_at=expires_at,
        )
    )
    _bump_generation(conn)


def get_access_key(conn: Connection, *, access_key_id: str) -> AccessKeyRow | None:
    row = conn.execute(
        sa.select(
            *_USER_COLUMNS,
            access_keys.c.access_key_id,
            access_keys.c.secret_sealed,
            access_keys.c.status,
            access_keys.c.created_at,
            access_keys.c.expires_at,
        )
        .join_from(access_keys, users, access_keys.c.user_id == users.c.id)
        .where(access_keys.c.access_key_id == access_key_id)
    ).first()
    if row is None:
        return None
    return AccessKeyRow(
        access_key_id=row.access_key_id,
        user=UserRow(
            id=row.id, account_id=row.account_id, user_name=row.user_name, created_at=row[3]
        ),
        secret_sealed=row.secret_sealed,
        status=row.status,
        created_at=row[7],
        expires_at=row.expires_at,
    )


def list_access_keys(conn: Connection, *, user_id: int | None = None) -> list[AccessKeyRow]:
    query = sa.select(access_keys.c.access_key_id)
    if user_id is not None:
        query = query.where(access_keys.c.user_id == user_id)
    keys = [r[0] for r in conn.execute(query.order_by(access_keys.c.created_at))]
    found = (get_access_key(conn, access_key_id=k) for k in keys)
    return [k for k in found if k is not None]


def update_access_key(
    conn: Connection,
    *,
    access_key_id: str,
    status: str | None = None,
    expires_at: dt.datetime | None = None,
) -> bool:
    values: dict[str, object] = {}
    if status is not None:
        values["status"] = status
    if expires_at is not None:
        values["expires_at"] = expires_at
    result = conn.execute(
        access_keys.update().where(access_keys.c.access_key_id == access_key_id).values(**values)
    )
    _bump_generation(conn)
    return result.rowcount > 0


def delete_access_key(conn: Connection, *, access_key_id: str) -> bool:
    result = conn.execute(access_keys.delete().where(access_keys.c.access_key_id == access_key_id))
    _bump_generation(conn)
    return result.rowcount > 0


def put_policy(conn: Connection, *, user_id: int, policy_name: str, document: str) -> None:
    conn.execute(
        user_policies.delete().where(
            user_policies.c.user_id == user_id, user_policies.c.policy_name == policy_name
        )
    )
    conn.execute(
        user_policies.insert().values(user_id=user_id, policy_name=policy_name, document=document)
    )
    _bump_generation(conn)


def delete_policy(conn: Connection, *, user_id: int, policy_name: str) -> bool:
    result = conn.execute(
        user_policies.delete().where(
            user_policies.c.user_id == user_id, user_policies.c.policy_name == policy_name
        )
    )
    _bump_generation(conn)
    return result.rowcount > 0


def list_policies(conn: Connection, *, user_id: int) -> list[tuple[str, str]]:
    rows = conn.execute(
        sa.select(user_policies.c.policy_name, user_policies.c.document)
        .where(user_policies.c.user_id == user_id)
        .order_by(user_policies.c.policy_name)
    )
    return [(r[0], r[1]) for r in rows]
