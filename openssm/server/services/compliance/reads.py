"""ListComplianceItems, ListResourceComplianceSummaries and ListComplianceSummaries: the
caller's compliance with AWS's filters and paging (at most 50 results a page).

ListComplianceItems takes any number of ResourceIds (AWS takes one) or none (every
resource's items); a ResourceId that is not a registered managed instance is
InvalidResourceId, and a ResourceType other than ManagedInstance InvalidResourceType.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from openssm.errors import InvalidNextToken
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.compliance import writes
from openssm.server.services.compliance.filters import ITEM_KEYS, SUMMARY_KEYS, parse_filters
from openssm.server.services.compliance.rollup import Rollup, fleet_rollups
from openssm.server.services.compliance.writes import MANAGED_INSTANCE
from openssm.server.store.compliance import repo

ItemRow = repo.ItemRow
SummaryRow = repo.SummaryRow
MAX_PAGE = 50
T = TypeVar("T")
Filters = Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    max_results: int | None = None
    next_token: str | None = None

    @property
    def size(self) -> int:
        return min(self.max_results or MAX_PAGE, MAX_PAGE)


def list_items(
    conn: Connection,
    ctx: RequestContext,
    *,
    resource_ids: Sequence[str] | None,
    resource_types: Sequence[str] | None,
    filters: Filters,
    page: Page,
) -> tuple[list[ItemRow], str | None]:
    for resource_type in resource_types or ():
        writes.check_resource_type(resource_type)
    for resource_id in resource_ids or ():
        writes.checked_resource(conn, ctx, MANAGED_INSTANCE, resource_id)
    conditions = parse_filters(filters, ITEM_KEYS)
    kind = "ListComplianceItems"
    bound = paging.binding(ctx.account_id, ctx.region, resource_ids, resource_types, filters)
    after = _position(page, kind, bound, 4)
    rows = repo.list_items(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_ids=resource_ids,
        resource_types=resource_types,
        conditions=conditions,
        after=(after[0], after[1], after[2], after[3]) if after else None,
        limit=page.size + 1,
    )
    return _paged(
        rows,
        page,
        kind,
        bound,
        lambda i: [i.resource_type, i.resource_id, i.compliance_type, i.item_id],
    )


def list_resource_summaries(
    conn: Connection, ctx: RequestContext, *, filters: Filters, page: Page
) -> tuple[list[SummaryRow], str | None]:
    conditions = parse_filters(filters, SUMMARY_KEYS)
    kind = "ListResourceComplianceSummaries"
    bound = paging.binding(ctx.account_id, ctx.region, filters)
    after = _position(page, kind, bound, 3)
    rows = repo.list_summaries(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        conditions=conditions,
        after=(after[0], after[1], after[2]) if after else None,
        limit=page.size + 1,
    )
    return _paged(
        rows, page, kind, bound, lambda s: [s.resource_type, s.resource_id, s.compliance_type]
    )


def list_summaries(
    conn: Connection, ctx: RequestContext, *, filters: Filters, page: Page
) -> tuple[list[tuple[str, Rollup]], str | None]:
    """Per compliance type, its resources counted compliant and non-compliant by
    OverallSeverity; types in name order, paged by name."""
    conditions = parse_filters(filters, SUMMARY_KEYS)
    kind = "ListComplianceSummaries"
    bound = paging.binding(ctx.account_id, ctx.region, filters)
    after = _position(page, kind, bound, 1)
    counts = repo.fleet_counts(
        conn, account_id=ctx.account_id, region=ctx.region, conditions=conditions
    )
    types = [(t, r) for t, r in fleet_rollups(counts).items() if after is None or t > after[0]]
    return _paged(types, page, kind, bound, lambda t: [t[0]])


def _paged(
    rows: list[T], page: Page, kind: str, bound: str, position: Callable[[T], list[str]]
) -> tuple[list[T], str | None]:
    """A page of ``rows`` (fetched one longer than the page) and the token for the next."""
    found = rows[: page.size]
    if len(rows) <= page.size:
        return found, None
    return found, paging.encode_token(kind, {"k": position(found[-1])}, bound_to=bound)


def _position(page: Page, kind: str, bound: str, width: int) -> list[str] | None:
    if page.next_token is None:
        return None
    position = paging.decode_token(page.next_token, kind, bound_to=bound).get("k")
    if (
        not isinstance(position, list)
        or len(position) != width
        or not all(isinstance(p, str) for p in position)
    ):
        raise InvalidNextToken(paging.MESSAGE)
    return position
