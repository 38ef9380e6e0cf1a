"""Run Command's events, written where statuses change (in that transaction): a command's
roll-up ("EC2 Command Status-change Notification") and each invocation's ("EC2 Command
Invocation Status-change Notification"). SendCommand's NotificationConfig is read from the
command when the relay routes these events, so nothing else is written here."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events import shapes
from openssm.server.events.outbox import SSM_SOURCE, Scope, write_event, write_events
from openssm.server.store.commands import repo
from openssm.statuses import INVOCATION_STATUS, InvocationDetail


def facts(command: repo.CommandRow) -> shapes.CommandFacts:
    return _facts(
        command.command_id,
        command.document_name,
        command.requested_at,
        command.expires_at,
        command.parameters,
        command.instance_ids,
        command.output_s3_bucket,
        command.output_s3_prefix,
        command.notification_config,
    )


# A command's facts never change, and every status change of its invocations and of itself
# (a dozen and more per command) needs them: its JSON is parsed once, not per event.
@functools.lru_cache(maxsize=256)
def _facts(
    command_id: str,
    document_name: str,
    requested_at: dt.datetime,
    expires_at: dt.datetime,
    parameters: str,
    instance_ids: str,
    output_s3_bucket: str,
    output_s3_prefix: str,
    notification_config: str,
) -> shapes.CommandFacts:
    return shapes.CommandFacts(
        command_id=command_id,
        document_name=document_name,
        requested_at=requested_at,
        expires_at=expires_at,
        parameters=json.loads(parameters or "{}"),
        instance_ids=json.loads(instance_ids or "[]"),
        output_s3_bucket=output_s3_bucket,
        output_s3_prefix=output_s3_prefix,
        notification_config=json.loads(notification_config or "{}"),
    )


def _scope(command: repo.CommandRow, now: dt.datetime) -> Scope:
    return Scope(account_id=command.account_id, region=command.region, now=now)


def command_status_changed(
    conn: Connection, command: repo.CommandRow, status: str, now: dt.datetime
) -> None:
    """The command's Status became ``status`` (the caller checked that it changed)."""
    resources = [
        arns.managed_instance_arn(command.region, command.account_id, instance_id)
        for instance_id in json.loads(command.instance_ids or "[]")
    ]
    detail = shapes.command_detail(facts(command), status)
    write_event(
        conn, _scope(command, now), SSM_SOURCE, shapes.COMMAND_STATUS_CHANGE, resources, detail
    )


def invocations_changed(
    conn: Connection,
    command: repo.CommandRow,
    instance_ids: Iterable[str],
    details: InvocationDetail | str,
    now: dt.datetime,
) -> None:
    """These invocations' StatusDetails became ``details``: one event each, with the Status
    it shows (ExecutionTimedOut shows TimedOut, and so on)."""
    status = INVOCATION_STATUS[InvocationDetail(details)]
    # One detail made for the command; each invocation's differs in its instance id only.
    common = shapes.invocation_detail(facts(command), "", status)
    events = [
        (
            [arns.managed_instance_arn(command.region, command.account_id, instance_id)],
            {**common, "instance-id": instance_id},
        )
        for instance_id in instance_ids
    ]
    write_events(conn, _scope(command, now), SSM_SOURCE, shapes.INVOCATION_STATUS_CHANGE, events)
