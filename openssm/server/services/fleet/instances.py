"""Managed instances (hybrid nodes): registration, the fleet view, deregistration, roles, tags.

Registration redeems an activation and creates an ``mi-`` instance holding the host's Ed25519
public key; the activation's tags become the instance's. Deregistration keeps the row (shown as
Inactive) so that its id is never handed out again; the caller closes the live channel.
What the agent reports over its channel (info, pings, connects) arrives in batches through
``record_presence``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from openssm import ids
from openssm.errors import (
    InvalidInstanceId,
    InvalidNextToken,
    InvalidResourceType,
    ValidationException,
)
from openssm.server.context import RequestContext
from openssm.server.events import fleet as fleet_events
from openssm.server.events.outbox import Scope
from openssm.server.services import paging
from openssm.server.services.fleet import activations
from openssm.server.services.fleet.filters import PLATFORM_TYPES, filter_conditions
from openssm.server.store import tags as tag_repo
from openssm.server.store.fleet import changes as fleet_changes
from openssm.server.store.fleet import instances as repo
from openssm.server.store.fleet.instances import InstanceInfo, InstanceRow

TAG_RESOURCE_TYPE = repo.TAG_RESOURCE_TYPE
DEFAULT_PAGE_SIZE = 10
_MAX_ID_ATTEMPTS = 8
MAX_NAME_CHARS = 256
MAX_FINGERPRINT_CHARS = 256
# DefaultInstanceName's pattern in the model, ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$; Python's
# Unicode \w is \p{L} + \p{N} + _, and \p{Z} is spelled out.
_NAME = re.compile("[\\w \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000.:/=+\\-@]*")
# What a text column cannot hold or a person cannot read: C0/C1 controls (PostgreSQL refuses
# NUL) and lone surrogates (no UTF-8 encoding; JSON can still carry them as \udXXX).
_UNSTORABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_storable_text(value: str) -> bool:
    """True when `value` can go to the store and into a log line as it is."""
    return _UNSTORABLE.search(value) is None


# --- registration ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterInput:
    activation_id: str
    activation_code: str = field(repr=False)
    public_key: bytes
    name: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Registered:
    instance_id: str
    account_id: str
    region: str


def fresh_instance_id(conn: Connection, new_id: Callable[[], str] = ids.managed_instance_id) -> str:
    """An ``mi-`` id no instance ever had, deregistered ones included (SECURITY.md #9)."""
    for _ in range(_MAX_ID_ATTEMPTS):
        candidate = new_id()
        if not repo.is_id_taken(conn, candidate):
            return candidate
    raise RuntimeError("could not find an unused managed instance id")


def check_registration(request: RegisterInput) -> None:
    """What registration refuses before touching the activation (ValidationException)."""
    if request.name is not None and (
        len(request.name) > MAX_NAME_CHARS or not _NAME.fullmatch(request.name)
    ):
        raise ValidationException(
            f"Name must be at most {MAX_NAME_CHARS} letters, digits, spaces and _.:/=+-@"
        )
    if request.fingerprint is not None and (
        len(request.fingerprint) > MAX_FINGERPRINT_CHARS
        or not is_storable_text(request.fingerprint)
    ):
        raise ValidationException(
            f"Fingerprint must be at most {MAX_FINGERPRINT_CHARS} printable characters"
        )


def register_instance(conn: Connection, request: RegisterInput, *, now: dt.datetime) -> Registered:
    """Redeem the activation and create the instance, in the caller's write transaction."""
    check_registration(request)
    activation = activations.redeem(conn, request.activation_id, request.activation_code, now=now)
    instance_id = fresh_instance_id(conn)
    repo.insert_instance(
        conn,
        InstanceRow(
            instance_id=instance_id,
            account_id=activation.account_id,
            region=activation.region,
            activation_id=activation.activation_id,
            name=request.name or activation.default_instance_name or None,
            iam_role=activation.iam_role,
            public_key=request.public_key,
            fingerprint=request.fingerprint,
            registered_at=now,
        ),
    )
    tag_repo.upsert_tags(
        conn,
        account_id=activation.account_id,
        region=activation.region,
        resource_type=TAG_RESOURCE_TYPE,
        resource_id=instance_id,
        tags=activation.tags,
    )
    scope = Scope(account_id=activation.account_id, region=activation.region, now=now)
    fleet_events.instance_registered(conn, scope, instance_id, request.name or "")
    # A new host may match targets (associations apply to it): noted in this transaction.
    fleet_changes.note(
        conn, account_id=activation.account_id, region=activation.region, instance_id=instance_id
    )
    return Registered(
        instance_id=instance_id, account_id=activation.account_id, region=activation.region
    )


# --- the agent channel ---------------------------------------------------------------------


def get_for_handshake(conn: Connection, instance_id: str) -> InstanceRow | None:
    """The instance whose key must have signed a channel hello (any state, any account)."""
    return repo.get_instance(conn, instance_id)


_AGENT_VERSION = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6}){2,3}")


def _text(value: str, limit: int) -> str | None:
    # An unstorable value is dropped rather than cleaned: one agent's report must never fail
    # the presence batch that carries every other agent's pings.
    value = value.strip()
    return value[:limit] if value and is_storable_text(value) else None


def instance_info(
    instance_id: str,
    *,
    agent_version: str,
    platform_type: str,
    platform_name: str,
    platform_version: str,
    ip_address: str,
    computer_name: str,
) -> InstanceInfo:
    """What an agent reported, kept only where it fits the model's InstanceInformation shape
    (AgentVersion pattern, PlatformType enum, lengths); anything else is dropped."""
    ip = _text(ip_address, 47)
    return InstanceInfo(
        instance_id=instance_id,
        # fullmatch, not match: `$` would let a trailing newline through.
        agent_version=agent_version if _AGENT_VERSION.fullmatch(agent_version) else None,
        platform_type=platform_type if platform_type in PLATFORM_TYPES else None,
        platform_name=_text(platform_name, 255),
        platform_version=_text(platform_version, 255),
        ip_address=ip if ip is not None and len(ip) <= 46 else None,
        computer_name=_text(computer_name, 255),
    )


@dataclass(slots=True, kw_only=True)
class PresenceBatch:
    """Channel events gathered since the last flush, applied in one transaction."""

    connections: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    pings: list[tuple[str, dt.datetime]] = field(default_factory=list)
    info: list[InstanceInfo] = field(default_factory=list)
    disconnections: list[tuple[str, str]] = field(default_factory=list)
    # When the batch was taken; None in tests that build one by hand.
    at: dt.datetime | None = None

    def __len__(self) -> int:
        return len(self.connections) + len(self.pings) + len(self.info) + len(self.disconnections)


def record_presence(conn: Connection, batch: PresenceBatch) -> set[str]:
    """Apply the batch; returns the instances it heard from that are deregistered.

    Connections first and disconnections last: a row names the newest channel that held
    the host, and a stale channel's goodbye clears only its own claim. The deregistered
    ones are those whose deregistration another server process committed while their
    channel was open here: the caller closes those channels.
    """
    repo.record_connections(conn, batch.connections)
    repo.record_pings(conn, batch.pings)
    repo.record_info(conn, batch.info)
    repo.record_disconnections(conn, batch.disconnections)
    if batch.at is not None:
        fleet_events.ping_status_changed(
            conn,
            connected={i for i, _, _ in batch.connections},
            disconnected={i for i, _ in batch.disconnections},
            heard={i for i, _ in batch.pings},
            now=batch.at,
        )
    heard = {i for i, _, _ in batch.connections} | {i for i, _ in batch.pings}
    return repo.deregistered_among(conn, heard) if heard else set()


def deregistration_notice(instance_id: str) -> str:
    """What the agent of a deregistered instance is told as its channel closes."""
    return (
        f"Managed instance {instance_id} was deregistered. This agent stops and will not "
        "reconnect; register the host again with a new activation to manage it."
    )


# --- DescribeInstanceInformation -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Described:
    row: InstanceRow
    ping_status: str


def describe_instance_information(
    conn: Connection,
    ctx: RequestContext,
    *,
    filter_list: Sequence[Mapping[str, Any]] | None,
    filters: Sequence[Mapping[str, Any]] | None,
    max_results: int | None,
    next_token: str | None,
    connection_lost_after_s: float,
) -> tuple[list[Described], str | None]:
    """One page of the caller's managed instances in id order, and the next page's token.

    Every id an InstanceIds filter names must be an instance of the caller's (deregistered
    ones included, shown Inactive), else InvalidInstanceId, as AWS answers for unknown nodes.
    """
    conditions, named = filter_conditions(filter_list, filters)
    if named:
        found = repo.existing_ids(
            conn, account_id=ctx.account_id, region=ctx.region, instance_ids=named
        )
        missing = sorted(named - found)
        if missing:
            raise InvalidInstanceId(
                f"Instances [[{', '.join(missing)}]] not in a valid state for account "
                f"{ctx.account_id}"
            )
    kind = "DescribeInstanceInformation"
    bound = paging.binding(kind, ctx.account_id, ctx.region, filter_list, filters)
    after: str | None = None
    if next_token is not None:
        after = paging.decode_token(next_token, kind, bound_to=bound).get("k")
        if not isinstance(after, str):
            raise InvalidNextToken(paging.MESSAGE)
    page_size = max_results or DEFAULT_PAGE_SIZE
    query = repo.InstanceQuery(
        account_id=ctx.account_id,
        region=ctx.region,
        online_cutoff=ctx.now - dt.timedelta(seconds=connection_lost_after_s),
        conditions=tuple(conditions),
        after=after,
    )
    rows = repo.list_instances(conn, query, limit=page_size + 1)
    described = [Described(row=r, ping_status=s) for r, s in rows[:page_size]]
    token = None
    if len(rows) > page_size:
        token = paging.encode_token(kind, {"k": described[-1].row.instance_id}, bound_to=bound)
    return described, token


# --- deregistration, role, tags ----------------------------------------------------------------


def _not_found(instance_id: str) -> InvalidInstanceId:
    return InvalidInstanceId(f"Instance ID {instance_id} is not a registered managed instance.")


def deregister_managed_instance(conn: Connection, ctx: RequestContext, instance_id: str) -> None:
    """Revoke the instance at once: its key no longer opens a channel. Its tags go with it."""
    if not repo.deregister_instance(
        conn, account_id=ctx.account_id, region=ctx.region, instance_id=instance_id, now=ctx.now
    ):
        raise _not_found(instance_id)
    fleet_events.instance_deregistered(conn, ctx, instance_id)
    tag_repo.delete_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=TAG_RESOURCE_TYPE,
        resource_id=instance_id,
    )


def update_managed_instance_role(
    conn: Connection, ctx: RequestContext, instance_id: str, iam_role: str
) -> None:
    activations.check_role(iam_role, ValidationException)
    if not repo.update_iam_role(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        instance_id=instance_id,
        iam_role=iam_role,
    ):
        raise _not_found(instance_id)


def tag_target(conn: Connection, ctx: RequestContext, resource_id: str) -> str | None:
    """The tags handlers' resolver: a registered (not deregistered) ``mi-`` id of the caller."""
    if resource_id.startswith("i-"):
        raise InvalidResourceType(
            f"{resource_id} is an EC2 instance id; ResourceType ManagedInstance takes the "
            "mi- id of a registered managed node."
        )
    if not resource_id.startswith("mi-"):
        return None
    if repo.is_active(conn, account_id=ctx.account_id, region=ctx.region, instance_id=resource_id):
        return resource_id
    return None
