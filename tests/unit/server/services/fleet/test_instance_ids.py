"""A managed instance id is never handed out twice, not even after deregistration
(SECURITY.md #9). Runs against a real SQLite store in a temporary directory."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy.engine import Connection

from openssm import ids
from openssm.server.services.fleet.instances import fresh_instance_id
from openssm.server.store import migrate
from openssm.server.store.engine import Store, create_engine
from openssm.server.store.fleet import instances as repo
from openssm.server.store.fleet.instances import InstanceRow

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_a_deregistered_id_is_skipped(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=1)
    migrate.upgrade(engine)
    store = Store(engine, worker_threads=1)
    retired, fresh = "mi-0000000000000000a", "mi-0000000000000000b"

    def setup(conn: Connection) -> None:
        repo.insert_instance(
            conn,
            InstanceRow(
                instance_id=retired,
                account_id="123456789012",
                region="us-east-1",
                activation_id="00000000-0000-0000-0000-000000000000",
                name=None,
                iam_role="r",
                public_key=b"k" * 32,
                fingerprint=None,
                registered_at=T0,
            ),
        )
        repo.deregister_instance(
            conn,
            account_id="123456789012",
            region="us-east-1",
            instance_id=retired,
            now=T0,
        )

    try:
        store.write_sync(setup)
        offered = iter([retired, retired, fresh])
        assert store.read_sync(lambda conn: fresh_instance_id(conn, lambda: next(offered))) == fresh
    finally:
        store.close()


def test_generated_ids_have_the_aws_shape() -> None:
    made = {ids.managed_instance_id() for _ in range(100)}
    assert len(made) == 100
    assert all(re.fullmatch(r"mi-[0-9a-f]{17}", i) for i in made)
