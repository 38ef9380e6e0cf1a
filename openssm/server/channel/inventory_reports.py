"""An agent's inventory frame → PutInventory for the channel's own instance → its ack.

The instance is the authenticated channel's (SECURITY.md #7): a frame cannot name another.
A report the rules refuse is answered with the error's message, never by closing the channel.
"""

from __future__ import annotations

import logging

from openssm.errors import ApiError
from openssm.protocol.frames import InventoryAckFrame, InventoryFrame
from openssm.server.runtime import Runtime
from openssm.server.services.inventory import writes

log = logging.getLogger("openssm.channel.inventory")


async def inventory_ack(
    runtime: Runtime, instance_id: str, frame: InventoryFrame
) -> InventoryAckFrame:
    items = [
        writes.PutItem(
            type_name=i.type_name,
            schema_version=i.schema_version,
            capture_time=i.capture_time,
            content=i.content,
            content_hash=i.content_hash,
        )
        for i in frame.items
    ]
    now = runtime.clock.now()
    try:
        wanted = await runtime.store.write(
            lambda conn: writes.put_from_agent(conn, now, instance_id, items)
        )
    except ApiError as exc:
        log.info("inventory of %s refused: %s: %s", instance_id, exc.code, exc.message)
        return InventoryAckFrame(report_id=frame.report_id, error=f"{exc.code}: {exc.message}")
    return InventoryAckFrame(report_id=frame.report_id, content_wanted=wanted)
