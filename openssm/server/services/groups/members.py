"""The resources a tag query names: ListGroupResources (a group's members) and SearchResources
(any query's), with AWS Resource Groups' shapes, errors and pages.

The resources openssm holds and tags, each under its CloudFormation-style type:

- ``AWS::SSM::ManagedInstance``: managed nodes. A node also answers to ``AWS::EC2::Instance``,
  as Run Command's ``resource-groups:`` targets read it (``commands/group_targets.py``), so a
  query naming either type lists the node, once, as a managed instance;
- ``AWS::SSM::Document``, ``AWS::SSM::Parameter``, ``AWS::SSM::Association``;
- ``AWS::ResourceGroups::Group``: groups themselves, by their own tags.

A query naming other types (buckets, databases …) finds none of them, and the answer's
QueryErrors say so with ``RESOURCE_TYPE_NOT_SUPPORTED`` rather than leave the caller to guess.
Members are listed by type, then id; pages hold at most ``MaxResults`` (default 50).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import BadRequestException, NotFoundException
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.groups import query as queries
from openssm.server.services.groups import tokens
from openssm.server.store.groups import members as member_rows
from openssm.server.store.groups import repo

NODE_TYPES = ("AWS::SSM::ManagedInstance", "AWS::EC2::Instance")
DEFAULT_PAGE_SIZE = 50
NOT_SUPPORTED = "RESOURCE_TYPE_NOT_SUPPORTED"

ArnOf = Callable[[RequestContext, str], str]


@dataclass(frozen=True, slots=True)
class Kind:
    """One type of resource openssm holds: its type, its tag rows' type, its ARN."""

    resource_type: str
    stored_as: str
    arn_of: ArnOf


def _ssm(prefix: str) -> ArnOf:
    return lambda ctx, rid: arns.ssm_arn(ctx.region, ctx.account_id, prefix + rid)


KINDS = (
    Kind(
        "AWS::ResourceGroups::Group",
        repo.TAG_RESOURCE_TYPE,
        lambda ctx, rid: arns.group_arn(ctx.region, ctx.account_id, rid),
    ),
    Kind("AWS::SSM::Association", "Association", _ssm("association/")),
    Kind("AWS::SSM::Document", "Document", _ssm("document/")),
    Kind("AWS::SSM::ManagedInstance", "ManagedInstance", _ssm("managed-instance/")),
    Kind(
        "AWS::SSM::Parameter",
        "Parameter",
        lambda ctx, rid: arns.parameter_arn(ctx.region, ctx.account_id, rid),
    ),
)
_BY_STORED = {k.stored_as: k for k in KINDS}
_BY_TYPE: dict[str, Kind] = {k.resource_type: k for k in KINDS} | {
    "AWS::EC2::Instance": _BY_STORED["ManagedInstance"]
}


@dataclass(frozen=True, slots=True)
class Resource:
    arn: str
    resource_type: str


@dataclass(frozen=True, slots=True)
class Page:
    resources: list[Resource]
    next_token: str | None
    query_errors: list[dict[str, str]]


def _kinds_of(resource_types: Sequence[str]) -> tuple[list[Kind], list[dict[str, str]]]:
    """The kinds these types name (every kind for AWS::AllSupported) and a QueryError for
    each type openssm holds nothing of."""
    if queries.ALL_SUPPORTED in resource_types:
        return list(KINDS), []
    kinds = {_BY_TYPE[t].stored_as: _BY_TYPE[t] for t in resource_types if t in _BY_TYPE}
    errors = [
        {
            "ErrorCode": NOT_SUPPORTED,
            "Message": f"openssm holds no resources of type {t}; none are listed.",
        }
        for t in resource_types
        if t not in _BY_TYPE
    ]
    return list(kinds.values()), errors


def _page(
    conn: Connection,
    ctx: RequestContext,
    parsed: queries.TagQuery,
    resource_types: Sequence[str],
    *,
    kind: str,
    bound: str,
    max_results: int | None,
    next_token: str | None,
) -> Page:
    kinds, errors = _kinds_of(resource_types)
    after: tuple[str, str] | None = None
    if next_token is not None:
        position = tokens.decode(next_token, kind, bound_to=bound)
        last_type, last_id = position.get("t"), position.get("i")
        if not isinstance(last_type, str) or not isinstance(last_id, str):
            raise BadRequestException(tokens.MESSAGE)
        after = (last_type, last_id)
    size = max_results or DEFAULT_PAGE_SIZE
    rows = member_rows.tagged_resources(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_types=[k.stored_as for k in kinds],
        filters=[member_rows.KeyFilter(f.key, f.values) for f in parsed.tag_filters],
        after=after,
        limit=size + 1,
    )
    token = None
    if len(rows) > size:
        rows = rows[:size]
        last_type, last_id = rows[-1]
        token = tokens.encode(kind, {"t": last_type, "i": last_id}, bound_to=bound)
    resources = [
        Resource(_BY_STORED[stored].arn_of(ctx, rid), _BY_STORED[stored].resource_type)
        for stored, rid in rows
    ]
    return Page(resources, token, errors)


def search(
    conn: Connection,
    ctx: RequestContext,
    resource_query: Mapping[str, Any],
    *,
    max_results: int | None,
    next_token: str | None,
) -> Page:
    """SearchResources: the resources of the caller's account and region the query names."""
    query_type, text = str(resource_query["Type"]), str(resource_query["Query"])
    parsed = queries.parse(query_type, text)
    bound = paging.binding("SearchResources", ctx.account_id, ctx.region, query_type, text)
    return _page(
        conn,
        ctx,
        parsed,
        parsed.resource_types,
        kind="SearchResources",
        bound=bound,
        max_results=max_results,
        next_token=next_token,
    )


def _filtered_types(
    parsed: queries.TagQuery, filters: Sequence[Mapping[str, Any]] | None
) -> Sequence[str]:
    """The group's types narrowed by ``resource-type`` filters; BadRequestException naming a
    filter type the group's query does not name (unless it names AWS::AllSupported), as AWS
    validates them."""
    wanted = [str(v) for f in filters or () for v in f["Values"]]
    if not filters:
        return parsed.resource_types
    if queries.ALL_SUPPORTED in parsed.resource_types:
        return wanted
    invalid = [t for t in wanted if t not in parsed.resource_types]
    if invalid:
        raise BadRequestException(
            "The resource types specified as filters in the request are not valid: "
            f"{', '.join(dict.fromkeys(invalid))} (the group's query names "
            f"{', '.join(parsed.resource_types)})."
        )
    return [t for t in parsed.resource_types if t in wanted]


def list_group_resources(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    filters: Sequence[Mapping[str, Any]] | None,
    max_results: int | None,
    next_token: str | None,
) -> Page:
    """ListGroupResources: the members of the group ``name``, read through its query now."""
    row = repo.get_group(conn, account_id=ctx.account_id, region=ctx.region, name=name)
    if row is None:
        raise NotFoundException(f"Cannot find group {name!r} in this account and region.")
    parsed = queries.parse(row.query_type, row.query)
    bound = paging.binding(
        "ListGroupResources", ctx.account_id, ctx.region, name, row.query, filters
    )
    return _page(
        conn,
        ctx,
        parsed,
        _filtered_types(parsed, filters),
        kind="ListGroupResources",
        bound=bound,
        max_results=max_results,
        next_token=next_token,
    )
