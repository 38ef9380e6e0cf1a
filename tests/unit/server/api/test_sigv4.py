"""Verifying SigV4 header auth (ssm-api.md §3.4; SECURITY item 6); reading the header is
in test_sigv4_parse.py.

Requests are signed offline by botocore's own signer, so these tests check that we
accept exactly what real clients send. Error wording is AWS's, as answered by AWS
JSON services.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest

from openssm.errors import (
    InvalidSignatureException,
)
from openssm.server.api.sigv4 import (
    SIGNATURE_MISMATCH,
    Credential,
    SignedRequest,
    SigV4Verifier,
    parse_authorization,
)
from tests.unit.server.api.sigv4_requests import (
    ACCESS_KEY,
    ENDPOINT,
    GET_PARAMETER,
    SECRET,
    DatelessSigV4Auth,
    HostlessSigV4Auth,
    sign,
    to_signed_request,
    verify,
    with_authorization,
    with_headers,
)

# --- accepted ----------------------------------------------------------------------------


def test_verify_accepts_botocore_signed_get_parameter() -> None:
    request = sign(region="eu-west-1")

    credential = verify(request)

    assert credential == Credential(
        access_key_id=ACCESS_KEY,
        date=request.headers["x-amz-date"][:8],
        region="eu-west-1",
        service="ssm",
    )


def test_verify_accepts_request_captured_from_boto3_ssm_client() -> None:
    """The exact wire of ``client.get_parameter``, incl. unsigned user-agent/amz-sdk-*."""
    captured: list[AWSPreparedRequest] = []

    class SentError(Exception):
        """Raised instead of sending: the request never leaves the process."""

    def capture(request: AWSPreparedRequest, **_: object) -> None:
        captured.append(request)
        raise SentError

    client = boto3.client(
        "ssm",
        region_name="ap-southeast-2",
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
    )
    client.meta.events.register("before-send.ssm.GetParameter", capture)
    with pytest.raises(SentError):
        client.get_parameter(Name="/app/db/password", WithDecryption=True)
    request = to_signed_request(captured[0])

    assert "amz-sdk-invocation-id" in request.headers
    assert verify(request).region == "ap-southeast-2"


def test_verify_accepts_non_root_path_and_query_string_in_url() -> None:
    """botocore signs the path encoded a second time and the query sorted by key, then value."""
    request = sign(url="http://localhost:8080/some/path%20with%20space/x~y?b=2&a=1&a=0&c=x%2Fy")
    assert request.path == "/some/path%20with%20space/x~y"
    assert request.query == "b=2&a=1&a=0&c=x%2Fy"

    assert verify(request).access_key_id == ACCESS_KEY


def test_verify_accepts_query_params_sent_form_encoded() -> None:
    """botocore sends params as ``a+b`` but signs ``a%20b``: "+" is a space."""
    request = sign(url="http://localhost:8080/v1/items", params={"Name": "a b/\u00e9+", "z": "~*"})
    assert "+" in request.query

    assert verify(request).access_key_id == ACCESS_KEY


@pytest.mark.parametrize(
    ("received_path", "signed_path"),
    [
        # Canonical URIs of the AWS SigV4 test suite's normalize-path cases.
        ("//", "/"),
        ("/./", "/"),
        ("//example//", "/example/"),
        ("/example/..", "/"),
        ("/example1/example2/../..", "/"),
        ("/./example", "/example"),
        ("/example/./a/../b", "/example/b"),
    ],
)
def test_verify_normalizes_received_path_like_the_signer(
    received_path: str, signed_path: str
) -> None:
    request = sign(url=f"http://localhost:8080{signed_path}")

    verify(dataclasses.replace(request, path=received_path))


def test_verify_collapses_whitespace_in_signed_header_values() -> None:
    request = sign(headers={"X-Custom": "a   b  c"})
    assert "x-custom" in parse_authorization(request)[1]

    verify(with_headers(request, x_custom="  a b    c "))


def test_verify_ignores_unsigned_headers() -> None:
    request = sign()

    verify(with_headers(request, user_agent="curl/8", x_amzn_trace_id="Root=1-abc"))


def test_verify_accepts_signed_content_sha256_matching_the_body() -> None:
    digest = hashlib.sha256(GET_PARAMETER).hexdigest()
    request = sign(headers={"X-Amz-Content-SHA256": digest})
    assert "x-amz-content-sha256" in parse_authorization(request)[1]

    verify(request)


# --- tampering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda r: dataclasses.replace(r, body=b'{"Name": "/app/other"}'), id="body"),
        pytest.param(lambda r: dataclasses.replace(r, body=r.body + b" "), id="body-space"),
        pytest.param(lambda r: with_headers(r, x_amz_target="AmazonSSM.SendCommand"), id="target"),
        pytest.param(lambda r: with_headers(r, content_type="application/json"), id="content-type"),
        pytest.param(lambda r: with_headers(r, host="evil.example:8080"), id="host"),
        pytest.param(lambda r: dataclasses.replace(r, method="PUT"), id="method"),
        pytest.param(lambda r: dataclasses.replace(r, path="/other"), id="path"),
        pytest.param(lambda r: dataclasses.replace(r, query="a=1"), id="query"),
        pytest.param(lambda r: with_headers(r, x_amz_target=None), id="signed-header-dropped"),
    ],
)  # fmt: skip
def test_verify_refuses_tampered_request(tamper: Callable[[SignedRequest], SignedRequest]) -> None:
    """The canonical request is rebuilt from what arrived, so any signed part changed fails."""
    request = tamper(sign())

    with pytest.raises(InvalidSignatureException) as exc:
        verify(request)

    assert exc.value.message == SIGNATURE_MISMATCH


def test_verify_refuses_wrong_secret() -> None:
    with pytest.raises(InvalidSignatureException, match="does not match the signature"):
        verify(sign(secret="some-other-secret-0123456789abcdefghijkl"))


def test_verify_refuses_signature_altered_by_one_digit() -> None:
    request = sign()
    signature = parse_authorization(request)[2]
    altered = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    authorization = request.headers["authorization"].replace(signature, altered)

    with pytest.raises(InvalidSignatureException):
        verify(with_authorization(request, authorization))


def test_verify_refuses_non_ascii_signature_without_crashing() -> None:
    request = sign()
    signature = parse_authorization(request)[2]
    authorization = request.headers["authorization"].replace(signature, "\u00e9" * 64)

    with pytest.raises(InvalidSignatureException):
        verify(with_authorization(request, authorization))


def test_verify_refuses_content_sha256_not_matching_the_body() -> None:
    """Otherwise a signed claimed hash would let the body be swapped under it."""
    request = sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()})

    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        verify(request)


def test_verify_refuses_unsigned_payload() -> None:
    request = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})

    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        verify(request)


# --- clock skew --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "skew",
    [timedelta(0), timedelta(minutes=15), -timedelta(minutes=15), timedelta(seconds=-1)],
)
def test_verify_accepts_skew_up_to_and_including_15_minutes(skew: timedelta) -> None:
    """AWS refuses a request dated more than 15 minutes from its clock; exactly 15 is fine."""
    verify(sign(), skew=skew)


@pytest.mark.parametrize(
    "skew",
    [
        timedelta(minutes=15, microseconds=1),
        -timedelta(minutes=15, microseconds=1),
        timedelta(days=1),
        -timedelta(hours=2),
    ],
)
def test_verify_refuses_skew_beyond_15_minutes(skew: timedelta) -> None:
    with pytest.raises(InvalidSignatureException, match=r"^Signature (expired|not yet current)"):
        verify(sign(), skew=skew)


def redated(request: SignedRequest, amz_date: str) -> SignedRequest:
    """The same request claiming another date (in X-Amz-Date and the credential scope)."""
    authorization = request.headers["authorization"]
    scope_date = parse_authorization(request)[0].date
    authorization = authorization.replace(f"/{scope_date}/", f"/{amz_date[:8]}/")
    return with_headers(request, x_amz_date=amz_date, authorization=authorization)


def test_verify_reports_expired_signature_in_aws_wording() -> None:
    request = redated(sign(), "20260101T000000Z")
    now = datetime(2026, 1, 1, 0, 20, tzinfo=UTC)

    with pytest.raises(InvalidSignatureException) as exc:
        SigV4Verifier().verify(request, secret_key=SECRET, now=now)

    assert exc.value.message == (
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z "
        "(20260101T002000Z - 15 min.)"
    )


def test_verify_reports_future_signature_in_aws_wording() -> None:
    request = redated(sign(), "20260101T003100Z")
    now = datetime(2026, 1, 1, 0, 15, tzinfo=UTC)

    with pytest.raises(InvalidSignatureException) as exc:
        SigV4Verifier().verify(request, secret_key=SECRET, now=now)

    assert exc.value.message == (
        "Signature not yet current: 20260101T003100Z is still later than 20260101T003000Z "
        "(20260101T001500Z + 15 min.)"
    )


def test_verify_checks_skew_before_signature() -> None:
    """A stale request gets the actionable clock message, not a signature mismatch."""
    request = redated(sign(), "20200101T000000Z")

    with pytest.raises(InvalidSignatureException, match=r"^Signature expired"):
        SigV4Verifier().verify(request, secret_key=SECRET, now=datetime(2026, 1, 1, tzinfo=UTC))


def test_verify_uses_configured_skew_window() -> None:
    verifier = SigV4Verifier(max_skew_s=300)
    request = sign()

    verify(request, verifier=verifier, skew=timedelta(minutes=5))
    with pytest.raises(InvalidSignatureException, match=r"- 5 min\.\)$"):
        verify(request, verifier=verifier, skew=timedelta(minutes=5, seconds=1))


def test_verify_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SigV4Verifier().verify(sign(), secret_key=SECRET, now=datetime(2026, 1, 1))  # noqa: DTZ001


# --- headers the signature must cover --------------------------------------------------


def test_verify_refuses_request_whose_signature_does_not_cover_host() -> None:
    """The signature is valid for what was signed; leaving host out is what is refused."""
    request = sign(signer=HostlessSigV4Auth)
    assert "host" not in request.headers["authorization"].split("SignedHeaders=")[1]

    with pytest.raises(InvalidSignatureException) as exc:
        verify(request)

    assert exc.value.message == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_verify_refuses_request_whose_signature_does_not_cover_x_amz_date() -> None:
    request = sign(signer=DatelessSigV4Auth)

    with pytest.raises(InvalidSignatureException) as exc:
        verify(request)

    assert exc.value.message == "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."


# --- signing-key cache -------------------------------------------------------------------


def test_verify_does_not_reuse_cached_key_after_secret_rotation() -> None:
    verifier = SigV4Verifier()
    old = sign()
    verify(old, verifier=verifier)

    with pytest.raises(InvalidSignatureException):
        verify(old, verifier=verifier, secret="rotated-secret-0123456789abcdefghijklmn")


def test_verify_keeps_working_when_cache_evicts() -> None:
    verifier = SigV4Verifier(cache_size=1)
    first = sign(region="us-east-1")
    second = sign(region="eu-west-1")

    for request in (first, second, first, second):
        verify(request, verifier=verifier)


def test_verify_works_with_cache_disabled() -> None:
    verify(sign(), verifier=SigV4Verifier(cache_size=0))


def test_signing_key_cache_never_holds_the_secret_in_plain() -> None:
    verifier = SigV4Verifier()
    verify(sign(), verifier=verifier)

    cached = repr(verifier._keys)  # white-box: this is the property under test
    assert SECRET not in cached
    assert SECRET.encode().hex() not in cached


# --- AWS SigV4 test suite ----------------------------------------------------------------

SUITE_ACCESS_KEY = "AKIDEXAMPLE"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_NOW = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "query", "signature"),
    [
        pytest.param(
            "GET", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            id="get-vanilla",
        ),
        pytest.param(
            "GET", "Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            id="get-vanilla-query-order-key-case",
        ),
        pytest.param(
            "POST", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            id="post-vanilla",
        ),
    ],
)  # fmt: skip
def test_verify_accepts_published_aws_test_suite_vector(
    method: str, query: str, signature: str
) -> None:
    """aws-sig-v4-test-suite (2015-08-30): service "service", region us-east-1."""
    request = SignedRequest(
        method=method,
        path="/",
        query=query,
        headers={
            "host": "example.amazonaws.com",
            "x-amz-date": "20150830T123600Z",
            "authorization": (
                f"AWS4-HMAC-SHA256 Credential={SUITE_ACCESS_KEY}/20150830/us-east-1/service/"
                f"aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
            ),
        },
        body=b"",
    )
    verifier = SigV4Verifier(service="service")

    credential = verifier.verify(request, secret_key=SUITE_SECRET, now=SUITE_NOW)

    assert credential.access_key_id == SUITE_ACCESS_KEY
    with pytest.raises(InvalidSignatureException):
        verifier.verify(request, secret_key=SUITE_SECRET[:-1], now=SUITE_NOW)
