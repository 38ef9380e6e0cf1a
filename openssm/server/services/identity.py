"""Users, access keys and inline policies: the principals that may call the API.

Secrets are sealed with the server keyring before they reach the database.
Policy documents are stored as given; the API layer parses and evaluates them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from openssm import ids
from openssm.errors import OpenSSMError
from openssm.server.secrets import Keyring
from openssm.server.store import generations, tags
from openssm.server.store import identity as repo
from openssm.server.store.generations import Generation

ADMIN_USER = "admin"
ADMIN_POLICY_NAME = "AdministratorAccess"
ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


class IdentityError(OpenSSMError):
    """A user-facing problem with an identity command (unknown user, duplicate, …)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """A verified caller: whose key it is, its secret, and its policy documents."""

    access_key_id: str
    account_id: str
    user_name: str
    secret_access_key: str = field(repr=False)
    is_active: bool
    expires_at: dt.datetime | None
    policy_documents: tuple[str, ...]
    # The identity generation this was read at; see PrincipalCache.
    generation: int

    def is_usable(self, now: dt.datetime) -> bool:
        if not self.is_active:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAccessKey:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    user_name: str
    account_id: str


def load_principal(conn: Connection, keyring: Keyring, access_key_id: str) -> Principal | None:
    generation = generations.current(conn, Generation.IDENTITY)
    row = repo.get_access_key(conn, access_key_id=access_key_id)
    if row is None:
        return None
    policies = repo.list_policies(conn, user_id=row.user.id)
    return Principal(
        access_key_id=row.access_key_id,
        account_id=row.user.account_id,
        user_name=row.user.user_name,
        secret_access_key=keyring.open_secret(row.secret_sealed, bound_to=row.access_key_id),
        is_active=row.status == "Active",
        expires_at=row.expires_at,
        policy_documents=tuple(doc for _, doc in policies),
        generation=generation,
    )


def create_user(conn: Connection, *, account_id: str, user_name: str, now: dt.datetime) -> int:
    if repo.get_user(conn, account_id=account_id, user_name=user_name) is not None:
        raise IdentityError(f"user {user_name!r} already exists in account {account_id}")
    return repo.insert_user(conn, account_id=account_id, user_name=user_name, now=now)


def _require_user(conn: Connection, account_id: str, user_name: str) -> repo.UserRow:
    user = repo.get_user(conn, account_id=account_id, user_name=user_name)
    if user is None:
        raise IdentityError(f"no user {user_name!r} in account {account_id}")
    return user


def delete_user(conn: Connection, *, account_id: str, user_name: str) -> None:
    user = _require_user(conn, account_id, user_name)
    repo.delete_user(conn, user_id=user.id)
    tags.delete_tags(conn, **_user_tags_of(account_id, user_name))


# IAM users are global: their tags have no region.
def _user_tags_of(account_id: str, user_name: str) -> dict[str, str]:
    return {
        "account_id": account_id,
        "region": "",
        "resource_type": "User",
        "resource_id": user_name,
    }


def user_tags(conn: Connection, *, account_id: str, user_name: str) -> dict[str, str]:
    """The user's tags (SSMSessionRunAs, say); empty for a user that has none."""
    return tags.list_tags(conn, **_user_tags_of(account_id, user_name))


def set_user_tag(
    conn: Connection, *, account_id: str, user_name: str, key: str, value: str | None
) -> None:
    """Set the user's tag ``key`` to ``value``, or remove it when ``value`` is None."""
    _require_user(conn, account_id, user_name)
    where = _user_tags_of(account_id, user_name)
    if value is None:
        tags.delete_tags(conn, **where, keys=[key])
    else:
        tags.upsert_tags(conn, **where, tags={key: value})


def create_access_key(
    conn: Connection,
    keyring: Keyring,
    *,
    account_id: str,
    user_name: str,
    now: dt.datetime,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    expires_at: dt.datetime | None = None,
) -> NewAccessKey:
    user = _require_user(conn, account_id, user_name)
    key_id = access_key_id or ids.access_key_id()
    secret = secret_access_key or ids.secret_access_key()
    if repo.get_access_key(conn, access_key_id=key_id) is not None:
        raise IdentityError(f"access key {key_id} already exists")
    repo.insert_access_key(
        conn,
        access_key_id=key_id,
        user_id=user.id,
        secret_sealed=keyring.seal_secret(secret, bound_to=key_id),
        now=now,
        expires_at=expires_at,
    )
    return NewAccessKey(
        access_key_id=key_id, secret_access_key=secret, user_name=user_name, account_id=account_id
    )


def set_access_key_status(conn: Connection, *, access_key_id: str, active: bool) -> None:
    status = "Active" if active else "Inactive"
    if not repo.update_access_key(conn, access_key_id=access_key_id, status=status):
        raise IdentityError(f"no access key {access_key_id}")


def delete_access_key(conn: Connection, *, access_key_id: str) -> None:
    if not repo.delete_access_key(conn, access_key_id=access_key_id):
        raise IdentityError(f"no access key {access_key_id}")


def list_access_keys(conn: Connection) -> list[repo.AccessKeyRow]:
    return repo.list_access_keys(conn)


def list_users(conn: Connection) -> list[repo.UserRow]:
    return repo.list_users(conn)


def put_user_policy(
    conn: Connection, *, account_id: str, user_name: str, policy_name: str, document: str
) -> None:
    user = _require_user(conn, account_id, user_name)
    repo.put_policy(conn, user_id=user.id, policy_name=policy_name, document=document)


def delete_user_policy(
    conn: Connection, *, account_id: str, user_name: str, policy_name: str
) -> None:
    user = _require_user(conn, account_id, user_name)
    if not repo.delete_policy(conn, user_id=user.id, policy_name=policy_name):
        raise IdentityError(f"user {user_name!r} has no policy {policy_name!r}")


def list_user_policies(
    conn: Connection, *, account_id: str, user_name: str
) -> list[tuple[str, str]]:
    user = _require_user(conn, account_id, user_name)
    return repo.list_policies(conn, user_id=user.id)


def ensure_admin(
    conn: Connection,
    keyring: Keyring,
    *,
    account_id: str,
    now: dt.datetime,
    access_key_id: str | None,
    secret_access_key: str | None,
) -> NewAccessKey | None:
    """Create the admin user and its first key unless an admin user exists.

    Returns the new key, or None when the admin was made on an earlier start.
    A key given through the environment is added when it is not yet known.
    """
    user = repo.get_user(conn, account_id=account_id, user_name=ADMIN_USER)
    if user is None:
        user_id = repo.insert_user(conn, account_id=account_id, user_name=ADMIN_USER, now=now)
        repo.put_policy(conn, user_id=user_id, policy_name=ADMIN_POLICY_NAME, document=ADMIN_POLICY)
    elif access_key_id is None or repo.get_access_key(conn, access_key_id=access_key_id):
        return None
    return create_access_key(
        conn,
        keyring,
        account_id=account_id,
        user_name=ADMIN_USER,
        now=now,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
    )
