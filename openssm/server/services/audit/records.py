"""From a finished call to its CloudTrail record, and to the row that keeps it. Pure.

The record has CloudTrail's fields and names (eventVersion 1.09): userIdentity, eventTime,
eventSource, eventName, awsRegion, sourceIPAddress, userAgent, requestParameters,
responseElements, errorCode/errorMessage, requestID, eventID, readOnly, eventType,
managementEvent, recipientAccountId, eventCategory, and resources where the call named some.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from openssm import arns
from openssm.server.services.audit.calls import ApiCall
from openssm.server.services.audit.redaction import Redactor
from openssm.server.store.audit.repo import AuditRow, ResourceName

EVENT_VERSION = "1.09"
DETAIL_TYPE = "AWS API Call via CloudTrail"
MAX_ERROR_MESSAGE = 1024
# The columns LookupEvents reads are cut to their widths; the record keeps what it can.
_NAME_CHARS = 2048
# Resource kinds in ARNs (service, first word of the resource) and CloudTrail's type names.
_RESOURCE_TYPES = {
    ("ssm", "parameter"): "AWS::SSM::Parameter",
    ("ssm", "document"): "AWS::SSM::Document",
    ("ssm", "managed-instance"): "AWS::SSM::ManagedInstance",
    ("ssm", "activation"): "AWS::SSM::Activation",
    ("ssm", "command"): "AWS::SSM::Command",
    ("ec2", "instance"): "AWS::EC2::Instance",
    ("resource-groups", "group"): "AWS::ResourceGroups::Group",
}


def _time(call: ApiCall) -> str:
    # isoformat is several times cheaper than strftime; whole seconds, as CloudTrail writes.
    return call.event_time.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _resources(arns_: Sequence[str]) -> list[tuple[str, str, str]]:
    """(ARN, CloudTrail type, short name) of each resource ARN of a call."""
    found = []
    for arn in arns_:
        kind = resource_of(arn)
        if kind is not None:
            found.append((arn, kind[0], kind[1]))
    return found


def resource_of(arn: str) -> tuple[str, str] | None:
    """(CloudTrail type, short name) of a resource ARN; None for ``*`` and anything not an ARN."""
    parsed = arns.parse(arn)
    if parsed is None:
        return None
    kind, _, name = parsed.resource.partition("/")
    if not name:
        kind, _, name = parsed.resource.partition(":")
    type_name = _RESOURCE_TYPES.get((parsed.service, kind))
    if type_name is None:
        type_name = f"AWS::{parsed.service.upper()}::{kind.title().replace('-', '')}"
    return type_name, name


def build_record(call: ApiCall, redactors: Mapping[str, Redactor]) -> dict[str, Any]:
    """The CloudTrail record of ``call``, with every secret left out."""
    return _build(call, redactors, _resources(call.resources))


def _build(
    call: ApiCall, redactors: Mapping[str, Redactor], resources: Sequence[tuple[str, str, str]]
) -> dict[str, Any]:
    identity = call.identity.to_json() if call.identity is not None else _unknown(call)
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": _time(call),
        "eventSource": call.event_source,
        "eventName": call.event_name,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
    }
    if call.error_code is not None:
        record["errorCode"] = call.error_code
        record["errorMessage"] = (call.error_message or "")[:MAX_ERROR_MESSAGE]
    redactor = redactors.get(call.event_source)
    record["requestParameters"] = _parameters(call, redactor)
    record["responseElements"] = _response(call, redactor)
    if call.additional:
        record["additionalEventData"] = dict(call.additional)
    record.update(
        {
            "requestID": call.request_id,
            "eventID": str(uuid.uuid4()),
            "readOnly": call.read_only,
            "eventType": call.event_type,
            "managementEvent": True,
            "recipientAccountId": call.account_id,
            "eventCategory": "Management",
        }
    )
    if resources:
        record["resources"] = [
            {"accountId": call.account_id, "type": kind, "ARN": arn} for arn, kind, _ in resources
        ]
    return record


def _unknown(call: ApiCall) -> dict[str, str]:
    identity = {"type": "Unknown", "accountId": call.account_id}
    if call.access_key_id:
        identity["accessKeyId"] = call.access_key_id
    return identity


def _parameters(call: ApiCall, redactor: Redactor | None) -> dict[str, Any] | None:
    if call.parameters is None:
        return None
    if call.shaped:
        return dict(call.parameters)
    if redactor is None:
        return None  # no model to tell what is secret: nothing is recorded
    return redactor.request(call.event_name, call.parameters)


def _response(call: ApiCall, redactor: Redactor | None) -> dict[str, Any] | None:
    # CloudTrail keeps what writes answered; reads' answers (parameter values…) never.
    if call.response is None or call.read_only or call.error_code is not None:
        return None
    if call.shaped:
        return dict(call.response)
    return None if redactor is None else redactor.response(call.event_name, call.response)


def record_row(call: ApiCall, redactors: Mapping[str, Redactor]) -> tuple[dict[str, Any], AuditRow]:
    """The record of ``call`` and the row that keeps it."""
    resources = _resources(call.resources)
    record = _build(call, redactors, resources)
    return record, _row(record, call, resources)


def to_row(record: Mapping[str, Any], call: ApiCall) -> AuditRow:
    return _row(record, call, _resources(call.resources))


def storable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` as both databases can keep it: a request's NUL characters and
    lone surrogates (a hostile name, say) become U+FFFD instead of failing the whole batch."""
    text = text[:limit]
    if text.isascii() and "\x00" not in text:
        return text
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _encode(record: Mapping[str, Any]) -> str:
    try:
        return msgspec.json.encode(record).decode()
    except UnicodeEncodeError:  # a lone surrogate from a request: escaped, as JSON allows
        return json.dumps(record, separators=(",", ":"))


def _row(
    record: Mapping[str, Any], call: ApiCall, resources: Sequence[tuple[str, str, str]]
) -> AuditRow:
    identity: Mapping[str, str] = record["userIdentity"]
    # One row per resource, by its short name: a lookup by ARN asks for the name and type.
    names = tuple(
        ResourceName(name=storable(short or arn, _NAME_CHARS), resource_type=storable(kind, 64))
        for arn, kind, short in resources
    )
    return AuditRow(
        event_id=record["eventID"],
        account_id=call.account_id,
        region=call.region,
        event_time=call.event_time,
        event_source=call.event_source,
        event_name=storable(call.event_name, 128),
        user_name=storable(identity.get("userName", ""), 128),
        access_key_id=storable(identity.get("accessKeyId", ""), 128),
        read_only=call.read_only,
        error_code=None if call.error_code is None else storable(call.error_code, 128),
        record=_encode(record),
        resources=names,
    )
