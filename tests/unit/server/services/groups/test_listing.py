"""ListGroups pages over a filter that skips most groups, against a real SQLite store: the scan
goes past its batches until a page is full, and the token resumes after the page's last group."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from openssm.server.services.groups import groups, listing
from openssm.server.store.engine import Store
from tests.unit.server.services.documents.store import context, open_store

QUERY = {"Type": "TAG_FILTERS_1_0", "Query": json.dumps({"TagFilters": [{"Key": "k"}]})}
WANTED = {10, 250, 440}  # spread over several of the scan's batches of 200


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path) as (opened, _keyring):
        ctx = context()
        requests = [
            groups.CreateInput(
                name=f"g{i:03}", resource_query=QUERY, owner="me" if i in WANTED else "other"
            )
            for i in range(450)
        ]
        opened.write_sync(lambda conn: [groups.create_group(conn, ctx, r) for r in requests])
        yield opened


def test_a_filter_pages_through_every_batch(store: Store) -> None:
    ctx = context()
    mine = [{"Name": "owner", "Values": ["me"]}]
    first, token = store.read_sync(
        lambda conn: listing.list_groups(conn, ctx, filters=mine, max_results=2, next_token=None)
    )
    assert [g.name for g in first] == ["g010", "g250"]
    assert token is not None
    assert re.fullmatch(r"[a-zA-Z0-9+/]*={0,2}", token)  # the model's NextToken pattern
    second, last = store.read_sync(
        lambda conn: listing.list_groups(conn, ctx, filters=mine, max_results=2, next_token=token)
    )
    assert ([g.name for g in second], last) == (["g440"], None)
    everything, _ = store.read_sync(
        lambda conn: listing.list_groups(conn, ctx, filters=None, max_results=None, next_token=None)
    )
    assert len(everything) == listing.DEFAULT_PAGE_SIZE
