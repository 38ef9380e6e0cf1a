"""Sharing documents with other accounts of this server: Describe/ModifyDocumentPermission.

The only PermissionType is ``Share``. An account id shares with that account; ``all`` (any
letter case) shares with every account of the server (AWS's public sharing). Each share carries
the version the other account may use: ``$DEFAULT`` (the default, whichever it is when they ask;
AWS's default), ``$LATEST``, or ``$ALL`` (any version). The reading side is ``documents.locate``:
another account reaches a shared document by its ARN, and only while it is shared.

Limits, AWS's defaults: 1,000 accounts per document and 5 publicly shared documents per account
(DocumentPermissionLimit). Amazon's documents are everyone's already and can't be shared
(InvalidDocumentOperation); a document can't be shared with the account that owns it. An
account named in both AccountIdsToAdd and AccountIdsToRemove is removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.errors import DocumentPermissionLimit, InvalidNextToken, ValidationException
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.documents import reads as docs
from openssm.server.store.documents import repo

MAX_SHARED_ACCOUNTS = 1000
MAX_PUBLIC_DOCUMENTS = 5
DEFAULT_PAGE = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Sharing:
    account_id: str
    shared_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SharingPage:
    items: list[Sharing]
    next_token: str | None = None


def _account(value: str) -> str:
    return repo.PUBLIC if value.lower() == repo.PUBLIC else value


def describe_permission(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    max_results: int | None = None,
    next_token: str | None = None,
) -> SharingPage:
    """DescribeDocumentPermission: the accounts a document is shared with, in id order."""
    located = docs.locate_own(conn, ctx, name, action="share")
    assert located.row is not None
    bound_to = paging.binding(ctx.account_id, ctx.region, name)
    after = ""
    if next_token is not None:
        raw = paging.decode_token(next_token, "DescribeDocumentPermission", bound_to=bound_to)
        after_value = raw.get("a")
        if not isinstance(after_value, str):
            raise InvalidNextToken(paging.MESSAGE)
        after = after_value
    rows = [
        r for r in repo.list_permissions(conn, document_id=located.row.id) if r.shared_with > after
    ]
    size = max_results or DEFAULT_PAGE
    items = [Sharing(account_id=r.shared_with, shared_version=r.shared_version) for r in rows]
    if len(items) <= size:
        return SharingPage(items=items)
    items = items[:size]
    token = paging.encode_token(
        "DescribeDocumentPermission", {"a": items[-1].account_id}, bound_to=bound_to
    )
    return SharingPage(items=items, next_token=token)


def modify_permission(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    shared_version: str | None = None,
    max_accounts: int = MAX_SHARED_ACCOUNTS,
    max_public: int = MAX_PUBLIC_DOCUMENTS,
) -> None:
    """ModifyDocumentPermission: share with ``add``, stop sharing with ``remove``."""
    removing = list(dict.fromkeys(_account(a) for a in remove))
    # An account in both lists loses access: removal wins, as botocore's model documents.
    adding = [a for a in dict.fromkeys(_account(a) for a in add) if a not in removing]
    if not add and not remove:
        raise ValidationException(
            "Specify the accounts to share with in AccountIdsToAdd or the accounts to stop "
            "sharing with in AccountIdsToRemove."
        )
    if ctx.account_id in adding:
        raise ValidationException(
            f"Document {name} belongs to account {ctx.account_id}; it can't be shared with "
            "the account that owns it."
        )
    located = docs.locate_own(conn, ctx, name, action="share")
    row = located.row
    assert row is not None
    repo.delete_permissions(conn, document_id=row.id, accounts=removing)
    if not adding:
        return
    current = {p.shared_with for p in repo.list_permissions(conn, document_id=row.id)}
    if len(current | set(adding)) > max_accounts:
        raise DocumentPermissionLimit(
            f"Document {name} can be shared with at most {max_accounts} accounts."
        )
    if repo.PUBLIC in adding and repo.PUBLIC not in current:
        public = repo.count_public(conn, account_id=ctx.account_id, region=ctx.region)
        if public >= max_public:
            raise DocumentPermissionLimit(
                f"You can share at most {max_public} documents with all accounts; "
                "stop sharing another document publicly first."
            )
    repo.put_permissions(
        conn,
        document_id=row.id,
        accounts=adding,
        shared_version=shared_version or docs.DEFAULT,
        created_at=ctx.now,
    )
