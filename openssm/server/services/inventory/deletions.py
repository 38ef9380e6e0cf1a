"""DeleteInventory and DescribeInventoryDeletions: removing a custom type's data.

Only Custom: types can be deleted. Without SchemaDeleteOption the data goes and the schema
stays; DisableSchema also disables the type at its current version (PutInventory of that
version or an older one is then ignored, a newer one enables it again); DeleteSchema removes
the type altogether. DryRun counts what would go and changes nothing. The deletion runs in
the request's transaction, so it is Complete when the call returns; a ClientToken that names
an earlier deletion returns that deletion again. Each instance whose data went gets an
"Inventory Resource State Change" event (action ``delete``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import InvalidDeletionIdException, InvalidNextToken, InvalidTypeNameException
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.inventory import events
from openssm.server.services.inventory.schemas import is_custom, unknown_type
from openssm.server.store.inventory import repo
from openssm.server.store.inventory.repo import DeletionRow, Scope

DISABLE_SCHEMA, DELETE_SCHEMA = "DisableSchema", "DeleteSchema"
COMPLETE = "Complete"
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Deleted:
    deletion_id: str | None
    type_name: str
    summary: dict[str, Any]


def _summary(counts: dict[str, int]) -> dict[str, Any]:
    return {
        "TotalCount": sum(counts.values()),
        "RemainingCount": 0,
        "SummaryItems": [
            {"Version": version, "Count": count, "RemainingCount": 0}
            for version, count in sorted(counts.items())
        ],
    }


def delete_inventory(
    conn: Connection,
    ctx: RequestContext,
    *,
    type_name: str,
    option: str | None,
    dry_run: bool,
    client_token: str | None,
) -> Deleted:
    scope = Scope(ctx.account_id, ctx.region)
    if not is_custom(type_name):
        raise InvalidTypeNameException(
            f"Only custom inventory types (Custom:<Name>) can be deleted, not {type_name[:100]}."
        )
    if client_token is not None:
        earlier = repo.list_deletions(conn, scope, deletion_id=client_token, offset=0, limit=1)
        if earlier and not dry_run:
            return Deleted(
                deletion_id=earlier[0].deletion_id,
                type_name=earlier[0].type_name,
                summary=json.loads(earlier[0].summary),
            )
    schema = repo.get_schema(conn, scope, type_name)
    if schema is None:
        raise unknown_type(type_name)
    counts = repo.type_counts(conn, scope, type_name)
    summary = _summary(counts)
    if dry_run:
        return Deleted(deletion_id=None, type_name=type_name, summary=summary)
    holders = sorted(repo.items_of_type(conn, scope, type_name))
    repo.delete_items(conn, scope, type_name)
    for instance_id in holders:
        events.write_state_change(
            conn, ctx, instance_id=instance_id, type_name=type_name, action="delete"
        )
    if option == DELETE_SCHEMA:
        repo.delete_schema(conn, scope, type_name)
    elif option == DISABLE_SCHEMA:
        repo.put_schema(
            conn,
            scope,
            repo.SchemaRow(
                type_name=type_name,
                version=schema.version,
                attributes=schema.attributes,
                disabled_version=schema.version,
            ),
            ctx.now,
        )
    deletion_id = client_token or str(uuid.uuid4())
    repo.insert_deletion(
        conn,
        scope,
        DeletionRow(
            deletion_id=deletion_id,
            type_name=type_name,
            started_at=ctx.now,
            last_status=COMPLETE,
            last_status_message="Deletion is successful",
            summary=json.dumps(summary),
            last_status_updated_at=ctx.now,
        ),
    )
    return Deleted(deletion_id=deletion_id, type_name=type_name, summary=summary)


def summary_of(row: DeletionRow) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(row.summary)
    return summary


def describe_inventory_deletions(
    conn: Connection,
    ctx: RequestContext,
    *,
    deletion_id: str | None,
    max_results: int | None,
    next_token: str | None,
) -> tuple[Sequence[DeletionRow], str | None]:
    scope = Scope(ctx.account_id, ctx.region)
    kind = "DescribeInventoryDeletions"
    bound = paging.binding(kind, ctx.account_id, ctx.region, deletion_id)
    offset = 0
    if next_token is not None:
        offset = paging.decode_token(next_token, kind, bound_to=bound).get("o", -1)
        if not isinstance(offset, int) or offset < 0:
            raise InvalidNextToken(paging.MESSAGE)
    page_size = max_results or DEFAULT_PAGE_SIZE
    rows = repo.list_deletions(
        conn, scope, deletion_id=deletion_id, offset=offset, limit=page_size + 1
    )
    if deletion_id is not None and not rows and offset == 0:
        raise InvalidDeletionIdException(f"No inventory deletion has the id {deletion_id}.")
    token = None
    if len(rows) > page_size:
        token = paging.encode_token(kind, {"o": offset + page_size}, bound_to=bound)
    return rows[:page_size], token
