"""Association compliance written for many hosts at once (an association run's results) on a
real store: the same items, roll-ups and events as one PARTIAL put per host, in a few
statements. A deregistered host is skipped, another association's item on a host stays and
counts in its roll-up, a host named twice keeps its last result, and an event is written only
where a host's status for the type changed."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.events.outbox import Scope
from openssm.server.services.compliance import writes
from openssm.server.store.compliance import repo
from openssm.server.store.fleet import instances as fleet_rows
from openssm.server.store.schema import outbox_events
from tests.unit.server.dispatch.world import register_nodes
from tests.unit.server.services.documents.store import ACCOUNT, NOW, REGION, context, open_store

SCOPE = Scope(account_id=ACCOUNT, region=REGION, now=NOW)
EXECUTION = writes.Execution(NOW, "run-1", "Command")


def _result(host: str, association_id: str, succeeded: bool) -> writes.AssociationResult:
    return writes.AssociationResult(
        instance_id=host,
        association_id=association_id,
        document_name="AWS-RunShellScript",
        document_version="$DEFAULT",
        succeeded=succeeded,
        severity="HIGH",
        execution=EXECUTION,
    )


def _summary(conn: Connection, host: str) -> repo.SummaryRow | None:
    key = repo.ResourceKey(ACCOUNT, REGION, writes.MANAGED_INSTANCE, host)
    return repo.summaries_of(conn, key).get(writes.ASSOCIATION)


def _statuses_in_events(conn: Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        sa.select(outbox_events.c.detail).where(
            outbox_events.c.detail_type == "Configuration Compliance State Change"
        )
    )
    return sorted(
        (d["resource-id"], d["compliance-status"]) for d in (json.loads(r[0]) for r in rows)
    )


def test_many_hosts_results_are_written_as_one_put_per_host_would(tmp_path: Path) -> None:
    with open_store(tmp_path) as (store, _keyring):
        ok, failing, gone = register_nodes(store, context(), 3)
        store.write_sync(
            lambda conn: fleet_rows.deregister_instance(
                conn, account_id=ACCOUNT, region=REGION, instance_id=gone, now=NOW
            )
        )
        # The first host already holds another association's failing item.
        store.write_sync(
            lambda conn: writes.put_association_compliance(
                conn, SCOPE, _result(ok, "assoc-other", succeeded=False)
            )
        )
        written = store.write_sync(
            lambda conn: writes.put_association_results(
                conn,
                SCOPE,
                [
                    _result(ok, "assoc-1", succeeded=True),
                    _result(failing, "assoc-1", succeeded=True),
                    _result(failing, "assoc-1", succeeded=False),  # the last one counts
                    _result(gone, "assoc-1", succeeded=True),
                ],
            )
        )
        assert written == 2

        first = store.read_sync(lambda conn: _summary(conn, ok))
        assert first is not None
        # Both of the host's associations count: one compliant, one not, both HIGH.
        assert (first.status, first.overall_severity) == ("NON_COMPLIANT", "HIGH")
        assert (sum(first.compliant), sum(first.non_compliant)) == (1, 1)
        second = store.read_sync(lambda conn: _summary(conn, failing))
        assert second is not None
        assert (second.status, sum(second.compliant), sum(second.non_compliant)) == (
            "NON_COMPLIANT",
            0,
            1,
        )
        assert second.execution == EXECUTION
        assert store.read_sync(lambda conn: _summary(conn, gone)) is None
        # The first host was already NON_COMPLIANT: no second event for it.
        assert store.read_sync(_statuses_in_events) == sorted(
            [(failing, "non_compliant"), (ok, "non_compliant")]
        )

        # The failing host's run succeeds next time: its item is replaced, not added to.
        store.write_sync(
            lambda conn: writes.put_association_results(
                conn, SCOPE, [_result(failing, "assoc-1", succeeded=True)]
            )
        )
        fixed = store.read_sync(lambda conn: _summary(conn, failing))
        assert fixed is not None
        assert (fixed.status, sum(fixed.compliant), sum(fixed.non_compliant)) == (
            "COMPLIANT",
            1,
            0,
        )
        assert (failing, "compliant") in store.read_sync(_statuses_in_events)


def test_an_associations_items_are_cleared_from_many_hosts_at_once(tmp_path: Path) -> None:
    with open_store(tmp_path) as (store, _keyring):
        both, only, spared = register_nodes(store, context(), 3)
        store.write_sync(
            lambda conn: writes.put_association_results(
                conn,
                SCOPE,
                [
                    _result(both, "assoc-1", succeeded=False),
                    _result(both, "assoc-2", succeeded=True),
                    _result(only, "assoc-1", succeeded=True),
                    _result(spared, "assoc-1", succeeded=True),
                ],
            )
        )
        before = store.read_sync(_statuses_in_events)

        cleared = store.write_sync(
            lambda conn: writes.delete_association_items(conn, SCOPE, "assoc-1", [both, only])
        )
        assert cleared == 2
        # The host with another association's item keeps a roll-up of that one alone, and
        # its status changed (an event); the host left with no items has no roll-up.
        rest = store.read_sync(lambda conn: _summary(conn, both))
        assert rest is not None
        assert (rest.status, sum(rest.compliant), sum(rest.non_compliant)) == ("COMPLIANT", 1, 0)
        assert store.read_sync(lambda conn: _summary(conn, only)) is None
        kept = store.read_sync(lambda conn: _summary(conn, spared))
        assert kept is not None
        assert kept.status == "COMPLIANT"
        assert store.read_sync(_statuses_in_events) == sorted([*before, (both, "compliant")])

        # Without hosts named, from every host that has it.
        assert (
            store.write_sync(lambda conn: writes.delete_association_items(conn, SCOPE, "assoc-1"))
            == 1
        )
        assert store.read_sync(lambda conn: _summary(conn, spared)) is None
        assert (
            store.write_sync(lambda conn: writes.delete_association_items(conn, SCOPE, "assoc-1"))
            == 0
        )
