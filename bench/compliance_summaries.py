"""ListComplianceSummaries and ListResourceComplianceSummaries over a large fleet; prints times.

Starts a server (SQLite in a temp dir, or a PostgreSQL started for the run with --postgres),
writes --hosts registered managed instances and their compliance straight into its store
through the same put_items the API uses (each host: --associations Association items, a
tenth of them non-compliant, and --items Custom:Baseline items, a fiftieth non-compliant),
then times the listings through boto3. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.deployed import AS_DEPLOYED
from openssm.server.events.outbox import Scope
from openssm.server.services.compliance import writes
from openssm.server.store.engine import Store, create_engine
from openssm.server.store.fleet.tables import managed_instances
from tests.postgres import PostgresServer
from tests.support import TEST_ACCOUNT_ID, TEST_REGION, ServerProcess

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")


def populate(database_url: str, hosts: int, items: int, associations: int) -> float:
    """Register ``hosts`` instances and write their compliance; returns the seconds it took."""
    store = Store(create_engine(database_url))
    now = dt.datetime.now(dt.UTC)
    scope = Scope(account_id=TEST_ACCOUNT_ID, region=TEST_REGION, now=now)
    ids = [f"mi-{secrets.token_hex(9)[:17]}" for _ in range(hosts)]
    started = time.monotonic()
    store.write_sync(
        lambda conn: conn.execute(
            managed_instances.insert(),
            [
                {
                    "instance_id": i,
                    "account_id": TEST_ACCOUNT_ID,
                    "region": TEST_REGION,
                    "activation_id": "bench",
                    "iam_role": "bench",
                    "public_key": b"\0" * 32,
                    "registered_at": now,
                }
                for i in ids
            ],
        )
    )
    execution = writes.Execution(now, "bench", "Command")

    def write(conn: Connection, first: int) -> None:
        for index, instance_id in enumerate(ids[first : first + 500], start=first):
            for n in range(associations):
                writes.put_association_compliance(
                    conn,
                    scope,
                    writes.AssociationResult(
                        instance_id=instance_id,
                        association_id=f"assoc-{n}",
                        document_name="AWS-RunShellScript",
                        document_version="1",
                        succeeded=(index + n) % 10 != 0,
                        execution=execution,
                    ),
                )
            baseline = [
                writes.Item(
                    item_id=f"rule-{k}",
                    severity=SEVERITIES[(index + k) % len(SEVERITIES)],
                    status="NON_COMPLIANT" if (index * 7 + k) % 50 == 0 else "COMPLIANT",
                    title=f"rule {k}",
                    details={"Expected": "yes"},
                )
                for k in range(items)
            ]
            request = writes.PutRequest(
                resource_id=instance_id,
                compliance_type="Custom:Baseline",
                execution=execution,
                items=baseline,
            )
            writes.put_items(conn, scope, request)

    for first in range(0, hosts, 500):
        store.write_sync(functools.partial(write, first=first))
    elapsed = time.monotonic() - started
    rows = store.read_sync(
        lambda conn: conn.execute(sa.text("SELECT count(*) FROM compliance_items")).scalar()
    )
    store.close()
    print(f"wrote {hosts:,} hosts, {rows:,} items in {elapsed:.1f} s")
    return elapsed


def timed(call: object, runs: int, **kwargs: object) -> tuple[float, float, object]:
    """(median ms, slowest ms, last answer) of ``runs`` calls."""
    times = []
    answer: object = None
    for _ in range(runs):
        started = time.perf_counter()
        answer = call(**kwargs)  # type: ignore[operator]  # a boto3 client method
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=10, help="Custom:Baseline items per host")
    parser.add_argument("--associations", type=int, default=2, help="Association items per host")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="a PostgreSQL for the run")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="openssm-bench-")) / "server"
    postgres = None
    database_url = None
    if args.postgres:
        postgres = PostgresServer(root=Path(tempfile.mkdtemp(prefix="openssm-bench-pg-")))
        postgres.start()
        database_url = postgres.create_database()
    server = ServerProcess(data_dir=data_dir, database_url=database_url, env=AS_DEPLOYED)
    server.start()
    try:
        populate(
            database_url or f"sqlite:///{data_dir / 'openssm.db'}",
            args.hosts,
            args.items,
            args.associations,
        )
        ssm = server.client()
        store = "PostgreSQL" if args.postgres else "SQLite"
        median, worst, answer = timed(ssm.list_compliance_summaries, args.runs)
        types = answer["ComplianceSummaryItems"]  # type: ignore[index]
        print(
            f"ListComplianceSummaries ({store}, {args.hosts:,} hosts, {len(types)} types): "
            f"median {median:.1f} ms, slowest {worst:.1f} ms"
        )
        failing = [{"Key": "Status", "Values": ["NON_COMPLIANT"], "Type": "EQUAL"}]
        median, worst, _ = timed(ssm.list_resource_compliance_summaries, args.runs, Filters=failing)
        print(
            f"ListResourceComplianceSummaries, NON_COMPLIANT, first page: "
            f"median {median:.1f} ms, slowest {worst:.1f} ms"
        )
    finally:
        server.stop()
        if postgres:
            postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
