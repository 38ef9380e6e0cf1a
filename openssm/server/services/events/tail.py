"""What ``openssm events tail`` reads: the caller's events as they are written, in outbox
order, shaped as EventBridge delivers them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from openssm.server.context import RequestContext
from openssm.server.events import shapes
from openssm.server.events.routing import stored_event
from openssm.server.store.events import deliveries

BATCH = 500


def newest_id(conn: Connection) -> int:
    """Where a tail starts: after every event already written."""
    return deliveries.last_event_id(conn)


def events_after(
    conn: Connection, ctx: RequestContext, after: int
) -> list[tuple[int, dict[str, Any]]]:
    """(outbox id, envelope) of the caller's account and region's events after ``after``."""
    rows = deliveries.events_after(
        conn, account_id=ctx.account_id, region=ctx.region, after=after, limit=BATCH
    )
    return [(row.id, shapes.envelope(stored_event(row))) for row in rows]
