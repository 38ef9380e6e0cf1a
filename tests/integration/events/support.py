"""Helpers of the events tests: boto3's EventBridge client on the server's URL, and a rule with
one webhook target."""

from __future__ import annotations

import json
from typing import Any

from types_boto3_events.client import EventBridgeClient

from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, ServerEndpoint

PARAMETER_CHANGES = {"source": ["aws.ssm"], "detail-type": ["Parameter Store Change"]}


def events_client(
    server: ServerEndpoint,
    *,
    access_key_id: str = ADMIN_KEY_ID,
    secret_access_key: str = ADMIN_SECRET,
) -> EventBridgeClient:
    events: EventBridgeClient = server.aws_client(
        "events", access_key_id=access_key_id, secret_access_key=secret_access_key
    )
    return events


def webhook_rule(
    events: EventBridgeClient,
    name: str,
    url: str,
    *,
    pattern: dict[str, Any] | None = None,
    secret: str = "test-secret",  # noqa: S107 (a test's signing secret)
    retries: int | None = None,
) -> None:
    events.put_rule(Name=name, EventPattern=json.dumps(pattern or PARAMETER_CHANGES))
    target: dict[str, Any] = {
        "Id": "hook",
        "Arn": url,
        "HttpParameters": {"HeaderParameters": {"X-Openssm-Secret": secret}},
    }
    if retries is not None:
        target["RetryPolicy"] = {"MaximumRetryAttempts": retries}
    events.put_targets(Rule=name, Targets=[target])  # type: ignore[list-item]
