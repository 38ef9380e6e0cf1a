"""Parameter Store reads: GetParameter(s), GetParametersByPath, DescribeParameters, history.

Every function takes an open transaction. GetParameter is the hot path: one indexed query,
then a decryption only when a SecureString is asked for in clear. Listings scan in key order
and check filters with ``parameter_filters``; like AWS they are best-effort, so a page may
hold fewer items than asked for and still carry a NextToken.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import InvalidKeyId, InvalidNextToken
from openssm.server.context import RequestContext
from openssm.server.secrets import DecryptionError, Keyring, UnknownKeyError
from openssm.server.services import paging
from openssm.server.services.parameters import filters, names
from openssm.server.services.parameters import policies as pol
from openssm.server.services.parameters.names import NameRef
from openssm.server.services.parameters.values import ParameterType
from openssm.server.services.parameters.writes import (
    RESOURCE_TYPE,
    encryption_context,
    not_found,
    version_not_found,
)
from openssm.server.store import tags as tags_repo
from openssm.server.store.parameters import policies as policies_repo
from openssm.server.store.parameters import repo

T = TypeVar("T")
# Rows one listing call may look at before it answers with what it found (best effort).
SCAN_BUDGET = 2000
_BATCH = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterValue:
    """A version as GetParameter returns it; ``value`` is clear text or, for a SecureString
    read without decryption, the base64 ciphertext."""

    row: repo.VersionRow
    value: str = field(repr=False)
    selector: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InlinePolicy:
    text: str
    type: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Described:
    row: repo.VersionRow
    policies: list[InlinePolicy]


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    row: repo.VersionRow
    value: str = field(repr=False)
    labels: list[str]
    policies: list[InlinePolicy]


def _value(ctx: RequestContext, keyring: Keyring, row: repo.VersionRow, decrypt: bool) -> str:
    if row.type != ParameterType.SECURE_STRING:
        return row.value_text or ""
    assert row.value_sealed is not None
    if not decrypt:
        return base64.b64encode(row.value_sealed).decode("ascii")
    try:
        context = encryption_context(ctx, row.name)
        return keyring.decrypt(row.value_sealed, context=context).decode()
    except (UnknownKeyError, DecryptionError):
        raise InvalidKeyId(
            f"The value of {row.name} can't be decrypted: its key {row.key_id} is not usable."
        ) from None


def value_of(
    ctx: RequestContext, keyring: Keyring, row: repo.VersionRow, *, decrypt: bool
) -> ParameterValue:
    """A current version (no selector) as GetParameter returns it."""
    return ParameterValue(row=row, value=_value(ctx, keyring, row, decrypt))


def _find(conn: Connection, ctx: RequestContext, ref: NameRef) -> repo.VersionRow | None:
    if ref.key is None:
        return None
    scope: dict[str, Any] = {
        "account_id": ctx.account_id,
        "region": ctx.region,
        "name_key": ref.key,
    }
    if ref.selector is None:
        return repo.get_current(conn, **scope)
    version = ref.selector.version
    if version is not None:
        if version > names.MAX_VERSION:
            return None
        return repo.get_version(conn, version=version, **scope)
    return repo.get_labelled(conn, label=ref.selector.text, **scope)


def get_parameter(
    conn: Connection, ctx: RequestContext, keyring: Keyring, name: str, *, decrypt: bool
) -> ParameterValue:
    """GetParameter: ``name``, ``name:version``, ``name:label`` or the parameter's ARN.

    An unknown version is ParameterVersionNotFound (no fall-back to another version); an
    unknown parameter or label is ParameterNotFound.
    """
    ref = names.parse_ref(name, region=ctx.region, account_id=ctx.account_id)
    row = _find(conn, ctx, ref)
    if row is None:
        version = ref.selector.version if ref.selector else None
        if version is not None and ref.key is not None:
            exists = repo.name_for_key(
                conn, account_id=ctx.account_id, region=ctx.region, name_key=ref.key
            )
            if exists is not None:
                raise version_not_found(exists, version)
        raise not_found(name.strip(" "))
    selector = ref.selector.wire if ref.selector else None
    return ParameterValue(row=row, value=_value(ctx, keyring, row, decrypt), selector=selector)


def get_parameters(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    requested: Sequence[str],
    *,
    decrypt: bool,
) -> tuple[list[ParameterValue], list[str]]:
    """GetParameters: found parameters in name order, and the names that found nothing."""
    # Each parameter and selector answers once, however often and however spelled it is
    # asked for (`/a`, ` /a`, `a` for `/a`); names that can't name one, once per spelling.
    unique: dict[object, NameRef] = {}
    for text in requested:
        ref = names.parse_ref(text, region=ctx.region, account_id=ctx.account_id)
        unique.setdefault(ref.requested if ref.key is None else (ref.key, ref.selector), ref)
    refs = list(unique.values())
    plain = repo.get_current_many(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        name_keys=[r.key for r in refs if r.key is not None and r.selector is None],
    )
    found: list[ParameterValue] = []
    invalid: list[str] = []
    for ref in refs:
        row = plain.get(ref.key or "") if ref.selector is None else _find(conn, ctx, ref)
        if row is None:
            invalid.append(ref.requested)
            continue
        selector = ref.selector.wire if ref.selector else None
        found.append(
            ParameterValue(row=row, value=_value(ctx, keyring, row, decrypt), selector=selector)
        )
    found.sort(key=lambda p: (p.row.name, p.selector or ""))
    return found, invalid


# --- listings ---------------------------------------------------------------------------------


def _narrow(conditions: Sequence[filters.Condition]) -> tuple[list[repo.KeyGroup], tuple[str, ...]]:
    """The part of the filters the store can apply itself (the rest is checked row by row)."""
    groups: list[repo.KeyGroup] = []
    types: tuple[str, ...] = ()
    for c in conditions:
        if c.key == "Name" and c.option == filters.EQUALS:
            groups.append(repo.KeyGroup(keys=c.values))
        elif c.key == "Name" and c.option == filters.BEGINS_WITH:
            groups.append(repo.KeyGroup(prefixes=c.values))
        elif c.key == "Path" and c.option == filters.ONE_LEVEL:
            groups.append(repo.KeyGroup(parents=c.values))
        elif c.key == "Path" and "/" not in c.values:
            groups.append(repo.KeyGroup(prefixes=tuple(v + "/" for v in c.values)))
        elif c.key == "Type" and c.option == filters.EQUALS and not types:
            types = c.values
    return groups, types


Keep = Callable[[list[repo.VersionRow]], list[T | None]]


def _scan(
    conn: Connection,
    scan: repo.Scan,
    keep: Keep[T],
    *,
    page_size: int,
    token: Callable[[str], str],
    filtered: bool,
) -> Page[T]:
    """Walk the scan in key order; ``keep`` maps each batch to an item (or None) per row.

    Unless rows are ``filtered`` here, every row the store returns is kept, so one row more
    than a page tells whether another page follows.
    """
    limit = _BATCH if filtered else page_size + 1
    found: list[T] = []
    scanned = 0
    while True:
        batch = repo.scan_current(conn, scan, limit=limit)
        for i, item in enumerate(keep(batch)):
            if item is None:
                continue
            found.append(item)
            if len(found) == page_size:
                more = i + 1 < len(batch) or len(batch) == limit
                return Page(items=found, next_token=token(batch[i].name_key) if more else None)
        scanned += len(batch)
        if len(batch) < limit:
            return Page(items=found)
        scan = replace(scan, after=batch[-1].name_key)
        if scanned >= SCAN_BUDGET:
            return Page(items=found, next_token=token(batch[-1].name_key))


def _hidden(ctx: RequestContext, row: repo.VersionRow) -> bool:
    """Whether a Deny in the caller's policies covers this parameter (SECURITY.md #2)."""
    if ctx.hides is None:
        return False
    return ctx.hides(arns.parameter_arn(ctx.region, ctx.account_id, row.name))


def _subject(row: repo.VersionRow, **extra: Any) -> filters.Subject:
    return filters.Subject(
        key=row.name_key,
        type=row.type,
        key_id=row.key_id,
        tier=row.tier,
        data_type=row.data_type,
        **extra,
    )


def _after(next_token: str | None, kind: str, bound_to: str) -> str | None:
    if next_token is None:
        return None
    after = paging.decode_token(next_token, kind, bound_to=bound_to).get("k")
    if not isinstance(after, str):
        raise InvalidNextToken(paging.MESSAGE)
    return after


def get_parameters_by_path(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    *,
    path: str,
    recursive: bool,
    parameter_filters: Sequence[Mapping[str, Any]] | None,
    decrypt: bool,
    max_results: int,
    next_token: str | None,
) -> Page[ParameterValue]:
    """GetParametersByPath: the level's parameters (or the whole subtree), key order.

    With a Label filter the version carrying the label is returned, not the newest one.
    """
    path_key = names.check_path(path)
    conditions = filters.by_path_conditions(parameter_filters)
    kind = "GetParametersByPath"
    bound = paging.binding(kind, ctx.account_id, ctx.region, path_key, recursive, parameter_filters)
    groups, types = _narrow(conditions)
    if recursive:
        if path_key != "/":
            groups.append(repo.KeyGroup(prefixes=(path_key + "/",)))
    else:
        groups.append(repo.KeyGroup(parents=(path_key,)))
    scan = repo.Scan(
        account_id=ctx.account_id,
        region=ctx.region,
        after=_after(next_token, kind, bound),
        groups=groups,
        types=types,
    )
    wanted_labels = filters.label_values(conditions)

    def keep(rows: list[repo.VersionRow]) -> list[ParameterValue | None]:
        labels = repo.labels_for(conn, [r.parameter_id for r in rows]) if wanted_labels else {}
        chosen: list[tuple[repo.VersionRow, int] | None] = []
        for row in rows:
            by_version = labels.get(row.parameter_id, {})
            subject = _subject(row, labels={lb for ls in by_version.values() for lb in ls})
            if _hidden(ctx, row) or not filters.matches_all(conditions, subject):
                chosen.append(None)
                continue
            hits = [v for v, ls in by_version.items() if wanted_labels.intersection(ls)]
            chosen.append((row, max(hits) if hits else row.version))
        older = {
            (r.parameter_id, r.version): r
            for r in repo.get_versions(
                conn, [(c[0].parameter_id, c[1]) for c in chosen if c and c[1] != c[0].version]
            )
        }
        out: list[ParameterValue | None] = []
        for c in chosen:
            if c is None:
                out.append(None)
                continue
            row = c[0] if c[1] == c[0].version else older[(c[0].parameter_id, c[1])]
            out.append(ParameterValue(row=row, value=_value(ctx, keyring, row, decrypt)))
        return out

    return _scan(
        conn,
        scan,
        keep,
        page_size=max_results,
        token=lambda k: paging.encode_token(kind, {"k": k}, bound_to=bound),
        filtered=bool(conditions) or ctx.hides is not None,
    )


def _inline(rows: Sequence[policies_repo.PolicyRow]) -> list[InlinePolicy]:
    return [InlinePolicy(text=r.policy_text, type=r.policy_type, status=r.status) for r in rows]


def describe_parameters(
    conn: Connection,
    ctx: RequestContext,
    *,
    parameter_filters: Sequence[Mapping[str, Any]] | None,
    legacy_filters: Sequence[Mapping[str, Any]] | None,
    max_results: int,
    next_token: str | None,
    shared: bool = False,
) -> Page[Described]:
    """DescribeParameters: metadata (never values) of the parameters the filters select."""
    conditions = filters.describe_conditions(parameter_filters, legacy_filters)
    kind = "DescribeParameters"
    bound = paging.binding(
        kind, ctx.account_id, ctx.region, parameter_filters, legacy_filters, shared
    )
    after = _after(next_token, kind, bound)
    if shared:
        # Parameters shared from other accounts: a self-hosted server has none.
        return Page(items=[])
    groups, types = _narrow(conditions)
    scan = repo.Scan(
        account_id=ctx.account_id, region=ctx.region, after=after, groups=groups, types=types
    )
    with_tags = filters.needs_tags(conditions)

    def keep(rows: list[repo.VersionRow]) -> list[repo.VersionRow | None]:
        found_tags: dict[str, dict[str, str]] = {}
        if with_tags:
            found_tags = tags_repo.list_tags_for_many(
                conn,
                account_id=ctx.account_id,
                region=ctx.region,
                resource_type=RESOURCE_TYPE,
                resource_ids=[r.name for r in rows],
            )
        return [
            row
            if not _hidden(ctx, row)
            and filters.matches_all(conditions, _subject(row, tags=found_tags.get(row.name, {})))
            else None
            for row in rows
        ]

    page = _scan(
        conn,
        scan,
        keep,
        page_size=max_results,
        token=lambda k: paging.encode_token(kind, {"k": k}, bound_to=bound),
        filtered=bool(conditions) or ctx.hides is not None,
    )
    policies = policies_repo.policies_for(conn, [row.parameter_id for row in page.items])
    items = [Described(row=r, policies=_inline(policies[r.parameter_id])) for r in page.items]
    return Page(items=items, next_token=page.next_token)


def get_parameter_history(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    name: str,
    *,
    decrypt: bool,
    max_results: int,
    next_token: str | None,
) -> Page[HistoryEntry]:
    """GetParameterHistory: every retained version, oldest first, with labels and policies."""
    ref = names.parse_ref(name, region=ctx.region, account_id=ctx.account_id, allow_selector=False)
    param = None
    if ref.key is not None:
        param = repo.get_parameter(
            conn, account_id=ctx.account_id, region=ctx.region, name_key=ref.key
        )
    if param is None:
        raise not_found(name.strip(" "))
    kind = "GetParameterHistory"
    bound = paging.binding(kind, ctx.account_id, ctx.region, param.id)
    after = None
    if next_token is not None:
        after = paging.decode_token(next_token, kind, bound_to=bound).get("v")
        if not isinstance(after, int):
            raise InvalidNextToken(paging.MESSAGE)
    rows = repo.list_versions(conn, parameter_id=param.id, after=after, limit=max_results + 1)
    more = len(rows) > max_results
    rows = rows[:max_results]
    labels = repo.labels_for(conn, [param.id])[param.id]
    statuses = {
        p.policy_text: p.status for p in policies_repo.policy_rows(conn, parameter_id=param.id)
    }
    entries = [
        HistoryEntry(
            row=row,
            value=_value(ctx, keyring, row, decrypt),
            labels=labels.get(row.version, []),
            policies=[
                InlinePolicy(
                    text=p.text, type=p.type, status=statuses.get(p.text, pol.PolicyStatus.PENDING)
                )
                for p in pol.load_policies(row.policies)
            ],
        )
        for row in rows
    ]
    token = paging.encode_token(kind, {"v": rows[-1].version}, bound_to=bound) if more else None
    return Page(items=entries, next_token=token)
