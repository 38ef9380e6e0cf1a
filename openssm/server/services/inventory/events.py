"""The "Inventory Resource State Change" event, with AWS's detail fields.

AWS sends it when a custom type's data is deleted from a managed node (``action``
``delete``); openssm also sends it, with ``action`` ``put``, when a node's data of a type
changes (a new ContentHash), so rules can follow what hosts install.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events.outbox import SSM_SOURCE, EventScope, write_event

DETAIL_TYPE = "Inventory Resource State Change"


def write_state_change(
    conn: Connection, scope: EventScope, *, instance_id: str, type_name: str, action: str
) -> None:
    detail = {
        "action-status": "succeeded",
        "action": action,
        "resource-type": "managed-instance",
        "type-name": type_name,
    }
    resource = arns.managed_instance_arn(scope.region, scope.account_id, instance_id)
    write_event(conn, scope, SSM_SOURCE, DETAIL_TYPE, [resource], detail)
