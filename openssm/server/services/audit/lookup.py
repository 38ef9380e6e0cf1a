"""LookupEvents over the audit trail, as CloudTrail answers it: newest first, one attribute.

The lookup attributes map to indexed columns (EventId, EventName, Username, AccessKeyId,
ReadOnly, EventSource) or to the resources a record names (ResourceName: an ARN or its short
name, ResourceType). CloudTrail takes at most one attribute per lookup, and so does this.
Insights events are not kept, so asking for the ``insight`` category finds none.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from typing import Any

from openssm.errors import (
    InvalidLookupAttributesException,
    InvalidNextToken,
    InvalidNextTokenException,
    InvalidTimeRangeException,
)
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.audit.records import resource_of
from openssm.server.services.audit.trail import AuditTrail
from openssm.server.store.audit import repo
from openssm.server.store.engine import Store

DEFAULT_MAX_RESULTS = 50
_TOKEN_KIND = "LookupEvents"  # noqa: S105 (the operation a NextToken belongs to)
_COLUMNS = {
    "EventId": "event_id",
    "EventName": "event_name",
    "Username": "user_name",
    "AccessKeyId": "access_key_id",
    "EventSource": "event_source",
}


def _time(value: object) -> dt.datetime | None:
    if value is None:
        return None
    assert isinstance(value, int | float)  # the model's timestamp: epoch seconds
    return dt.datetime.fromtimestamp(value, dt.UTC)


def question(ctx: RequestContext, body: Mapping[str, Any]) -> repo.Lookup:
    """The lookup ``body`` asks for in the caller's account and region."""
    attributes = body.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributesException(
            "You cannot use more than one lookup attribute in a LookupEvents request."
        )
    start, end = _time(body.get("StartTime")), _time(body.get("EndTime"))
    if start is not None and end is not None and start > end:
        raise InvalidTimeRangeException("Start time must be equal to or earlier than end time.")
    base = repo.Lookup(account_id=ctx.account_id, region=ctx.region, start=start, end=end)
    if not attributes:
        return base
    key, value = attributes[0]["AttributeKey"], attributes[0]["AttributeValue"]
    if key in _COLUMNS:
        return _replace(base, column=_COLUMNS[key], value=value)
    if key == "ReadOnly":
        if value.lower() not in ("true", "false"):
            raise InvalidLookupAttributesException("ReadOnly must be true or false.")
        return _replace(base, column="read_only", value=value.lower() == "true")
    if key == "ResourceName":
        arn = resource_of(value)
        if arn is not None:  # kept by its short name and type
            return _replace(base, resource_names=(arn[1],), resource_type=arn[0])
        # A parameter's ARN holds its name without the leading slash.
        names = (value, value.lstrip("/")) if value.startswith("/") else (value,)
        return _replace(base, resource_names=names)
    return _replace(base, resource_type=value)  # ResourceType, the model's last key


def _replace(base: repo.Lookup, **changes: Any) -> repo.Lookup:
    return repo.Lookup(**{**_fields(base), **changes})


def _fields(lookup: repo.Lookup) -> dict[str, Any]:
    return {name: getattr(lookup, name) for name in repo.Lookup.__dataclass_fields__}


def _binding(ctx: RequestContext, asked: repo.Lookup) -> str:
    return paging.binding(ctx.account_id, ctx.region, _fields(asked))


def event_of(record_text: str) -> dict[str, Any]:
    """LookupEvents' Event for one stored record."""
    record = json.loads(record_text)
    identity = record.get("userIdentity", {})
    resources = [
        {"ResourceType": resource["type"], "ResourceName": resource["ARN"]}
        for resource in record.get("resources", [])
    ]
    event: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "true" if record["readOnly"] else "false",
        "EventTime": dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.UTC
        ),
        "EventSource": record["eventSource"],
        "Resources": resources,
        "CloudTrailEvent": record_text,
    }
    if identity.get("accessKeyId"):
        event["AccessKeyId"] = identity["accessKeyId"]
    if identity.get("userName"):
        event["Username"] = identity["userName"]
    return event


async def lookup_events(
    store: Store, trail: AuditTrail, ctx: RequestContext, body: Mapping[str, Any]
) -> dict[str, Any]:
    asked = question(ctx, body)
    if body.get("EventCategory") == "insight":
        return {"Events": []}
    limit = int(body.get("MaxResults") or DEFAULT_MAX_RESULTS)
    after = None
    token = body.get("NextToken")
    bound_to = _binding(ctx, asked)
    if token:
        try:
            position = paging.decode_token(token, _TOKEN_KIND, bound_to=bound_to)
            after = repo.Cursor(
                event_time=dt.datetime.fromisoformat(position["t"]), row_id=int(position["i"])
            )
        except (InvalidNextToken, KeyError, TypeError, ValueError):
            raise InvalidNextTokenException("Invalid NextToken.") from None
    # This server's own recent calls are written first, so a lookup sees the calls before it.
    await trail.flush()
    rows = await store.scan(
        functools.partial(repo.lookup, question=asked, after=after, limit=limit + 1)
    )
    result: dict[str, Any] = {"Events": [event_of(row.record) for row in rows[:limit]]}
    if len(rows) > limit:
        last = rows[limit - 1]
        result["NextToken"] = paging.encode_token(
            _TOKEN_KIND, {"t": last.event_time.isoformat(), "i": last.row_id}, bound_to=bound_to
        )
    return result
