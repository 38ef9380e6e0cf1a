"""Which managed nodes a command runs on: InstanceIds, or Targets as SendCommand takes them.

Targets keys (``shared/ssm-api.md`` §2.3): ``InstanceIds`` (``*`` for every node),
``tag:<key>`` (any of the values), ``tag-key`` (any of the keys), ``resource-groups:Name`` and
``resource-groups:ResourceTypeFilters`` (``group_targets.py``). Several keys are ANDed,
several values of one key ORed. Deregistered nodes are never targets; nodes that are not
connected are, and wait for delivery until the command's delivery timeout.

``parse_targets`` is pure; ``resolve`` reads the fleet and the caller's resource groups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import InvalidInstanceId, InvalidParameters, ValidationException
from openssm.server.services.commands import group_targets
from openssm.server.services.groups import groups as resource_groups
from openssm.server.store.fleet import instances as fleet_rows

_RESOLVE_PAGE = 1000
_TAG_PREFIX = "tag:"
# Nodes a command can be delivered to: registered and not deregistered.
_TARGETABLE = frozenset({"Online", "ConnectionLost"})


@dataclass(frozen=True, slots=True)
class Target:
    """One node the command runs on."""

    instance_id: str
    name: str
    platform_type: str | None


def parse_targets(
    targets: Sequence[Mapping[str, Any]], *, groups: group_targets.GroupQueries
) -> tuple[fleet_rows.Condition, ...]:
    """Targets as fleet conditions; InvalidParameters for a key SendCommand does not take.
    ``groups`` finds the query of a group named by ``resource-groups:Name``."""
    conditions: list[fleet_rows.Condition] = []
    for target in targets:
        key = str(target.get("Key", ""))
        values = [str(v) for v in target.get("Values") or []]
        if not values:
            raise InvalidParameters(f"Target {key!r} needs at least one value.")
        if key.lower() == "instanceids":
            if "*" not in values:
                conditions.append(fleet_rows.ColumnIn("instance_id", frozenset(values)))
        elif key.startswith(_TAG_PREFIX) and len(key) > len(_TAG_PREFIX):
            conditions.append(fleet_rows.TagIn(key[len(_TAG_PREFIX) :], frozenset(values)))
        elif key == "tag-key":
            conditions.append(fleet_rows.TagKeyIn(frozenset(values)))
        elif key.startswith(group_targets.KEY_PREFIX):
            conditions.extend(group_targets.conditions(key, values, groups))
        else:
            raise InvalidParameters(
                f"Target key {key!r} is not supported. Use InstanceIds, tag:<key>, tag-key, "
                "resource-groups:Name or resource-groups:ResourceTypeFilters."
            )
    return tuple(conditions)


def check_choice(instance_ids: Sequence[str] | None, targets: Sequence[Any] | None) -> None:
    if bool(instance_ids) == bool(targets):
        raise ValidationException("Specify either InstanceIds or Targets (one of them, not both).")


def resolve(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    online_cutoff: dt.datetime,
    instance_ids: Sequence[str] | None,
    targets: Sequence[Mapping[str, Any]] | None,
) -> list[Target]:
    """The nodes to run on, by instance id. InvalidInstanceId when an instance id given
    directly is not a registered node of the caller's account and region."""
    if instance_ids:
        wanted = frozenset(instance_ids)
        conditions: tuple[fleet_rows.Condition, ...] = (fleet_rows.ColumnIn("instance_id", wanted),)
    else:
        wanted = frozenset()
        conditions = parse_targets(
            targets or (),
            groups=lambda name: resource_groups.query_of(
                conn, account_id=account_id, region=region, name=name
            ),
        )
    found = _select(conn, account_id, region, online_cutoff, conditions)
    missing = wanted - {t.instance_id for t in found}
    if missing:
        listed = ", ".join(sorted(missing))
        raise InvalidInstanceId(
            f"Instances [{listed}] are not registered managed nodes of this account and region."
        )
    return found


def _select(
    conn: Connection,
    account_id: str,
    region: str,
    online_cutoff: dt.datetime,
    conditions: tuple[fleet_rows.Condition, ...],
) -> list[Target]:
    found: list[Target] = []
    after: str | None = None
    while True:
        query = fleet_rows.InstanceQuery(
            account_id=account_id,
            region=region,
            online_cutoff=online_cutoff,
            conditions=(*conditions, fleet_rows.PingStatusIn(_TARGETABLE)),
            after=after,
        )
        page = fleet_rows.list_instances(conn, query, limit=_RESOLVE_PAGE)
        found.extend(
            Target(row.instance_id, row.computer_name or "", row.platform_type) for row, _ in page
        )
        if len(page) < _RESOLVE_PAGE:
            return found
        after = page[-1][0].instance_id
