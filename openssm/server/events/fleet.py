"""The fleet's events: a managed node registered ("SSM Managed Instance Registration") or
deregistered ("SSM Managed Instance Deregistration"), written in the transaction that does it."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events import shapes
from openssm.server.events.outbox import SSM_SOURCE, EventScope, write_event


def instance_registered(conn: Connection, scope: EventScope, instance_id: str, name: str) -> None:
    detail = {"instance-id": instance_id, "computer-name": name}
    arn = arns.managed_instance_arn(scope.region, scope.account_id, instance_id)
    write_event(conn, scope, SSM_SOURCE, shapes.INSTANCE_REGISTRATION, [arn], detail)


def instance_deregistered(conn: Connection, scope: EventScope, instance_id: str) -> None:
    arn = arns.managed_instance_arn(scope.region, scope.account_id, instance_id)
    detail = {"instance-id": instance_id}
    write_event(conn, scope, SSM_SOURCE, shapes.INSTANCE_DEREGISTRATION, [arn], detail)
