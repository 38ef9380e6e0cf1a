"""DescribeSessions and GetConnectionStatus.

DescribeSessions lists the caller's account and region newest first; State Active is
Connected, Connecting, Disconnected and Terminating, History is Terminated and Failed.
Filters (each key at most once, as AWS): InvokedAfter and InvokedBefore (ISO 8601 times,
on the start date), Target, Owner (the owner's ARN), Status, SessionId. AccessType is
always Standard here (no just-in-time access), so a filter on it keeps or drops everything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.engine import Connection

from openssm.errors import InvalidFilterKey, InvalidFilterValue
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.sessions.model import ACTIVE, HISTORY, SessionStatus
from openssm.server.store.fleet import instances as fleet_repo
from openssm.server.store.sessions import repo
from openssm.server.store.sessions.repo import SessionQuery

SessionRow = repo.SessionRow
DEFAULT_PAGE = 20
ACCESS_TYPE = "Standard"
_KEYS = ("InvokedAfter", "InvokedBefore", "Target", "Owner", "Status", "SessionId", "AccessType")


def _time(key: str, value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterValue(
            f"Filter {key}: {value[:64]!r} is not a time; use ISO 8601 such as "
            "2024-07-07T00:00:00Z."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _query(
    ctx: RequestContext, state: str, filters: Sequence[Mapping[str, str]]
) -> SessionQuery | None:
    """The selection, or None when a filter leaves nothing to find."""
    given: dict[str, str] = {}
    for item in filters:
        key, value = item["key"], item["value"]
        if key not in _KEYS:
            raise InvalidFilterKey(f"{key[:64]} is not a DescribeSessions filter key.")
        if key in given:
            raise InvalidFilterKey(f"Filter {key} is given twice.")
        given[key] = value
    status = given.get("Status")
    if status is not None and status not in {s.value for s in SessionStatus}:
        raise InvalidFilterValue(
            f"Filter Status: {status[:64]!r} is not one of "
            + ", ".join(s.value for s in SessionStatus)
        )
    access = given.get("AccessType")
    if access is not None and access != ACCESS_TYPE:
        return None
    after = given.get("InvokedAfter")
    before = given.get("InvokedBefore")
    return SessionQuery(
        account_id=ctx.account_id,
        region=ctx.region,
        statuses=[s.value for s in (ACTIVE if state == "Active" else HISTORY)],
        invoked_after=_time("InvokedAfter", after) if after is not None else None,
        invoked_before=_time("InvokedBefore", before) if before is not None else None,
        target=given.get("Target"),
        owner=given.get("Owner"),
        status=status,
        session_id=given.get("SessionId"),
    )


def describe_sessions(
    conn: Connection,
    ctx: RequestContext,
    *,
    state: str,
    filters: Sequence[Mapping[str, str]] | None,
    max_results: int | None,
    next_token: str | None,
    hides: Callable[[SessionRow], bool] | None = None,
) -> tuple[list[SessionRow], str | None]:
    kind = "DescribeSessions"
    bound = paging.binding(ctx.account_id, ctx.region, state, filters)
    query = _query(ctx, state, filters or [])
    position = paging.decode_token(next_token, kind, bound_to=bound) if next_token else None
    if query is None:
        return [], None
    if position is not None:
        after = (dt.datetime.fromisoformat(position["t"]), str(position["s"]))
        query = dataclasses.replace(query, after=after)
    size = max_results or DEFAULT_PAGE
    rows = repo.list_sessions(conn, query, limit=size + 1)
    token = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        token = paging.encode_token(
            kind, {"t": last.start_date.isoformat(), "s": last.session_id}, bound_to=bound
        )
    if hides is not None:
        rows = [r for r in rows if not hides(r)]
    return rows, token


def connection_status(
    conn: Connection, ctx: RequestContext, target: str, *, is_connected: Callable[[str], bool]
) -> str:
    """``connected`` when the node's agent is connected to a server of this store."""
    if "\x00" in target:
        # No node id holds a NUL, and PostgreSQL can't compare one.
        return "notconnected"
    if not fleet_repo.is_active(
        conn, account_id=ctx.account_id, region=ctx.region, instance_id=target
    ):
        return "notconnected"
    if is_connected(target):
        return "connected"
    instance = fleet_repo.get_instance(conn, target)
    return "connected" if instance is not None and instance.channel_id else "notconnected"
