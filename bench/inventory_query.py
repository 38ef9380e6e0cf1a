"""GetInventory over a simulated fleet: a filter on AWS:Application.Name with an aggregator by
version, and the plain listing of the hosts the filter finds, on a SQLite (or PostgreSQL) store.

    python bench/inventory_query.py [--hosts 10000] [--packages 300] [--database-url URL]
    python bench/inventory_query.py --postgres    # a PostgreSQL started for the run

The store is built with the server's migrations and filled through the inventory repository
(one row per package, as agents' reports leave it); the queries run through the inventory
service in one read transaction each, as the API handler runs them. Prints the load time and
each query's median and worst time over ``--repeat`` runs; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import Connection

from openssm.server.context import RequestContext
from openssm.server.services.inventory import reads
from openssm.server.store.engine import Store, create_engine
from openssm.server.store.inventory import repo
from openssm.server.store.migrate import upgrade

# The simulated hosts and the PostgreSQL come from the test suite's helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.integration.inventory.support import store_host
from tests.postgres import PostgresServer

ACCOUNT, REGION = "123456789012", "us-east-1"
NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
OPENSSL_VERSIONS = ("3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "3.0.15-1~deb12u1", "3.0.17-1~deb12u2")


def _package_pool(size: int) -> list[str]:
    return [
        f"lib{word}{n}" for n, word in enumerate(("ssl", "xml", "curl", "z", "ffi") * (size // 5))
    ]


def load(store: Store, hosts: int, packages: int, seed: int) -> float:
    rng = random.Random(seed)  # noqa: S311  # simulated fleet, not secrets
    pool = _package_pool(3000)
    scope = repo.Scope(ACCOUNT, REGION)
    started = time.perf_counter()
    batch = 200
    for first in range(0, hosts, batch):

        def write(conn: Connection, first: int = first) -> None:
            for n in range(first, min(first + batch, hosts)):
                instance_id = f"mi-{n:017x}"
                names = ["openssl", *rng.sample(pool, packages - 1)]
                entries = [
                    {
                        "Name": name,
                        "Version": rng.choice(OPENSSL_VERSIONS)
                        if name == "openssl"
                        else f"{rng.randint(1, 9)}.{rng.randint(0, 20)}-{rng.randint(1, 5)}",
                        "Publisher": "Debian",
                        "Architecture": "x86_64",
                        "ApplicationType": "libs",
                        "Summary": f"the {name} package",
                        "PackageId": f"{name}_1.0_amd64.deb",
                    }
                    for name in names
                ]
                store_host(conn, scope, instance_id, entries, NOW)

        store.write_sync(write)
    return time.perf_counter() - started


def _context() -> RequestContext:
    return RequestContext(
        account_id=ACCOUNT,
        region=REGION,
        principal_arn=f"arn:aws:iam::{ACCOUNT}:root",
        request_id="bench",
        now=NOW,
    )


def timed(store: Store, request: reads.GetInventoryInput, repeat: int) -> tuple[list[float], int]:
    times: list[float] = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        entities, _token = store.read_sync(
            lambda conn: reads.get_inventory(conn, _context(), request, online_cutoff=NOW)
        )
        times.append(time.perf_counter() - started)
        size = len(entities)
    return times, size


def queries() -> dict[str, reads.GetInventoryInput]:
    name = [{"Key": "AWS:Application.Name", "Values": ["openssl"], "Type": "Equal"}]
    prefix = [{"Key": "AWS:Application.Name", "Values": ["libssl1"], "Type": "BeginWith"}]
    return {
        "filter Name=openssl + aggregator Version": reads.GetInventoryInput(
            filters=name, aggregators=[{"Expression": "AWS:Application.Version"}]
        ),
        "filter Name BeginWith libssl1 + aggregator Name>Version": reads.GetInventoryInput(
            filters=prefix,
            aggregators=[
                {
                    "Expression": "AWS:Application.Name",
                    "Aggregators": [{"Expression": "AWS:Application.Version"}],
                }
            ],
        ),
        "filter Name BeginWith libssl1, first 50 hosts": reads.GetInventoryInput(filters=prefix),
        "filter Name=openssl, first 50 hosts with their entries": reads.GetInventoryInput(
            filters=name, result_attributes=[{"TypeName": "AWS:Application"}]
        ),
    }


def run(url: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    upgrade(engine)
    store = Store(engine)
    try:
        loaded = load(store, args.hosts, args.packages, args.seed)
        rows = args.hosts * args.packages
        print(f"loaded {args.hosts} hosts x {args.packages} packages ({rows} rows)", end="")
        print(f" in {loaded:.1f} s ({engine.dialect.name})")
        if engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk write: statistics for the planner and the
            # visibility map that lets it answer from the index alone.
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE inventory_entries"
                )
        for label, request in queries().items():
            times, size = timed(store, request, args.repeat)
            print(
                f"{label}: median {statistics.median(times) * 1000:.0f} ms, "
                f"worst {max(times) * 1000:.0f} ms ({size} entities)"
            )
    finally:
        store.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=13)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    where.add_argument(
        "--postgres", action="store_true", help="a PostgreSQL started for the run (as the tests do)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.postgres:
            run(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}", args)
            return
        # Its own directory: the server chowns it to the postgres user when run as root.
        postgres = PostgresServer(root=Path(tempfile.mkdtemp(prefix="openssm-bench-pg-")))
        postgres.start()
        try:
            run(postgres.create_database(), args)
        finally:
            postgres.stop()
            shutil.rmtree(postgres.root, ignore_errors=True)


if __name__ == "__main__":
    main()
