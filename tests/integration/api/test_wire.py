"""The AWS JSON 1.1 wire protocol and SigV4 authentication, seen from a client.

AWS rules checked here: unsigned requests are refused with
MissingAuthenticationTokenException; an unknown key with
UnrecognizedClientException; a bad signature or a clock skew beyond 15 minutes
with InvalidSignatureException; a body that is not JSON with
SerializationException; constraint violations with ValidationException in
AWS's "N validation error(s) detected" format.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.aws_errors import error_of
from tests.integration.signing import send, signed_request
from tests.support import ServerProcess


def _post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_unsigned_request_is_refused(sqlite_server: ServerProcess) -> None:
    status, body = _post(
        sqlite_server.url,
        {"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": "application/x-amz-json-1.1"},
        b'{"Name": "/x"}',
    )
    assert status == 403
    assert body["__type"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize(
    "operation", ["GetParameter", "DescribeActivations", "NoSuchOperation", "DeleteParameters"]
)
def test_every_operation_refuses_unsigned_calls(
    sqlite_server: ServerProcess, operation: str
) -> None:
    """SECURITY.md #1: implemented, unimplemented and unknown operations alike."""
    status, body = _post(sqlite_server.url, {"X-Amz-Target": f"AmazonSSM.{operation}"}, b"{}")
    assert status == 403
    assert body["__type"] == "MissingAuthenticationTokenException"


def test_unknown_access_key_is_refused(sqlite_server: ServerProcess) -> None:
    ssm = sqlite_server.client(access_key_id="OSSMNOSUCHKEY0000000", secret_access_key="x" * 40)
    assert error_of(ssm.describe_parameters).code == "UnrecognizedClientException"


def test_wrong_secret_fails_the_signature(sqlite_server: ServerProcess) -> None:
    ssm = sqlite_server.client(secret_access_key="not-the-right-secret-000000000000000000")
    error = error_of(ssm.describe_parameters)
    assert error.code == "InvalidSignatureException"
    assert "signature we calculated does not match" in error.message


def test_tampered_body_fails_the_signature(sqlite_server: ServerProcess) -> None:
    request = signed_request(sqlite_server.url, "GetParameter", {"Name": "/a"})
    request.data = b'{"Name": "/b"}'
    status, body = send(request)
    assert status == 400
    assert body["__type"] == "InvalidSignatureException"


@pytest.mark.parametrize("minutes", [-16, 16])
def test_clock_skew_over_fifteen_minutes_is_refused(
    sqlite_server: ServerProcess, minutes: int
) -> None:
    at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    status, body = send(signed_request(sqlite_server.url, "DescribeParameters", {}, at=at))
    assert status == 400
    assert body["__type"] == "InvalidSignatureException"
    assert "Signature expired" in body["message"] or "not yet current" in body["message"]


def test_clock_skew_within_fifteen_minutes_is_accepted(sqlite_server: ServerProcess) -> None:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14)
    status, body = send(signed_request(sqlite_server.url, "DescribeParameters", {}, at=at))
    assert status == 200, body


def test_body_that_is_not_json_is_a_serialization_error(sqlite_server: ServerProcess) -> None:
    status, body = send(signed_request(sqlite_server.url, "GetParameter", b"{not json"))
    assert status == 400
    assert body["__type"] == "SerializationException"


def test_unknown_operation_is_named(sqlite_server: ServerProcess) -> None:
    status, body = send(signed_request(sqlite_server.url, "FlyToTheMoon", {}))
    assert status == 400
    assert body["__type"] == "UnknownOperationException"
    assert "FlyToTheMoon" in body["message"]


def test_model_operation_not_implemented_names_itself(sqlite_server: ServerProcess) -> None:
    ssm = sqlite_server.client()
    error = error_of(ssm.get_ops_summary)
    assert error.code == "UnsupportedOperationException"
    assert "GetOpsSummary" in error.message


def test_validation_errors_use_aws_format(sqlite_server: ServerProcess) -> None:
    status, body = send(
        signed_request(
            sqlite_server.url,
            "GetParametersByPath",
            {"Path": "/a", "MaxResults": 11, "ParameterFilters": [{"Key": "x" * 200}]},
        )
    )
    assert status == 400
    assert body["__type"] == "ValidationException"
    # The over-long key breaks both its length and its pattern: three faults in all.
    assert body["message"].startswith("3 validation errors detected: ")
    assert "Value '11' at 'maxResults' failed to satisfy constraint" in body["message"]
    assert "at 'parameterFilters.1.member.key' failed to satisfy constraint" in body["message"]


def test_responses_carry_a_request_id(sqlite_server: ServerProcess) -> None:
    response = sqlite_server.client().describe_parameters()
    assert len(response["ResponseMetadata"]["RequestId"]) == 36


def test_health_needs_no_credentials_and_reveals_nothing(sqlite_server: ServerProcess) -> None:
    with urllib.request.urlopen(sqlite_server.url + "/health", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok"}
