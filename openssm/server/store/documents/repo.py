"""Rows of account-owned documents: the document, its versions and who it is shared with.

Plain functions over a Connection; the caller owns the transaction. Nothing here decides an
API error or knows about Amazon's built-in documents (those never reach the database).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from openssm.server.store.documents.tables import document_permissions, document_versions, documents

D, V, P = documents.c, document_versions.c, document_permissions.c
PUBLIC = "all"
_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRow:
    id: int
    account_id: str
    region: str
    name: str
    document_type: str
    default_version: int
    latest_version: int
    last_version: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionSummary:
    """A version without its content: what listings show."""

    document_id: int
    version: int
    version_name: str | None
    display_name: str | None
    document_format: str
    hash: str
    target_type: str | None
    schema_version: str
    platform_types: tuple[str, ...]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRow(VersionSummary):
    content: str
    description: str
    parameters: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewVersion:
    version_name: str | None
    display_name: str | None
    content: str
    document_format: str
    hash: str
    target_type: str | None
    schema_version: str
    platform_types: tuple[str, ...]
    description: str
    parameters: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PermissionRow:
    shared_with: str
    shared_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedRow:
    """A document of another account that a permission row lets the reader see."""

    document: DocumentRow
    permission: PermissionRow


_LATEST = (
    sa.select(sa.func.max(V.version)).where(V.document_id == D.id).scalar_subquery().label("latest")
)
_DOCUMENT_COLUMNS = (
    D.id,
    D.account_id,
    D.region,
    D.name,
    D.document_type,
    D.default_version,
    D.last_version,
    D.created_at,
    _LATEST,
)
_SUMMARY_COLUMNS = (
    V.document_id,
    V.version,
    V.version_name,
    V.display_name,
    V.document_format,
    V.hash,
    V.target_type,
    V.schema_version,
    V.platform_types,
    V.created_at,
)
_FULL_COLUMNS = (*_SUMMARY_COLUMNS, V.content, V.description, V.parameters)


def _document(m: RowMapping) -> DocumentRow:
    return DocumentRow(
        id=m["id"],
        account_id=m["account_id"],
        region=m["region"],
        name=m["name"],
        document_type=m["document_type"],
        default_version=m["default_version"],
        latest_version=m["latest"] or m["default_version"],
        last_version=m["last_version"],
        created_at=m["created_at"],
    )


def _platforms(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split(",") if p)


def _summary(m: RowMapping) -> VersionSummary:
    return VersionSummary(
        document_id=m["document_id"],
        version=m["version"],
        version_name=m["version_name"],
        display_name=m["display_name"],
        document_format=m["document_format"],
        hash=m["hash"],
        target_type=m["target_type"],
        schema_version=m["schema_version"],
        platform_types=_platforms(m["platform_types"]),
        created_at=m["created_at"],
    )


def _full(m: RowMapping) -> VersionRow:
    summary = _summary(m)
    return VersionRow(
        **{f.name: getattr(summary, f.name) for f in fields(VersionSummary)},
        content=m["content"],
        description=m["description"],
        parameters=m["parameters"],
    )


# --- documents --------------------------------------------------------------------------------


# Built once, values bound at execution: every SendCommand (and association run) looks its
# document up by name, and building this statement cost more than running it.
_NAMED = (
    D.account_id == sa.bindparam("b_account_id"),
    D.region == sa.bindparam("b_region"),
    D.name == sa.bindparam("b_name"),
)
_DOCUMENT_BY_NAME = sa.select(*_DOCUMENT_COLUMNS).where(*_NAMED)
# Locked on its own: PostgreSQL refuses FOR UPDATE next to the aggregate in _DOCUMENT_COLUMNS.
_LOCK_BY_NAME = sa.select(D.id).where(*_NAMED).with_for_update()


def get_document(
    conn: Connection, *, account_id: str, region: str, name: str, for_update: bool = False
) -> DocumentRow | None:
    named = {"b_account_id": account_id, "b_region": region, "b_name": name}
    if for_update and conn.execute(_LOCK_BY_NAME, named).first() is None:
        return None
    row = conn.execute(_DOCUMENT_BY_NAME, named).first()
    return None if row is None else _document(row._mapping)


def list_documents(conn: Connection, *, account_id: str, region: str) -> list[DocumentRow]:
    rows = conn.execute(
        sa.select(*_DOCUMENT_COLUMNS)
        .where(D.account_id == account_id, D.region == region)
        .order_by(D.name)
    )
    return [_document(r._mapping) for r in rows]


def count_documents(conn: Connection, *, account_id: str, region: str) -> int:
    count = conn.execute(
        sa.select(sa.func.count()).where(D.account_id == account_id, D.region == region)
    ).scalar_one()
    return int(count)


def insert_document(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    name: str,
    document_type: str,
    created_at: dt.datetime,
) -> int:
    result = conn.execute(
        documents.insert().values(
            account_id=account_id,
            region=region,
            name=name,
            document_type=document_type,
            default_version=1,
            last_version=1,
            created_at=created_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def update_document(
    conn: Connection,
    *,
    document_id: int,
    default_version: int | None = None,
    last_version: int | None = None,
) -> None:
    values: dict[str, int] = {}
    if default_version is not None:
        values["default_version"] = default_version
    if last_version is not None:
        values["last_version"] = last_version
    if values:
        conn.execute(documents.update().where(D.id == document_id).values(**values))


def delete_document(conn: Connection, *, document_id: int) -> None:
    # Children first: the same statements work whether or not foreign keys cascade.
    conn.execute(document_permissions.delete().where(P.document_id == document_id))
    conn.execute(document_versions.delete().where(V.document_id == document_id))
    conn.execute(documents.delete().where(D.id == document_id))


# --- versions ---------------------------------------------------------------------------------


def insert_version(conn: Connection, *, document_id: int, version: int, new: NewVersion) -> None:
    conn.execute(
        document_versions.insert().values(
            document_id=document_id,
            version=version,
            version_name=new.version_name,
            display_name=new.display_name,
            content=new.content,
            document_format=new.document_format,
            hash=new.hash,
            target_type=new.target_type,
            schema_version=new.schema_version,
            platform_types=",".join(new.platform_types),
            description=new.description,
            parameters=new.parameters,
            created_at=new.created_at,
        )
    )


def get_version(conn: Connection, *, document_id: int, version: int) -> VersionRow | None:
    row = conn.execute(
        sa.select(*_FULL_COLUMNS).where(V.document_id == document_id, V.version == version)
    ).first()
    return None if row is None else _full(row._mapping)


def find_version_name(conn: Connection, *, document_id: int, version_name: str) -> int | None:
    """The number of the version called ``version_name``, if any."""
    found = conn.execute(
        sa.select(V.version).where(V.document_id == document_id, V.version_name == version_name)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def list_versions(
    conn: Connection, *, document_id: int, after: int | None = None, limit: int | None = None
) -> list[VersionSummary]:
    """Versions in ascending order, after version ``after``."""
    query = sa.select(*_SUMMARY_COLUMNS).where(V.document_id == document_id).order_by(V.version)
    if after is not None:
        query = query.where(V.version > after)
    if limit is not None:
        query = query.limit(limit)
    return [_summary(r._mapping) for r in conn.execute(query)]


def get_summaries(
    conn: Connection, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], VersionSummary]:
    """Given (document id, version) pairs, those versions keyed by the pair."""
    wanted = list(dict.fromkeys(pairs))
    found: dict[tuple[int, int], VersionSummary] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        condition = sa.or_(*(sa.and_(V.document_id == d, V.version == v) for d, v in chunk))
        for row in conn.execute(sa.select(*_SUMMARY_COLUMNS).where(condition)):
            summary = _summary(row._mapping)
            found[(summary.document_id, summary.version)] = summary
    return found


def count_versions(conn: Connection, *, document_id: int) -> int:
    count = conn.execute(
        sa.select(sa.func.count()).where(V.document_id == document_id)
    ).scalar_one()
    return int(count)


def delete_version(conn: Connection, *, document_id: int, version: int) -> None:
    conn.execute(
        document_versions.delete().where(V.document_id == document_id, V.version == version)
    )


# --- permissions ------------------------------------------------------------------------------


def list_permissions(conn: Connection, *, document_id: int) -> list[PermissionRow]:
    rows = conn.execute(
        sa.select(P.shared_with, P.shared_version)
        .where(P.document_id == document_id)
        .order_by(P.shared_with)
    )
    return [PermissionRow(shared_with=r.shared_with, shared_version=r.shared_version) for r in rows]


def put_permissions(
    conn: Connection,
    *,
    document_id: int,
    accounts: Sequence[str],
    shared_version: str,
    created_at: dt.datetime,
) -> None:
    """Share with ``accounts``; an account already there gets the new shared version."""
    if not accounts:
        return
    delete_permissions(conn, document_id=document_id, accounts=accounts)
    conn.execute(
        document_permissions.insert(),
        [
            {
                "document_id": document_id,
                "shared_with": account,
                "shared_version": shared_version,
                "created_at": created_at,
            }
            for account in accounts
        ],
    )


def delete_permissions(conn: Connection, *, document_id: int, accounts: Sequence[str]) -> None:
    if accounts:
        conn.execute(
            document_permissions.delete().where(
                P.document_id == document_id, P.shared_with.in_(list(accounts))
            )
        )


def count_public(conn: Connection, *, account_id: str, region: str) -> int:
    """How many of an account's documents are shared with every account."""
    count = conn.execute(
        sa.select(sa.func.count())
        .select_from(documents.join(document_permissions, P.document_id == D.id))
        .where(D.account_id == account_id, D.region == region, P.shared_with == PUBLIC)
    ).scalar_one()
    return int(count)


def find_shared(
    conn: Connection,
    *,
    reader: str,
    region: str,
    owner: str | None = None,
    name: str | None = None,
) -> list[SharedRow]:
    """Documents of other accounts shared with ``reader`` or with every account.

    A document shared both ways comes back once per permission row; the caller picks.
    """
    query = (
        sa.select(*_DOCUMENT_COLUMNS, P.shared_with, P.shared_version)
        .select_from(documents.join(document_permissions, P.document_id == D.id))
        .where(
            D.region == region,
            D.account_id != reader,
            P.shared_with.in_([reader, PUBLIC]),
        )
        .order_by(D.account_id, D.name)
    )
    if owner is not None:
        query = query.where(D.account_id == owner)
    if name is not None:
        query = query.where(D.name == name)
    return [
        SharedRow(
            document=_document(r._mapping),
            permission=PermissionRow(shared_with=r.shared_with, shared_version=r.shared_version),
        )
        for r in conn.execute(query)
    ]
