"""GetInventory's Name filters read the index, on SQLite and a real PostgreSQL: every query a
BeginWith filter makes over a type's entries is an index range on the indexed Name column
(``name >= prefix AND name < prefix + U+10FFFF``), never a LIKE or a scan of the type, and one
host's entries are read through its key, as the database's own plan for each query says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.context import RequestContext
from openssm.server.services.inventory import reads
from openssm.server.store.engine import Store
from openssm.server.store.inventory import repo
from tests.integration.inventory.support import store_host
from tests.stores import migrated_store

ACCOUNT, REGION = "123456789012", "us-east-1"
NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
INDEX = "ix_inventory_entries_name"
PREFIX = [{"Key": "AWS:Application.Name", "Values": ["libssl"], "Type": "BeginWith"}]
EQUAL = [{"Key": "AWS:Application.Name", "Values": ["libssl7"], "Type": "Equal"}]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with migrated_store(request, tmp_path_factory) as handle:
        handle.write_sync(_fill)
        if handle.engine.dialect.name == "postgresql":
            with handle.engine.connect() as conn:  # statistics, as autovacuum gathers them
                conn.exec_driver_sql("ANALYZE inventory_entries")
                conn.commit()
        yield handle


def _fill(conn: Connection) -> None:
    """200 hosts of 20 packages, one of them libssl<n>: the prefix selects a twentieth."""
    for n in range(200):
        words = ["ssl", *(f"x{k}" for k in range(19))]
        apps = [{"Name": f"lib{w}{n}", "Version": "1.0"} for w in words]
        store_host(conn, repo.Scope(ACCOUNT, REGION), f"mi-{n:017x}", apps, NOW)


def _statements(store: Store, request: reads.GetInventoryInput) -> list[tuple[str, Any]]:
    """The statements GetInventory sends that range over names, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if "FROM inventory_entries" in statement and "inventory_entries.name " in statement:
            seen.append((statement, parameters))

    ctx = RequestContext(
        account_id=ACCOUNT, region=REGION, principal_arn="arn", request_id="r", now=NOW
    )
    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.read_sync(lambda conn: reads.get_inventory(conn, ctx, request, online_cutoff=NOW))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    return seen


def _plan(store: Store, statement: str, parameters: Any) -> str:
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(r[-1]) for r in rows)
        # A small table is cheaper to scan whole: the question is whether the index serves
        # the range, so the plan is asked with whole-table scans priced out.
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))


@pytest.mark.parametrize(
    "request_",
    [
        reads.GetInventoryInput(filters=PREFIX),
        reads.GetInventoryInput(
            filters=PREFIX, aggregators=[{"Expression": "AWS:Application.Version"}]
        ),
        reads.GetInventoryInput(
            filters=PREFIX, result_attributes=[{"TypeName": "AWS:Application"}]
        ),
        reads.GetInventoryInput(filters=EQUAL),
        reads.GetInventoryInput(
            filters=EQUAL, aggregators=[{"Expression": "AWS:Application.Version"}]
        ),
    ],
    ids=["hosts", "aggregated", "with-entries", "equal-hosts", "equal-aggregated"],
)
def test_a_name_filter_reads_an_index_range(
    store: Store, request_: reads.GetInventoryInput
) -> None:
    statements = _statements(store, request_)
    assert statements, "no query ranged over names"
    for statement, parameters in statements:
        assert " LIKE " not in statement.upper()
        plan = _plan(store, statement, parameters)
        if "inventory_entries.instance_id = " in statement:
            # One host's entries, narrowed by name: read through the primary key, never all.
            assert "SCAN inventory_entries\n" not in plan + "\n", plan
            assert "Seq Scan" not in plan, plan
            continue
        assert INDEX in plan, plan
        if store.engine.dialect.name == "sqlite":
            assert "type_name=? AND name" in plan, plan
        else:
            assert any("Index Cond" in line and "name" in line for line in plan.splitlines()), plan
