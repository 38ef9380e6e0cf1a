"""A real, migrated SQLite store and keyring for the document service tests (no mocks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.store import migrate
from openssm.server.store.engine import Store, create_engine

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def context(account_id: str = ACCOUNT, region: str = REGION) -> RequestContext:
    return RequestContext(
        account_id=account_id,
        region=region,
        principal_arn=f"arn:aws:iam::{account_id}:user/tester",
        request_id="test-request",
        now=NOW,
    )


@contextmanager
def open_store(root: Path) -> Iterator[tuple[Store, Keyring]]:
    engine = create_engine(f"sqlite:///{root / 'store.sqlite'}")
    migrate.upgrade(engine)
    store = Store(engine, worker_threads=1)
    try:
        yield store, Keyring.load_or_create(root / "keys" / "keyring.json")
    finally:
        store.close()
