"""Waiting for an invocation to end, and reading a step's whole output as a client does: a
SigV4-signed GET of its URL."""

from __future__ import annotations

import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import GetCommandInvocationResultTypeDef

from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, wait_until

_RUNNING = {"Pending", "InProgress", "Delayed", "Cancelling"}


def ended_invocation(
    ssm: SSMClient, command_id: str, instance_id: str, timeout_s: float = 60
) -> GetCommandInvocationResultTypeDef:
    """GetCommandInvocation once the invocation has ended."""

    def done() -> GetCommandInvocationResultTypeDef | None:
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        return got if got["Status"] not in _RUNNING else None

    return wait_until(done, timeout_s=timeout_s, interval_s=0.1)


def signed_get(
    url: str, *, key_id: str = ADMIN_KEY_ID, secret: str = ADMIN_SECRET
) -> tuple[int, bytes]:
    """(HTTP status, body) of a GET signed for service ssm."""
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key_id, secret), "ssm", TEST_REGION).add_auth(request)
    signed = urllib.request.Request(url, headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(signed, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()
