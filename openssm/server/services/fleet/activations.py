"""Hybrid activations: create, describe, delete, and redeem one at registration.

AWS's rules: RegistrationLimit defaults to 1; ExpirationDate defaults to 24 hours from now and
may be at most 30 days ahead; expiry and the limit only stop *new* registrations; deleting an
activation does not deregister the nodes it registered. The activation code is returned once
and kept only as a salted HMAC-SHA256, compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import (
    ApiError,
    InvalidActivation,
    InvalidActivationId,
    InvalidFilter,
    InvalidNextToken,
    InvalidParameters,
)
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.tags import MAX_TAGS_PER_RESOURCE
from openssm.server.store.fleet import activations as repo
from openssm.server.store.fleet.activations import ActivationRow


@dataclass(frozen=True, slots=True, kw_only=True)
class Activation:
    """An activation as its owner sees it: never the salt or digest of its code."""

    activation_id: str
    description: str | None
    default_instance_name: str | None
    iam_role: str
    registration_limit: int
    registrations_count: int
    expires_at: dt.datetime
    created_at: dt.datetime
    tags: dict[str, str]


DEFAULT_REGISTRATION_LIMIT = 1
DEFAULT_LIFETIME = dt.timedelta(hours=24)
MAX_LIFETIME = dt.timedelta(days=30)
DEFAULT_PAGE_SIZE = 50
CODE_LENGTH = 20
_CODE_ALPHABET = string.ascii_letters + string.digits
_SALT_BYTES = 16
_FILTER_KEYS = ("ActivationIds", "DefaultInstanceName", "IamRole")
# The same words for an unknown id and a wrong code, so that neither can be probed alone.
UNKNOWN_ID_OR_CODE = (
    "The activation ID or activation code is not valid, or the activation was deleted. "
    "Check both values, or create a new activation with CreateActivation."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateInput:
    iam_role: str
    description: str | None = None
    default_instance_name: str | None = None
    registration_limit: int | None = None
    expiration_date: dt.datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    registration_metadata: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NewActivation:
    activation_id: str
    activation_code: str = field(repr=False)


def _digest(salt: bytes, code: str) -> bytes:
    # surrogatepass: JSON can carry lone surrogates, which strict UTF-8 cannot encode; such a
    # code must be refused as a wrong code, not crash the registration.
    return hmac.new(salt, code.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def new_code() -> str:
    """20 letters and digits (about 119 bits): the shape of AWS's codes, easy to paste."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def check_role(iam_role: str, error: type[ApiError] = InvalidParameters) -> None:
    """The role a node takes: not empty, and not a service-linked role (AWS refuses those
    for activations and for UpdateManagedInstanceRole alike)."""
    if not iam_role.strip():
        raise error("IamRole must name an IAM role; it was empty.")
    if iam_role.startswith("aws-service-role/"):
        raise error(
            f"IamRole {iam_role!r} is a service-linked role, which a managed node cannot "
            "use. Name a role you created for your managed nodes."
        )


def expiration_date(requested: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if requested is None:
        return now + DEFAULT_LIFETIME
    if requested <= now:
        raise InvalidParameters(
            f"ExpirationDate {requested.isoformat()} is in the past; "
            "give a date in the next 30 days."
        )
    if requested > now + MAX_LIFETIME:
        raise InvalidParameters(
            f"ExpirationDate {requested.isoformat()} is more than 30 days ahead; "
            "an activation can be valid for at most 30 days."
        )
    return requested


def create_activation(conn: Connection, ctx: RequestContext, request: CreateInput) -> NewActivation:
    check_role(request.iam_role)
    expires_at = expiration_date(request.expiration_date, ctx.now)
    if len(request.tags) > MAX_TAGS_PER_RESOURCE:
        raise InvalidParameters(
            f"An activation can have at most {MAX_TAGS_PER_RESOURCE} tags (they are copied to "
            f"every node it registers); {len(request.tags)} were given."
        )
    code = new_code()
    salt = secrets.token_bytes(_SALT_BYTES)
    activation_id = str(uuid.uuid4())
    repo.insert_activation(
        conn,
        ActivationRow(
            activation_id=activation_id,
            account_id=ctx.account_id,
            region=ctx.region,
            code_salt=salt,
            code_digest=_digest(salt, code),
            description=request.description,
            default_instance_name=request.default_instance_name,
            iam_role=request.iam_role,
            registration_limit=request.registration_limit or DEFAULT_REGISTRATION_LIMIT,
            registrations_count=0,
            expires_at=expires_at,
            created_at=ctx.now,
            tags=dict(request.tags),
            registration_metadata=[
                {"Key": str(m["Key"]), "Value": str(m["Value"])}
                for m in request.registration_metadata
            ],
        ),
    )
    return NewActivation(activation_id=activation_id, activation_code=code)


def _query(
    ctx: RequestContext, filters: Sequence[Mapping[str, Any]] | None
) -> repo.ActivationQuery | None:
    """The repo query for DescribeActivations filters; None when they can match nothing."""
    wanted: dict[str, set[str]] = {}
    for item in filters or ():
        key = item.get("FilterKey")
        values = item.get("FilterValues")
        if key not in _FILTER_KEYS:
            raise InvalidFilter(f"FilterKey must be one of {', '.join(_FILTER_KEYS)}.")
        if not values:
            raise InvalidFilter(f"The {key} filter needs at least one value in FilterValues.")
        # Several filters on one key must all hold.
        wanted[key] = wanted[key] & set(values) if key in wanted else set(values)
        if not wanted[key]:
            return None
    return repo.ActivationQuery(
        account_id=ctx.account_id,
        region=ctx.region,
        activation_ids=wanted.get("ActivationIds", ()),
        default_instance_names=wanted.get("DefaultInstanceName", ()),
        iam_roles=wanted.get("IamRole", ()),
    )


def describe_activations(
    conn: Connection,
    ctx: RequestContext,
    *,
    filters: Sequence[Mapping[str, Any]] | None,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Activation], str | None]:
    """One page of the caller's activations in creation order, and the token for the next."""
    kind = "DescribeActivations"
    bound = paging.binding(kind, ctx.account_id, ctx.region, filters)
    query = _query(ctx, filters)
    after: tuple[dt.datetime, str] | None = None
    if next_token is not None:
        position = paging.decode_token(next_token, kind, bound_to=bound)
        try:
            after = (dt.datetime.fromisoformat(position["t"]), str(position["i"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidNextToken(paging.MESSAGE) from None
    if query is None:
        return [], None
    if after is not None:
        query = repo.ActivationQuery(
            account_id=query.account_id,
            region=query.region,
            activation_ids=query.activation_ids,
            default_instance_names=query.default_instance_names,
            iam_roles=query.iam_roles,
            after=after,
        )
    page_size = max_results or DEFAULT_PAGE_SIZE
    rows = repo.list_activations(conn, query, limit=page_size + 1)
    token = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        token = paging.encode_token(
            kind, {"t": last.created_at.isoformat(), "i": last.activation_id}, bound_to=bound
        )
    return [_record(row) for row in rows], token


def _record(row: ActivationRow) -> Activation:
    return Activation(
        activation_id=row.activation_id,
        description=row.description,
        default_instance_name=row.default_instance_name,
        iam_role=row.iam_role,
        registration_limit=row.registration_limit,
        registrations_count=row.registrations_count,
        expires_at=row.expires_at,
        created_at=row.created_at,
        tags=row.tags,
    )


def is_expired(row: ActivationRow | Activation, now: dt.datetime) -> bool:
    return row.expires_at <= now


def delete_activation(conn: Connection, ctx: RequestContext, activation_id: str) -> None:
    row = repo.get_activation(conn, activation_id)
    if row is None or (row.account_id, row.region) != (ctx.account_id, ctx.region):
        raise InvalidActivationId(f"Activation ID {activation_id} does not exist.")
    repo.delete_activation(conn, activation_id)


def verify_code(
    conn: Connection, activation_id: str, code: str, *, for_update: bool = False
) -> ActivationRow:
    """The activation ``code`` opens; InvalidActivationId, in the same words and the same
    time, for an unknown id and for a wrong code.

    Read-only: registration checks the code in a read transaction first, so that a wrong
    guess never queues for the database's write lock.
    """
    row = repo.get_activation(conn, activation_id, for_update=for_update)
    salt = row.code_salt if row is not None else secrets.token_bytes(_SALT_BYTES)
    # Computed even for an unknown id, so both refusals take the same time.
    matches = hmac.compare_digest(_digest(salt, code), row.code_digest if row else b"\0" * 32)
    if row is None or not matches:
        raise InvalidActivationId(UNKNOWN_ID_OR_CODE)
    return row


def redeem(conn: Connection, activation_id: str, code: str, *, now: dt.datetime) -> ActivationRow:
    """Count one registration against the activation, or say why it cannot register a node.

    Called in the registration's write transaction: the count is checked and raised in one
    conditional UPDATE, so the limit holds when hosts register concurrently. The code is
    checked (again: it was checked read-only first) before anything about the activation's
    state is revealed.
    """
    row = verify_code(conn, activation_id, code, for_update=True)
    if is_expired(row, now):
        raise InvalidActivation(
            f"Activation {activation_id} expired at {row.expires_at.isoformat()}; it cannot "
            "register more nodes. Create a new activation with CreateActivation."
        )
    if not repo.count_registration(conn, activation_id, now=now):
        raise InvalidActivation(
            f"Activation {activation_id} has reached its registration limit of "
            f"{row.registration_limit} node(s); deregistering a node does not give a "
            "registration back. Create a new activation with CreateActivation."
        )
    return row
