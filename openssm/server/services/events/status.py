"""Where each target's deliveries stand: what waits (retrying), what went (kept a week) and
what was dead-lettered, with the last error, for `openssm events deliveries` on the server's
host. AWS shows this as CloudWatch metrics of a rule; openssm keeps it in its store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.server.store.events import deliveries
from openssm.server.store.events import rules as repo


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetState:
    rule: str  # the rule's name, or the notification topic's ARN
    target_id: str
    kind: str
    destination: str
    pending: int
    delivered: int
    dead: int
    last_error: str


def target_states(conn: Connection, *, account_id: str, region: str) -> list[TargetState]:
    found = repo.targets_in(conn, account_id=account_id, region=region)
    rows = [target.id for _, target in found]
    counts = deliveries.delivery_counts(conn, rows)
    errors = deliveries.last_errors(conn, rows)
    states = []
    for owner, target in found:
        count = counts.get(target.id, {})
        states.append(
            TargetState(
                rule=owner,
                target_id=target.target_id,
                kind=target.kind,
                destination=target.address,
                pending=count.get(deliveries.PENDING, 0),
                delivered=count.get(deliveries.DELIVERED, 0),
                dead=count.get(deliveries.DEAD, 0),
                last_error=errors.get(target.id, ""),
            )
        )
    return states
