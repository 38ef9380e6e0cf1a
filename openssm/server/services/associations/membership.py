"""Which hosts an association applies to, as the fleet changes.

Targets are resolved when a run starts; between runs the association keeps the set of hosts
it knows (``instance_associations``). A host that registers, or whose tags change, is
matched again (``follow_changes``, from the fleet's change journal): one that joined the
targets is marked to be applied to, one that left loses its state and its compliance.
Creating or updating an association settles its known hosts at once (``settle``), so a change
that happened before the association existed never counts as the host joining it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.engine import Connection

from openssm.server.events.outbox import EventScope, Scope
from openssm.server.services.associations import compliance_link, spec
from openssm.server.services.commands import targets
from openssm.server.services.groups import groups as resource_groups
from openssm.server.store.associations import repo, runs
from openssm.server.store.associations.repo import AssociationRow
from openssm.server.store.fleet import changes as fleet_changes
from openssm.server.store.fleet import instances as fleet_rows

CHANGES_PER_PASS = 2000
TARGETABLE = frozenset({"Online", "ConnectionLost"})
ONLINE = frozenset({"Online"})


def settle(conn: Connection, scope: EventScope, row: AssociationRow) -> None:
    """Make the association's known hosts its targets now: new ones Pending (a run, at once
    or on schedule, will reach them), ones no longer targeted forgotten."""
    matching = set(targeted(conn, row, scope.now))
    known = runs.instances_of(conn, row.association_id)
    runs.start_on(
        conn, row.association_id, row.version, sorted(matching - known), detail="Associated"
    )
    left = sorted(known - matching)
    if left:
        runs.forget_instances(conn, row.association_id, left)
        compliance_link.clear(conn, scope, row.association_id, left)


def targeted(conn: Connection, row: AssociationRow, now: dt.datetime) -> list[str]:
    settings: spec.Spec = json.loads(row.spec)
    if row.instance_id is not None:
        return [row.instance_id]
    return [
        t.instance_id
        for t in targets.resolve(
            conn,
            account_id=row.account_id,
            region=row.region,
            online_cutoff=now,
            instance_ids=None,
            targets=settings.get("Targets") or (),
        )
    ]


def follow_changes(conn: Connection, now: dt.datetime, online_cutoff: dt.datetime) -> int:
    changes = fleet_changes.take(conn, limit=CHANGES_PER_PASS)
    by_scope: dict[tuple[str, str], list[str]] = defaultdict(list)
    for account_id, region, instance_id in changes:
        by_scope[(account_id, region)].append(instance_id)
    for (account_id, region), changed in by_scope.items():
        scope = Scope(account_id=account_id, region=region, now=now)
        for row in repo.all_in_scope(conn, account_id=account_id, region=region):
            if row.instance_id is not None:
                continue  # a legacy association names its one host; tags do not move it
            now_in = set(matching(conn, row, online_cutoff, changed, statuses=TARGETABLE))
            known = runs.instances_of(conn, row.association_id) & set(changed)
            joined = sorted(now_in - known)
            left = sorted(known - now_in)
            if joined:
                runs.mark_needs_apply(conn, row.association_id, row.version, joined)
            if left:
                runs.forget_instances(conn, row.association_id, left)
                compliance_link.clear(conn, scope, row.association_id, left)
    return len(changes)


def matching(
    conn: Connection,
    row: AssociationRow,
    online_cutoff: dt.datetime,
    among: Iterable[str],
    *,
    statuses: frozenset[str],
    by_targets: bool = True,
) -> list[str]:
    """Which of the hosts ``among`` are in the association's targets (when ``by_targets``)
    and in one of ``statuses``."""
    wanted = frozenset(among)
    if not wanted:
        return []
    conditions: tuple[fleet_rows.Condition, ...] = (
        fleet_rows.ColumnIn("instance_id", wanted),
        fleet_rows.PingStatusIn(statuses),
    )
    if by_targets:
        settings: spec.Spec = json.loads(row.spec)
        conditions += targets.parse_targets(
            settings.get("Targets") or (),
            groups=lambda name: resource_groups.query_of(
                conn, account_id=row.account_id, region=row.region, name=name
            ),
        )
    query = fleet_rows.InstanceQuery(
        account_id=row.account_id,
        region=row.region,
        online_cutoff=online_cutoff,
        conditions=conditions,
    )
    return [
        found.instance_id for found, _ in fleet_rows.list_instances(conn, query, limit=len(wanted))
    ]
