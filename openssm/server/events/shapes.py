"""What events and notifications look like on the wire: EventBridge's envelope, the details of
the events openssm emits, and Run Command's SNS-style notification messages. Pure.

Detail-types and detail fields are AWS's (EventBridge event examples for Systems Manager), except
``PING_STATUS_CHANGE``, which is openssm's own: AWS emits no event when a node's ping status
changes. Nothing here ever carries a secret: callers pass names, ids and statuses.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

COMMAND_STATUS_CHANGE = "EC2 Command Status-change Notification"
INVOCATION_STATUS_CHANGE = "EC2 Command Invocation Status-change Notification"
INSTANCE_REGISTRATION = "SSM Managed Instance Registration"
INSTANCE_DEREGISTRATION = "SSM Managed Instance Deregistration"
# openssm's own detail-type (source aws.ssm, like the rest), documented in the README.
PING_STATUS_CHANGE = "openssm Managed Instance Ping Status Change"

# Run Command's NotificationEvents, and the statuses each one covers. Pending and Cancelling
# are never notified (AWS sends neither).
NOTIFIED_STATUSES: Mapping[str, frozenset[str]] = {
    "InProgress": frozenset({"InProgress"}),
    "Success": frozenset({"Success"}),
    "TimedOut": frozenset({"TimedOut"}),
    "Cancelled": frozenset({"Cancelled"}),
    "Failed": frozenset({"Failed"}),
}
ALL_NOTIFIED = frozenset().union(*NOTIFIED_STATUSES.values())

# Event ids are stable per outbox row: a receiver can drop a redelivered event by its id.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1d0c8e-3b7a-4f0e-9a52-0e6f5b1c2d3a")


def wire_time(value: dt.datetime) -> str:
    """EventBridge's ``time``: UTC to the second, with a Z."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_time_ms(value: dt.datetime) -> str:
    """Run Command's detail times: UTC to the millisecond, with a Z."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """One outbox row, decoded."""

    outbox_id: int
    account_id: str
    region: str
    created_at: dt.datetime
    source: str
    detail_type: str
    resources: Sequence[str]
    detail: Mapping[str, Any]


def event_id(event: StoredEvent) -> str:
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{event.account_id}/{event.outbox_id}"))


def envelope(event: StoredEvent) -> dict[str, Any]:
    """The event as EventBridge delivers it to a target."""
    return {
        "version": "0",
        "id": event_id(event),
        "detail-type": event.detail_type,
        "source": event.source,
        "account": event.account_id,
        "time": wire_time(event.created_at),
        "region": event.region,
        "resources": list(event.resources),
        "detail": dict(event.detail),
    }


def ordering_key(event: StoredEvent) -> str:
    """Events with the same key reach a target in the order they were written: one command's
    status changes, one invocation's, one parameter's, one node's."""
    detail = event.detail
    command_id = detail.get("command-id")
    if isinstance(command_id, str):
        instance_id = detail.get("instance-id")
        return f"{command_id}/{instance_id}" if isinstance(instance_id, str) else command_id
    if event.resources:
        return event.resources[0]
    return f"event/{event.outbox_id}"


# --- Run Command ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandFacts:
    """What Run Command's events and notifications say about a command."""

    command_id: str
    document_name: str
    requested_at: dt.datetime
    expires_at: dt.datetime
    parameters: Mapping[str, Sequence[str]]
    instance_ids: Sequence[str]
    output_s3_bucket: str
    output_s3_prefix: str
    notification_config: Mapping[str, Any]


def command_detail(facts: CommandFacts, status: str) -> dict[str, Any]:
    return {
        "command-id": facts.command_id,
        "document-name": facts.document_name,
        "expire-after": wire_time_ms(facts.expires_at),
        "parameters": {k: list(v) for k, v in facts.parameters.items()},
        "requested-date-time": wire_time_ms(facts.requested_at),
        "status": status,
    }


def invocation_detail(facts: CommandFacts, instance_id: str, status: str) -> dict[str, Any]:
    return {
        "command-id": facts.command_id,
        "document-name": facts.document_name,
        "instance-id": instance_id,
        "requested-date-time": wire_time_ms(facts.requested_at),
        "status": status,
    }


def notification_wanted(config: Mapping[str, Any], kind: str, status: str) -> bool:
    """Whether SendCommand's NotificationConfig asks for a ``kind`` (Command or Invocation)
    notification of ``status``."""
    if not config.get("NotificationArn") or status not in ALL_NOTIFIED:
        return False
    if config.get("NotificationType", "Command") != kind:
        return False
    wanted = config.get("NotificationEvents") or ["All"]
    return "All" in wanted or any(status in NOTIFIED_STATUSES.get(w, ()) for w in wanted)


def command_message(facts: CommandFacts, status: str, at: dt.datetime) -> dict[str, Any]:
    """The SNS message of a Command notification (AWS's fields; instanceIds only when the
    command named its nodes by id)."""
    message: dict[str, Any] = {
        "commandId": facts.command_id,
        "documentName": facts.document_name,
        "eventTime": wire_time_ms(at),
        "expiresAfter": wire_time_ms(facts.expires_at),
        "outputS3BucketName": facts.output_s3_bucket,
        "outputS3KeyPrefix": facts.output_s3_prefix,
        "requestedDateTime": wire_time_ms(facts.requested_at),
        "status": status,
    }
    if facts.instance_ids:
        message["instanceIds"] = list(facts.instance_ids)
    return message


def invocation_message(
    facts: CommandFacts, instance_id: str, status: str, at: dt.datetime
) -> dict[str, Any]:
    """The SNS message of an Invocation notification."""
    return {
        "commandId": facts.command_id,
        "documentName": facts.document_name,
        "eventTime": wire_time_ms(at),
        "instanceId": instance_id,
        "requestedDateTime": wire_time_ms(facts.requested_at),
        "status": status,
    }


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
