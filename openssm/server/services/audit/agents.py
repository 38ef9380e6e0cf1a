"""The audit records of what agents do themselves: register, and open or close their channel.

They read like API calls made by the node: a registration is ``RegisterManagedInstance`` on
ssm.amazonaws.com (the call AWS's agent makes), a channel is ``CreateControlChannel`` on
ssmmessages.amazonaws.com (AWS's name for the agent's control channel) and its end
``CloseControlChannel`` (openssm's: AWS records no such event). Their parameters are written
here, already fit to record: never an activation code, a key or a signature.
"""

from __future__ import annotations

import datetime as dt

from openssm import ids
from openssm.server.services.audit.calls import ApiCall, Identity

SSM_SOURCE = "ssm.amazonaws.com"
CHANNEL_SOURCE = "ssmmessages.amazonaws.com"
REGISTER = "RegisterManagedInstance"
OPEN_CHANNEL = "CreateControlChannel"
CLOSE_CHANNEL = "CloseControlChannel"


def _call(
    source: str, name: str, *, now: dt.datetime, source_ip: str, account_id: str, region: str
) -> ApiCall:
    return ApiCall(
        event_source=source,
        event_name=name,
        request_id=ids.request_id(),
        event_time=now,
        source_ip=source_ip,
        user_agent="openssm-agent",
        account_id=account_id,
        region=region,
        shaped=True,
    )


def registration(
    *,
    activation_id: str,
    name: str | None,
    now: dt.datetime,
    source_ip: str,
    account_id: str,
    region: str,
    instance_id: str | None = None,
) -> ApiCall:
    """A registration that succeeded (``instance_id`` given) or was refused (then fail it)."""
    call = _call(
        SSM_SOURCE, REGISTER, now=now, source_ip=source_ip, account_id=account_id, region=region
    )
    parameters: dict[str, str] = {"activationId": activation_id}
    if name:
        parameters["name"] = name
    call.parameters = parameters
    if instance_id is not None:
        call.identity = Identity.node(account_id=account_id, region=region, instance_id=instance_id)
        call.response = {"instanceId": instance_id}
        call.resources = [call.identity.arn]
    return call


def channel(
    name: str,
    *,
    instance_id: str,
    channel_id: str,
    now: dt.datetime,
    source_ip: str,
    account_id: str,
    region: str,
    authenticated: bool,
) -> ApiCall:
    """A channel opened or closed by ``instance_id``, or refused (``authenticated`` False: the
    id is only what the hello claimed; fail the call with the reason)."""
    call = _call(
        CHANNEL_SOURCE, name, now=now, source_ip=source_ip, account_id=account_id, region=region
    )
    call.parameters = {"instanceId": instance_id, "channelId": channel_id}
    if authenticated:
        call.identity = Identity.node(account_id=account_id, region=region, instance_id=instance_id)
        call.resources = [call.identity.arn]
    return call
