"""The journal of hosts whose registration or tags changed (``instance_changes``).

A write that can change which targets a host matches (registration, deregistration, a tag
added or removed) notes the host here in its own transaction; a consumer (the association
scheduler) takes the notes and works out what follows. Noting is one small insert, so tag
writes stay cheap, and nothing is lost when the consumer is busy or on another replica.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.fleet.tables import instance_changes


def note(conn: Connection, *, account_id: str, region: str, instance_id: str) -> None:
    conn.execute(
        instance_changes.insert().values(
            account_id=account_id, region=region, instance_id=instance_id
        )
    )


def take(conn: Connection, *, limit: int) -> list[tuple[str, str, str]]:
    """The oldest notes, at most ``limit``, removed as they are read: (account, region,
    instance id), each host once. The caller's transaction makes taking and acting one."""
    rows = conn.execute(
        sa.select(
            instance_changes.c.change_id,
            instance_changes.c.account_id,
            instance_changes.c.region,
            instance_changes.c.instance_id,
        )
        .order_by(instance_changes.c.change_id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    conn.execute(instance_changes.delete().where(instance_changes.c.change_id <= rows[-1][0]))
    return list(dict.fromkeys((r[1], r[2], r[3]) for r in rows))
