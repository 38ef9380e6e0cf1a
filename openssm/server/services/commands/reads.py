"""ListCommands, ListCommandInvocations and GetCommandInvocation: commands and their results
as the caller may see them, with AWS's filters, limits and paging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from openssm.errors import (
    InvalidCommandId,
    InvalidFilterValue,
    InvalidInstanceId,
    InvalidPluginName,
    InvocationDoesNotExist,
)
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.store.commands import listing, repo
from openssm.statuses import INVOCATION_STATUS

CommandRow = repo.CommandRow
InvocationRow = repo.InvocationRow
PluginRow = repo.PluginRow

_Row = TypeVar("_Row")
# A page token's ids after the time: the command id, then the instance id (invocations).
_ID_KEYS = ("c", "i")

DEFAULT_PAGE = 50
MAX_PAGE = 50
# AWS's inline output limits (shared/ssm-api.md §2.3).
STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
DETAILS_OUTPUT_LIMIT = 2_500

# The Status filter's values (the model's documentation of CommandFilter).
_COMMAND_STATUS_VALUES = frozenset(
    [
        "Pending",
        "InProgress",
        "Success",
        "Cancelled",
        "Failed",
        "TimedOut",
        "AccessDenied",
        "DeliveryTimedOut",
        "ExecutionTimedOut",
        "Incomplete",
        "NoInstancesInTag",
        "LimitExceeded",
    ]
)
_INVOCATION_STATUS_VALUES = frozenset(
    [
        "Pending",
        "InProgress",
        "Delayed",
        "Success",
        "Cancelled",
        "Failed",
        "TimedOut",
        "AccessDenied",
        "DeliveryTimedOut",
        "ExecutionTimedOut",
        "Undeliverable",
        "InvalidPlatform",
        "Terminated",
    ]
)
_EXECUTION_STAGES = {"Executing": False, "Complete": True}


def _invocation_details(value: str) -> frozenset[str]:
    """An invocation matches a Status filter on its Status or its StatusDetails."""
    return frozenset(
        {value} | {d.value for d, status in INVOCATION_STATUS.items() if status == value}
    )


def _timestamp(key: str, value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterValue(
            f"Filter {key}: {value!r} is not a time; use ISO 8601 such as 2024-07-07T00:00:00Z."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    invoked_after: dt.datetime | None = None
    invoked_before: dt.datetime | None = None
    document_name: str | None = None
    statuses: frozenset[str] | None = None
    finished: bool | None = None


def parse_filters(filters: Sequence[Mapping[str, str]] | None, *, for_invocations: bool) -> Filters:
    """The model checked each key; values are checked here (InvalidFilterValue)."""
    values: dict[str, Any] = {}
    allowed = _INVOCATION_STATUS_VALUES if for_invocations else _COMMAND_STATUS_VALUES
    for item in filters or ():
        key, value = item["key"], item["value"]
        if key == "InvokedAfter":
            values["invoked_after"] = _timestamp(key, value)
        elif key == "InvokedBefore":
            values["invoked_before"] = _timestamp(key, value)
        elif key == "DocumentName":
            values["document_name"] = value
        elif key == "Status":
            if value not in allowed:
                raise InvalidFilterValue(
                    f"Filter Status: {value!r} is not one of {', '.join(sorted(allowed))}."
                )
            values["statuses"] = (
                _invocation_details(value) if for_invocations else frozenset({value})
            )
        elif key == "ExecutionStage":
            if for_invocations or value not in _EXECUTION_STAGES:
                raise InvalidFilterValue(
                    f"Filter ExecutionStage: {value!r} is not Executing or Complete"
                    + (" (ListCommands only)." if for_invocations else ".")
                )
            values["finished"] = _EXECUTION_STAGES[value]
    return Filters(**values)


def _page_size(max_results: int | None) -> int:
    return min(max_results or DEFAULT_PAGE, MAX_PAGE)


def _command_or_error(conn: Connection, ctx: RequestContext, command_id: str) -> CommandRow:
    row = repo.get_command(
        conn, account_id=ctx.account_id, region=ctx.region, command_id=command_id
    )
    if row is None:
        raise InvalidCommandId(f"Command {command_id} does not exist.")
    return row


def get_command(conn: Connection, ctx: RequestContext, command_id: str) -> CommandRow:
    return _command_or_error(conn, ctx, command_id)


def _listing(
    conn: Connection,
    ctx: RequestContext,
    *,
    kind: str,
    for_invocations: bool,
    command_id: str | None,
    instance_id: str | None,
    filters: Sequence[Mapping[str, str]] | None,
    max_results: int | None,
    next_token: str | None,
    fetch: Callable[[repo.ListingQuery, int], list[_Row]],
    position: Callable[[_Row], tuple[dt.datetime, tuple[str, ...]]],
) -> tuple[list[_Row], str | None]:
    """One page of a listing: the filters checked, the page token read (it is bound to the
    listing that issued it), the rows fetched from the keyset position, the next token made.

    A position is the last row's (requested time, ids): the command id, then for invocations
    the instance id, so a page never skips or repeats a row while commands arrive.
    """
    wanted = parse_filters(filters, for_invocations=for_invocations)
    bound = paging.binding(ctx.account_id, ctx.region, command_id, instance_id, filters)
    before = None
    if next_token:
        at = paging.decode_token(next_token, kind, bound_to=bound)
        ids = tuple(str(at[key]) for key in _ID_KEYS if key in at)
        before = (dt.datetime.fromisoformat(at["t"]), *ids)
    size = _page_size(max_results)
    query = repo.ListingQuery(
        account_id=ctx.account_id,
        region=ctx.region,
        command_id=command_id,
        instance_id=instance_id,
        invoked_after=wanted.invoked_after,
        invoked_before=wanted.invoked_before,
        document_name=wanted.document_name,
        statuses=wanted.statuses,
        finished=wanted.finished,
        before=before,
    )
    rows = fetch(query, size + 1)
    if command_id is not None and not rows:
        # Rows are the account's own, so any row shows the command exists; only an empty page
        # asks (pollers of a command's status call this many times a second).
        _command_or_error(conn, ctx, command_id)
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    requested_at, ids = position(rows[-1])
    last = {"t": requested_at.isoformat(), **dict(zip(_ID_KEYS, ids, strict=False))}
    return rows, paging.encode_token(kind, last, bound_to=bound)


def list_commands(
    conn: Connection,
    ctx: RequestContext,
    *,
    command_id: str | None,
    instance_id: str | None,
    filters: Sequence[Mapping[str, str]] | None,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[CommandRow], str | None]:
    return _listing(
        conn,
        ctx,
        kind="ListCommands",
        for_invocations=False,
        command_id=command_id,
        instance_id=instance_id,
        filters=filters,
        max_results=max_results,
        next_token=next_token,
        fetch=lambda query, limit: listing.list_commands(conn, query, limit=limit),
        position=lambda row: (row.requested_at, (row.command_id,)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    row: InvocationRow
    command: CommandRow
    plugins: tuple[PluginRow, ...] = ()


def list_invocations(
    conn: Connection,
    ctx: RequestContext,
    *,
    command_id: str | None,
    instance_id: str | None,
    filters: Sequence[Mapping[str, str]] | None,
    details: bool,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Invocation], str | None]:
    rows, token = _listing(
        conn,
        ctx,
        kind="ListCommandInvocations",
        for_invocations=True,
        command_id=command_id,
        instance_id=instance_id,
        filters=filters,
        max_results=max_results,
        next_token=next_token,
        fetch=lambda query, limit: repo.list_invocations(conn, query, limit=limit),
        position=lambda pair: (pair[1].requested_at, (pair[0].command_id, pair[0].instance_id)),
    )
    plugins: dict[tuple[str, str], list[PluginRow]] = {}
    if details:
        by_command: dict[str, list[str]] = {}
        for row, _ in rows:
            by_command.setdefault(row.command_id, []).append(row.instance_id)
        for cid, instance_ids in by_command.items():
            for iid, found in repo.plugins_of(conn, cid, instance_ids).items():
                plugins[(cid, iid)] = found
    return [
        Invocation(
            row=row,
            command=command,
            plugins=tuple(plugins.get((row.command_id, row.instance_id), ())),
        )
        for row, command in rows
    ], token


def get_invocation(
    conn: Connection,
    ctx: RequestContext,
    *,
    command_id: str,
    instance_id: str,
    plugin_name: str | None,
) -> tuple[Invocation, PluginRow | None]:
    """The invocation and the plugin step it reports on: the named one, or the only one.

    InvocationDoesNotExist when the command has no invocation on the instance (clients and
    waiters retry it); InvalidPluginName when the step is unknown, or not named while the
    document has several.
    """
    command = repo.get_command(
        conn, account_id=ctx.account_id, region=ctx.region, command_id=command_id
    )
    row = None if command is None else repo.get_invocation(conn, command_id, instance_id)
    if command is None or row is None:
        raise InvocationDoesNotExist(
            f"Command {command_id} has no invocation on instance {instance_id}."
        )
    steps = repo.plugins_of(conn, command_id, [instance_id]).get(instance_id, [])
    invocation = Invocation(row=row, command=command, plugins=tuple(steps))
    if plugin_name is not None:
        named = [step for step in steps if step.name == plugin_name]
        if not named and steps:
            raise InvalidPluginName(
                f"Command {command_id} has no step named {plugin_name!r}; its steps are "
                + ", ".join(step.name for step in steps)
                + "."
            )
        return invocation, (named[0] if named else None)
    if len(steps) > 1:
        raise InvalidPluginName(
            f"Command {command_id} ran {len(steps)} steps; name one with PluginName ("
            + ", ".join(step.name for step in steps)
            + ")."
        )
    return invocation, (steps[0] if steps else None)


def check_instance(instance_id: str | None) -> None:
    if instance_id is not None and not instance_id.startswith(("mi-", "i-")):
        raise InvalidInstanceId(f"{instance_id} is not a managed node id.")
