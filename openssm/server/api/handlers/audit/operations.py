"""CloudTrail's LookupEvents (AWS JSON 1.1, target prefix
``com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101``), authorized as
``cloudtrail:LookupEvents``, on the same URL as the SSM API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.audit import lookup


async def lookup_events(rt: Runtime, ctx: RequestContext, body: Body) -> Mapping[str, Any]:
    return await lookup.lookup_events(rt.store, rt.audit, ctx, body)


OPERATIONS = (Operation("LookupEvents", lookup_events),)
