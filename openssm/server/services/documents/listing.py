"""ListDocuments and ListDocumentVersions: what a caller can see, filtered and paged.

ListDocuments merges three sources: Amazon's built-in documents (from memory), the caller's own
documents, and other accounts' documents shared with the caller. Each shows its default version
(a document shared at ``$LATEST`` shows its latest). A shared document is listed under its ARN,
which is the name the caller must use to reach it; the account's own copy of a built-in name
(``SSM-SessionManagerRunShell``) replaces the built-in one.

Filters (``Filters``, and the deprecated ``DocumentFilterList``): several keys must all hold, and
several values of one key are alternatives. ``Name`` matches names that begin with a value (AWS's
"name prefix"); ``Owner`` takes one value:

- ``Self``: the caller's own documents;
- ``Amazon``: the built-in documents;
- ``Private``: documents other accounts shared with the caller's account by its id;
- ``Public``: documents other accounts shared with every account (``all``);
- ``ThirdParty``: none (this server has no third-party publishers);
- ``All`` (openssm's spelling for the default): everything above.

``tag:<key>`` matches the caller's own documents carrying the tag (with one of the values, when
values are given). Listings sort by name, then owner; a NextToken resumes after the last item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import InvalidFilterKey, InvalidNextToken, ValidationException
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.documents import reads as docs
from openssm.server.services.documents.catalog import CREATED_AT, builtin_catalog
from openssm.server.services.documents.records import AMAZON, RESOURCE_TYPE, STATUS_ACTIVE
from openssm.server.store import tags as tags_repo
from openssm.server.store.documents import repo

DEFAULT_PAGE = 50
OWNER_VALUES = ("Self", "Amazon", "Private", "Public", "ThirdParty", "All")
FILTER_KEYS = ("Owner", "Name", "PlatformTypes", "DocumentType", "TargetType")
TAG_PREFIX = "tag:"


@dataclass(frozen=True, slots=True, kw_only=True)
class Listed:
    """One DocumentIdentifier: a document at the version the listing shows."""

    name: str
    owner: str
    source: str  # Self, Amazon, Private or Public
    document_type: str
    version: int
    version_name: str | None
    display_name: str | None
    document_format: str
    target_type: str | None
    schema_version: str
    platform_types: tuple[str, ...]
    created_at: dt.datetime
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionInfo:
    name: str
    display_name: str | None
    version: int
    version_name: str | None
    created_at: dt.datetime
    is_default: bool
    document_format: str
    status: str = STATUS_ACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    items: list[Any]
    next_token: str | None = None


Conditions = dict[str, tuple[str, ...]]


def conditions(
    filters: Sequence[Mapping[str, Any]] | None, legacy: Sequence[Mapping[str, Any]] | None
) -> Conditions:
    """Filters and DocumentFilterList as key → accepted values (keys AND, values OR)."""
    found: dict[str, list[str]] = {}
    for item in filters or ():
        key = str(item.get("Key", ""))  # Key is optional in the model
        if key not in FILTER_KEYS and not (key.startswith(TAG_PREFIX) and len(key) > 4):
            fault = f"The filter key {key} is not valid." if key else "A filter has no Key."
            raise InvalidFilterKey(
                f"{fault} Valid keys are {', '.join(FILTER_KEYS)} and tag:<key>."
            )
        found.setdefault(key, []).extend(item.get("Values") or ())
    for item in legacy or ():
        found.setdefault(str(item["key"]), []).append(str(item["value"]))
    out = {key: tuple(dict.fromkeys(values)) for key, values in found.items()}
    owner = out.get("Owner")
    if owner is not None and (len(owner) != 1 or owner[0] not in OWNER_VALUES):
        raise ValidationException(
            f"The Owner filter takes exactly one value, one of: {', '.join(OWNER_VALUES)}."
        )
    for key, values in out.items():
        if not values and not key.startswith(TAG_PREFIX):
            raise ValidationException(f"The {key} filter needs at least one value.")
    return out


def _matches(item: Listed, wanted: Conditions) -> bool:
    for key, values in wanted.items():
        if key == "Owner":
            owner = values[0]
            if owner != "All" and owner != item.source:
                return False
        elif key == "Name":
            if not any(item.name.startswith(v) for v in values):
                return False
        elif key == "PlatformTypes":
            if not set(values) & set(item.platform_types):
                return False
        elif key == "DocumentType":
            if item.document_type not in values:
                return False
        elif key == "TargetType":
            if item.target_type not in values:
                return False
        else:
            tag = key[len(TAG_PREFIX) :]
            if tag not in item.tags or (values and item.tags[tag] not in values):
                return False
    return True


def _builtins(own_names: set[str]) -> Iterable[Listed]:
    for builtin in builtin_catalog():
        if builtin.name in own_names:
            continue
        source = builtin.source
        yield Listed(
            name=source.name,
            owner=AMAZON,
            source="Amazon",
            document_type=source.document_type.value,
            version=1,
            version_name=None,
            display_name=None,
            document_format=source.document_format.value,
            target_type=source.target_type,
            schema_version=builtin.summary.schema_version,
            platform_types=builtin.summary.platform_types,
            created_at=CREATED_AT,
        )


def _listed(
    row: repo.DocumentRow,
    summary: repo.VersionSummary,
    *,
    name: str,
    source: str,
    tags: dict[str, str],
) -> Listed:
    return Listed(
        name=name,
        owner=row.account_id,
        source=source,
        document_type=row.document_type,
        version=summary.version,
        version_name=summary.version_name,
        display_name=summary.display_name,
        document_format=summary.document_format,
        target_type=summary.target_type,
        schema_version=summary.schema_version,
        platform_types=summary.platform_types,
        created_at=summary.created_at,
        tags=tags,
    )


def _everything(conn: Connection, ctx: RequestContext, wanted: Conditions) -> list[Listed]:
    owner = wanted.get("Owner", ("All",))[0]
    items: list[Listed] = []
    own = repo.list_documents(conn, account_id=ctx.account_id, region=ctx.region)
    if owner in ("All", "Amazon"):
        items.extend(_builtins({row.name for row in own}))
    if owner in ("All", "Self"):
        own_tags = tags_repo.list_tags_for_many(
            conn,
            account_id=ctx.account_id,
            region=ctx.region,
            resource_type=RESOURCE_TYPE,
            resource_ids=[row.name for row in own],
        )
        versions = repo.get_summaries(conn, [(row.id, row.default_version) for row in own])
        items.extend(
            _listed(row, summary, name=row.name, source="Self", tags=own_tags[row.name])
            for row in own
            if (summary := versions.get((row.id, row.default_version))) is not None
        )
    if owner in ("All", "Private", "Public"):
        items.extend(_shared(conn, ctx))
    return items


def _shared(conn: Connection, ctx: RequestContext) -> list[Listed]:
    by_document: dict[int, repo.SharedRow] = {}
    for shared in repo.find_shared(conn, reader=ctx.account_id, region=ctx.region):
        seen = by_document.get(shared.document.id)
        if seen is None or seen.permission.shared_with == repo.PUBLIC:
            by_document[shared.document.id] = shared
    wanted = {
        doc_id: (
            shared.document.latest_version
            if shared.permission.shared_version == docs.LATEST
            else shared.document.default_version
        )
        for doc_id, shared in by_document.items()
    }
    versions = repo.get_summaries(conn, wanted.items())
    out: list[Listed] = []
    for doc_id, shared in by_document.items():
        summary = versions.get((doc_id, wanted[doc_id]))
        if summary is None:
            continue
        row = shared.document
        source = "Public" if shared.permission.shared_with == repo.PUBLIC else "Private"
        arn = arns.document_arn(ctx.region, row.account_id, row.name)
        out.append(_listed(row, summary, name=arn, source=source, tags={}))
    return out


def list_documents(
    conn: Connection,
    ctx: RequestContext,
    *,
    filters: Sequence[Mapping[str, Any]] | None = None,
    legacy_filters: Sequence[Mapping[str, Any]] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    """ListDocuments: one page of DocumentIdentifiers, in (name, owner) order."""
    wanted = conditions(filters, legacy_filters)
    bound_to = paging.binding(
        ctx.account_id, ctx.region, sorted((k, list(v)) for k, v in wanted.items())
    )
    after: tuple[str, str] | None = None
    if next_token is not None:
        position = paging.decode_token(next_token, "ListDocuments", bound_to=bound_to)
        name, owner = position.get("n"), position.get("o")
        if not isinstance(name, str) or not isinstance(owner, str):
            raise InvalidNextToken(paging.MESSAGE)
        after = (name, owner)
    items = sorted(
        (item for item in _everything(conn, ctx, wanted) if _matches(item, wanted)),
        key=lambda item: (item.name, item.owner),
    )
    if after is not None:
        items = [item for item in items if (item.name, item.owner) > after]
    size = max_results or DEFAULT_PAGE
    if len(items) <= size:
        return Page(items=items)
    last = items[size - 1]
    token = paging.encode_token(
        "ListDocuments", {"n": last.name, "o": last.owner}, bound_to=bound_to
    )
    return Page(items=items[:size], next_token=token)


def list_document_versions(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page:
    """ListDocumentVersions: the versions the caller may see, oldest first."""
    located = docs.locate(conn, ctx, name)
    bound_to = paging.binding(ctx.account_id, ctx.region, located.arn)
    after = 0
    if next_token is not None:
        position = paging.decode_token(next_token, "ListDocumentVersions", bound_to=bound_to)
        raw = position.get("v")
        if not isinstance(raw, int):
            raise InvalidNextToken(paging.MESSAGE)
        after = raw
    row = located.row
    if row is None:
        record = docs.record_of(conn, ctx, located, 1)
        infos = [
            VersionInfo(
                name=record.plain_name,
                display_name=None,
                version=1,
                version_name=None,
                created_at=record.created_at,
                is_default=True,
                document_format=record.document_format,
            )
        ]
        return Page(items=[i for i in infos if i.version > after])
    size = max_results or DEFAULT_PAGE
    shared = located.shared_version
    if shared in (docs.DEFAULT, docs.LATEST):
        # The reader may see exactly one version: fetch it, rather than filter a page of
        # versions that may all come before it.
        only = row.default_version if shared == docs.DEFAULT else row.latest_version
        found = repo.get_summaries(conn, [(row.id, only)]).get((row.id, only))
        summaries = [found] if found is not None and found.version > after else []
    else:
        summaries = repo.list_versions(conn, document_id=row.id, after=after, limit=size + 1)
    # Each entry names the document the way the reader reaches it: its ARN when shared.
    infos = [
        VersionInfo(
            name=located.shown_name,
            display_name=s.display_name,
            version=s.version,
            version_name=s.version_name,
            created_at=s.created_at,
            is_default=s.version == row.default_version,
            document_format=s.document_format,
        )
        for s in summaries
    ]
    if len(infos) <= size:
        return Page(items=infos)
    infos = infos[:size]
    token = paging.encode_token("ListDocumentVersions", {"v": infos[-1].version}, bound_to=bound_to)
    return Page(items=infos, next_token=token)
