"""Rows of Parameter Store: parameters, versions, labels and policy schedules.

Plain functions over a Connection; the caller owns the transaction. Nothing here decides an
API error or sees a plaintext SecureString (only ``value_sealed`` bytes). Every write that
can change what ``get_current`` answers bumps the parameters generation (servers cache
current versions against it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from openssm.server.store.generations import Generation, bump
from openssm.server.store.parameters.tables import (
    parameter_labels,
    parameter_policies,
    parameter_versions,
    parameters,
)

P, V, L, POL = parameters.c, parameter_versions.c, parameter_labels.c, parameter_policies.c
# Above every character a parameter key may hold, so [prefix, prefix + _HIGH) is "starts with".
_HIGH = "\x7f"
_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterRow:
    id: int
    name: str
    name_key: str
    type: str
    tier: str
    current_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRow:
    """One version of one parameter, with the parameter's name."""

    parameter_id: int
    name: str
    name_key: str
    current_version: int
    version: int
    type: str
    value_text: str | None
    value_sealed: bytes | None
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    tier: str
    data_type: str
    policies: str | None
    modified_at: dt.datetime
    modified_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewVersion:
    type: str
    value_text: str | None
    value_sealed: bytes | None
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    tier: str
    data_type: str
    policies: str | None
    modified_at: dt.datetime
    modified_by: str


@dataclass(frozen=True, slots=True)
class KeyGroup:
    """Keys equal to one of ``keys``, starting with one of ``prefixes``, or directly under one
    of ``parents`` (each group is OR-ed inside; several groups must all hold)."""

    keys: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan:
    account_id: str
    region: str
    after: str | None = None
    groups: Sequence[KeyGroup] = field(default_factory=tuple)
    types: tuple[str, ...] = ()


_VERSION_COLUMNS = (
    V.parameter_id,
    P.name,
    P.name_key,
    P.current_version,
    V.version,
    V.type,
    V.value_text,
    V.value_sealed,
    V.key_id,
    V.description,
    V.allowed_pattern,
    V.tier,
    V.data_type,
    V.policies,
    V.modified_at,
    V.modified_by,
)
_JOIN_CURRENT = parameters.join(
    parameter_versions, sa.and_(V.parameter_id == P.id, V.version == P.current_version)
)
_JOIN_ANY = parameters.join(parameter_versions, V.parameter_id == P.id)


def _version(m: RowMapping) -> VersionRow:
    sealed = m["value_sealed"]
    return VersionRow(
        parameter_id=m["parameter_id"],
        name=m["name"],
        name_key=m["name_key"],
        current_version=m["current_version"],
        version=m["version"],
        type=m["type"],
        value_text=m["value_text"],
        value_sealed=bytes(sealed) if sealed is not None else None,
        key_id=m["key_id"],
        description=m["description"],
        allowed_pattern=m["allowed_pattern"],
        tier=m["tier"],
        data_type=m["data_type"],
        policies=m["policies"],
        modified_at=m["modified_at"],
        modified_by=m["modified_by"],
    )


def _scope(account_id: str, region: str) -> list[sa.ColumnElement[bool]]:
    return [P.account_id == account_id, P.region == region]


def _starts_with(prefix: str) -> sa.ColumnElement[bool]:
    return sa.and_(P.name_key >= prefix, P.name_key < prefix + _HIGH)


# --- reads ------------------------------------------------------------------------------------


# The single-parameter lookups are built once: building a statement costs more than running
# it, and GetParameter is the hot path.
_BY_KEY = (
    P.account_id == sa.bindparam("account_id"),
    P.region == sa.bindparam("region"),
    P.name_key == sa.bindparam("name_key"),
)
_PARAMETER = sa.select(P.id, P.name, P.name_key, P.type, P.tier, P.current_version).where(*_BY_KEY)
_PARAMETER_FOR_UPDATE = _PARAMETER.with_for_update()
_CURRENT = sa.select(*_VERSION_COLUMNS).select_from(_JOIN_CURRENT).where(*_BY_KEY)
_VERSION = (
    sa.select(*_VERSION_COLUMNS)
    .select_from(_JOIN_ANY)
    .where(*_BY_KEY, V.version == sa.bindparam("version"))
)
_LABELLED = (
    sa.select(*_VERSION_COLUMNS)
    .select_from(
        _JOIN_ANY.join(parameter_labels, sa.and_(L.parameter_id == P.id, L.version == V.version))
    )
    .where(*_BY_KEY, L.label == sa.bindparam("label"))
)


def get_parameter(
    conn: Connection, *, account_id: str, region: str, name_key: str, for_update: bool = False
) -> ParameterRow | None:
    """The parameter row; ``for_update`` locks it (PostgreSQL) so writers take turns."""
    query = _PARAMETER_FOR_UPDATE if for_update else _PARAMETER
    params = {"account_id": account_id, "region": region, "name_key": name_key}
    row = conn.execute(query, params).first()
    if row is None:
        return None
    return ParameterRow(
        id=row.id,
        name=row.name,
        name_key=row.name_key,
        type=row.type,
        tier=row.tier,
        current_version=row.current_version,
    )


def get_current(
    conn: Connection, *, account_id: str, region: str, name_key: str
) -> VersionRow | None:
    """The newest version of a parameter: one indexed lookup (the GetParameter hot path)."""
    params = {"account_id": account_id, "region": region, "name_key": name_key}
    row = conn.execute(_CURRENT, params).first()
    return None if row is None else _version(row._mapping)


def get_current_many(
    conn: Connection, *, account_id: str, region: str, name_keys: Iterable[str]
) -> dict[str, VersionRow]:
    keys = list(dict.fromkeys(name_keys))
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(*_VERSION_COLUMNS)
        .select_from(_JOIN_CURRENT)
        .where(*_scope(account_id, region), P.name_key.in_(keys))
    )
    return {r.name_key: _version(r._mapping) for r in rows}


def get_version(
    conn: Connection, *, account_id: str, region: str, name_key: str, version: int
) -> VersionRow | None:
    params = {"account_id": account_id, "region": region, "name_key": name_key}
    row = conn.execute(_VERSION, {**params, "version": version}).first()
    return None if row is None else _version(row._mapping)


def get_labelled(
    conn: Connection, *, account_id: str, region: str, name_key: str, label: str
) -> VersionRow | None:
    params = {"account_id": account_id, "region": region, "name_key": name_key}
    row = conn.execute(_LABELLED, {**params, "label": label}).first()
    return None if row is None else _version(row._mapping)


def get_versions(conn: Connection, pairs: Iterable[tuple[int, int]]) -> list[VersionRow]:
    """Given (parameter id, version) pairs, those rows (in no particular order)."""
    wanted = list(pairs)
    found: list[VersionRow] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        condition = sa.or_(*(sa.and_(V.parameter_id == p, V.version == v) for p, v in chunk))
        rows = conn.execute(sa.select(*_VERSION_COLUMNS).select_from(_JOIN_ANY).where(condition))
        found.extend(_version(r._mapping) for r in rows)
    return found


def list_versions(
    conn: Connection, *, parameter_id: int, after: int | None, limit: int
) -> list[VersionRow]:
    query = (
        sa.select(*_VERSION_COLUMNS)
        .select_from(_JOIN_ANY)
        .where(V.parameter_id == parameter_id)
        .order_by(V.version)
        .limit(limit)
    )
    if after is not None:
        query = query.where(V.version > after)
    return [_version(r._mapping) for r in conn.execute(query)]


def scan_current(conn: Connection, scan: Scan, *, limit: int) -> list[VersionRow]:
    """Current versions in key order after ``scan.after``, narrowed by the scan's groups."""
    query = (
        sa.select(*_VERSION_COLUMNS)
        .select_from(_JOIN_CURRENT)
        .where(*_scope(scan.account_id, scan.region))
    )
    if scan.after is not None:
        query = query.where(P.name_key > scan.after)
    for group in scan.groups:
        alternatives: list[sa.ColumnElement[bool]] = []
        if group.keys:
            alternatives.append(P.name_key.in_(group.keys))
        alternatives.extend(_starts_with(prefix) for prefix in group.prefixes)
        if group.parents:
            alternatives.append(P.parent_key.in_(group.parents))
        query = query.where(sa.or_(*alternatives) if alternatives else sa.false())
    if scan.types:
        query = query.where(P.type.in_(scan.types))
    rows = conn.execute(query.order_by(P.name_key).limit(limit))
    return [_version(r._mapping) for r in rows]


def count_by_tier(conn: Connection, *, account_id: str, region: str) -> dict[str, int]:
    rows = conn.execute(
        sa.select(P.tier, sa.func.count()).where(*_scope(account_id, region)).group_by(P.tier)
    )
    return {str(tier): int(count) for tier, count in rows}


def name_for_key(conn: Connection, *, account_id: str, region: str, name_key: str) -> str | None:
    return conn.execute(
        sa.select(P.name).where(*_scope(account_id, region), P.name_key == name_key)
    ).scalar()


# --- writes -----------------------------------------------------------------------------------


def insert_parameter(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    name: str,
    name_key: str,
    parent_key: str,
    type: str,
    tier: str,
    created_at: dt.datetime,
) -> int:
    result = conn.execute(
        parameters.insert().values(
            account_id=account_id,
            region=region,
            name=name,
            name_key=name_key,
            parent_key=parent_key,
            type=type,
            tier=tier,
            current_version=0,
            created_at=created_at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def insert_version(conn: Connection, *, parameter_id: int, version: int, new: NewVersion) -> None:
    conn.execute(
        parameter_versions.insert().values(
            parameter_id=parameter_id,
            version=version,
            type=new.type,
            value_text=new.value_text,
            value_sealed=new.value_sealed,
            key_id=new.key_id,
            description=new.description,
            allowed_pattern=new.allowed_pattern,
            tier=new.tier,
            data_type=new.data_type,
            policies=new.policies,
            modified_at=new.modified_at,
            modified_by=new.modified_by,
        )
    )
    conn.execute(
        parameters.update()
        .where(P.id == parameter_id)
        .values(current_version=version, tier=new.tier)
    )
    bump(conn, Generation.PARAMETERS)


def version_span(conn: Connection, *, parameter_id: int) -> tuple[int, int]:
    """(oldest retained version, number of retained versions)."""
    oldest, count = conn.execute(
        sa.select(sa.func.min(V.version), sa.func.count()).where(V.parameter_id == parameter_id)
    ).one()
    return int(oldest or 0), int(count)


def delete_version(conn: Connection, *, parameter_id: int, version: int) -> None:
    conn.execute(
        parameter_versions.delete().where(V.parameter_id == parameter_id, V.version == version)
    )
    bump(conn, Generation.PARAMETERS)


def delete_parameter(conn: Connection, *, parameter_id: int) -> None:
    """The parameter with every version, label and policy (explicitly, not via cascade)."""
    conn.execute(parameter_policies.delete().where(POL.parameter_id == parameter_id))
    conn.execute(parameter_labels.delete().where(L.parameter_id == parameter_id))
    conn.execute(parameter_versions.delete().where(V.parameter_id == parameter_id))
    conn.execute(parameters.delete().where(P.id == parameter_id))
    bump(conn, Generation.PARAMETERS)


# --- labels -----------------------------------------------------------------------------------


def labels_of(conn: Connection, *, parameter_id: int) -> dict[str, int]:
    """label → version for one parameter."""
    rows = conn.execute(sa.select(L.label, L.version).where(L.parameter_id == parameter_id))
    return {str(label): int(version) for label, version in rows}


def labels_for(conn: Connection, parameter_ids: Iterable[int]) -> dict[int, dict[int, list[str]]]:
    """parameter id → version → sorted labels, for many parameters in one query per chunk."""
    ids = list(dict.fromkeys(parameter_ids))
    found: dict[int, dict[int, list[str]]] = {i: {} for i in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            sa.select(L.parameter_id, L.version, L.label)
            .where(L.parameter_id.in_(ids[start : start + _CHUNK]))
            .order_by(L.label)
        )
        for parameter_id, version, label in rows:
            found[parameter_id].setdefault(version, []).append(label)
    return found


def put_labels(conn: Connection, *, parameter_id: int, version: int, labels: Sequence[str]) -> None:
    """Attach labels to a version, moving any that sat on another version."""
    if not labels:
        return
    conn.execute(
        parameter_labels.delete().where(L.parameter_id == parameter_id, L.label.in_(labels))
    )
    conn.execute(
        parameter_labels.insert(),
        [{"parameter_id": parameter_id, "label": label, "version": version} for label in labels],
    )


def delete_labels(
    conn: Connection, *, parameter_id: int, version: int, labels: Sequence[str]
) -> None:
    if labels:
        conn.execute(
            parameter_labels.delete().where(
                L.parameter_id == parameter_id, L.version == version, L.label.in_(labels)
            )
        )
