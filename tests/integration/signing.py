"""Hand-made signed requests, for tests that must send what boto3 would not."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from email.message import Message
from typing import Any
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION


def signed_request(
    url: str,
    operation: str,
    body: dict[str, Any] | bytes,
    *,
    access_key_id: str = ADMIN_KEY_ID,
    secret_access_key: str = ADMIN_SECRET,
    region: str = TEST_REGION,
    at: dt.datetime | None = None,
) -> AWSRequest:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=data,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AmazonSSM.{operation}",
        },
    )
    signer = botocore.auth.SigV4Auth(Credentials(access_key_id, secret_access_key), "ssm", region)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
            signer.add_auth(request)
    return request


def exchange(request: AWSRequest) -> tuple[int, Message, bytes]:
    """Send a prepared request; returns (status, headers, body), errors included."""
    prepared = request.prepare()
    http_request = urllib.request.Request(
        prepared.url,
        data=prepared.body if isinstance(prepared.body, bytes) else None,
        headers=dict(prepared.headers.items()),
        method=prepared.method,
    )
    try:
        with urllib.request.urlopen(http_request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def send(request: AWSRequest) -> tuple[int, dict[str, Any]]:
    """Send a prepared request; returns (status, decoded JSON body)."""
    status, _headers, body = exchange(request)
    return status, json.loads(body or b"{}")
