"""`openssm events tail`: the server's events as they are written, printed as they arrive.

Reads the server's ``GET /events/v1/tail`` stream (server-sent events), signed with SigV4 for
``events`` with the same credentials as the API calls. Each event prints as one line (time,
detail-type, what it is about, its status), or with ``--json`` as its EventBridge JSON.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_events.client import EventBridgeClient

ROUTE = "/events/v1/tail"


def stream_url(endpoint_url: str, pattern: str | None) -> str:
    url = endpoint_url.rstrip("/") + ROUTE
    if pattern is not None:
        # %20, never "+": SigV4 signs the query as AWS encodes it.
        url += "?" + urllib.parse.urlencode({"pattern": pattern}, quote_via=urllib.parse.quote)
    return url


def summary(event: dict[str, Any]) -> str:
    """One line for a terminal: when, what kind, about what, and its status or operation."""
    detail = event.get("detail") or {}
    subject = next(
        (
            str(detail[key])
            for key in ("command-id", "name", "parameter-name", "instance-id", "resource-id")
            if key in detail
        ),
        ", ".join(event.get("resources") or []),
    )
    if "command-id" in detail and "instance-id" in detail:
        subject = f"{detail['command-id']} on {detail['instance-id']}"
    state = next(
        (
            str(detail[k])
            for k in ("status", "operation", "policy-type", "ping-status")
            if k in detail
        ),
        "",
    )
    return "  ".join(
        part for part in (event.get("time", ""), event["detail-type"], subject, state) if part
    )


def follow(events: EventBridgeClient, pattern: str | None, as_json: bool) -> int:
    """Print events until interrupted; 0 when the server ends the stream."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    url = stream_url(events.meta.endpoint_url, pattern)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{url} is not an http(s) URL")
    client: Any = events
    credentials = client._request_signer._credentials  # the client's own resolved credentials
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(credentials.get_frozen_credentials(), "events", events.meta.region_name).add_auth(
        request
    )
    signed = urllib.request.Request(url, headers=dict(request.headers.items()))  # noqa: S310 - http(s) checked above
    try:
        answer = urllib.request.urlopen(signed, timeout=60)  # noqa: S310 - as above
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        raise ValueError(f"{body.get('__type', exc.code)}: {body.get('message', '')}") from None
    with answer:
        for raw in answer:
            line = raw.decode().rstrip("\n")
            if not line.startswith("data: "):
                continue
            event = json.loads(line[len("data: ") :])
            print(json.dumps(event) if as_json else summary(event), flush=True)
    return 0
