"""ListGroups: the caller's groups in name order, filtered, a page at a time.

Filters (each a Name and 1 to 5 Values; several filters are ANDed, a filter's values ORed):

- ``resource-type``: groups whose ResourceTypeFilters name one of the values (``AWS::AllSupported``
  matches groups whose query says exactly that, as the value is compared, not expanded);
- ``configuration-type``: groups with a service configuration of one of the types. openssm's
  groups never have one, so this filter matches no group;
- ``owner``, ``display-name``: the group's Owner or DisplayName is one of the values;
- ``criticality``: the group's Criticality is one of the values (whole numbers 1 to 10).

Groups the caller is explicitly denied GetGroup on are left out (SECURITY.md #2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import BadRequestException
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.groups import tokens
from openssm.server.services.groups.groups import Group, record
from openssm.server.store.groups import repo
from openssm.server.store.groups.repo import GroupRow

DEFAULT_PAGE_SIZE = 50
_SCAN_BATCH = 200
_KIND = "ListGroups"
_RESOURCE_TYPE = re.compile(r"AWS::(AllSupported|[a-zA-Z0-9]+::[a-zA-Z0-9]+)")
BAD_TOKEN = tokens.MESSAGE

Predicate = Callable[[GroupRow], bool]


def _resource_type(values: frozenset[str]) -> Predicate:
    for value in values:
        if not _RESOURCE_TYPE.fullmatch(value):
            raise BadRequestException(
                f"Filter resource-type: {value[:64]!r} is not a resource type "
                "(AWS::Service::Type or AWS::AllSupported)."
            )
    return lambda row: any(t in values for t in json.loads(row.resource_types))


def _criticality(values: frozenset[str]) -> Predicate:
    try:
        wanted = {int(v) for v in values}
    except ValueError:
        raise BadRequestException("Filter criticality takes whole numbers from 1 to 10.") from None
    return lambda row: row.criticality in wanted


def _predicate(name: str, values: frozenset[str]) -> Predicate:
    if name == "resource-type":
        return _resource_type(values)
    if name == "criticality":
        return _criticality(values)
    if name == "owner":
        return lambda row: row.owner in values
    if name == "display-name":
        return lambda row: row.display_name in values
    # configuration-type: openssm's groups have no service configuration.
    return lambda _row: False


def list_groups(
    conn: Connection,
    ctx: RequestContext,
    *,
    filters: Sequence[Mapping[str, Any]] | None,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[Group], str | None]:
    """One page of the caller's groups and the token for the next (None on the last page)."""
    predicates = [_predicate(f["Name"], frozenset(f["Values"])) for f in filters or ()]
    bound = paging.binding(_KIND, ctx.account_id, ctx.region, filters)
    after: str | None = None
    if next_token is not None:
        position = tokens.decode(next_token, _KIND, bound_to=bound)
        after = position.get("n")
        if not isinstance(after, str):
            raise BadRequestException(BAD_TOKEN)
    page_size = max_results or DEFAULT_PAGE_SIZE
    found: list[GroupRow] = []
    while len(found) <= page_size:
        batch = repo.list_groups(
            conn, account_id=ctx.account_id, region=ctx.region, after=after, limit=_SCAN_BATCH
        )
        found.extend(
            row for row in batch if all(p(row) for p in predicates) and not _hidden(ctx, row)
        )
        if len(batch) < _SCAN_BATCH:
            break
        after = batch[-1].name
    token = None
    if len(found) > page_size:
        found = found[:page_size]
        token = tokens.encode(_KIND, {"n": found[-1].name}, bound_to=bound)
    return [record(ctx, row) for row in found], token


def _hidden(ctx: RequestContext, row: GroupRow) -> bool:
    return ctx.hides is not None and ctx.hides(arns.group_arn(ctx.region, ctx.account_id, row.name))
