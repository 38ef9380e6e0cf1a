"""Reading the SigV4 Authorization header and credential scope (ssm-api.md §3.4; SECURITY
item 6): every fault answered with AWS's exception and wording, every problem at once."""

from __future__ import annotations

import pytest

from openssm.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)
from openssm.server.api.sigv4 import (
    parse_authorization,
)
from tests.unit.server.api.sigv4_requests import (
    ACCESS_KEY,
    sign,
    with_authorization,
    with_headers,
)


@pytest.mark.parametrize("authorization", [None, "", "   ", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_parse_refuses_missing_authorization(authorization: str | None) -> None:
    """No header, or one that is not SigV4 at all, is an unauthenticated request (403)."""
    request = with_headers(sign(), authorization=authorization)

    with pytest.raises(MissingAuthenticationTokenException) as exc:
        parse_authorization(request)

    assert exc.value.message == "Missing Authentication Token"
    assert exc.value.http_status == 403


def test_parse_returns_credential_signed_headers_and_signature() -> None:
    """The caller looks up the secret by this access key id before calling verify."""
    request = sign(region="us-west-2")

    credential, signed_headers, signature = parse_authorization(request)

    assert credential.access_key_id == ACCESS_KEY
    assert credential.region == "us-west-2"
    assert credential.service == "ssm"
    assert signed_headers == ["content-type", "host", "x-amz-date", "x-amz-target"]
    assert len(signature) == 64


def test_parse_lists_every_missing_parameter() -> None:
    request = with_headers(
        sign(),
        authorization=f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/ssm/x",
        x_amz_date=None,
    )

    with pytest.raises(IncompleteSignatureException) as exc:
        parse_authorization(request)

    assert exc.value.message == (
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of a 'X-Amz-Date' header."
    )


def test_parse_refuses_component_without_equal_sign() -> None:
    """A stray space after the key id splits the credential: AWS names the orphan piece."""
    request = sign()
    authorization = request.headers["authorization"].replace(f"{ACCESS_KEY}/", f"{ACCESS_KEY} /")

    with pytest.raises(IncompleteSignatureException, match="missing equal-sign"):
        parse_authorization(with_authorization(request, authorization))


def test_parse_refuses_duplicate_parameter() -> None:
    request = sign()
    authorization = request.headers["authorization"] + ", SignedHeaders=host"

    with pytest.raises(IncompleteSignatureException, match="more than one 'SignedHeaders'"):
        parse_authorization(with_authorization(request, authorization))


def test_parse_refuses_unsupported_algorithm() -> None:
    request = sign()
    authorization = request.headers["authorization"].replace("HMAC-SHA256", "HMAC-SHA512", 1)

    with pytest.raises(IncompleteSignatureException) as exc:
        parse_authorization(with_authorization(request, authorization))

    assert exc.value.message.startswith("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'")


@pytest.mark.parametrize(
    "amz_date", ["2026-01-01T00:00:00Z", "20260101T000000", "20261301T000000Z"]
)
def test_parse_refuses_unparseable_x_amz_date(amz_date: str) -> None:
    request = with_headers(sign(), x_amz_date=amz_date)

    with pytest.raises(IncompleteSignatureException) as exc:
        parse_authorization(request)

    assert exc.value.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_parse_refuses_credential_without_five_elements() -> None:
    request = sign()
    authorization = request.headers["authorization"].replace("/ssm/aws4_request", "/ssm")

    with pytest.raises(IncompleteSignatureException, match="exactly 5 slash-delimited elements"):
        parse_authorization(with_authorization(request, authorization))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("/ssm/", "/ec2/", "Credential should be scoped to correct service: 'ssm'. "),
        (
            "/aws4_request",
            "/aws5_request",
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            "not 'aws5_request'. ",
        ),
        (
            "/us-east-1/",
            "/US_EAST/",
            "Credential should be scoped to a valid region, not 'US_EAST'. ",
        ),
    ],
)
def test_parse_refuses_wrong_credential_scope(old: str, new: str, message: str) -> None:
    request = sign()
    authorization = request.headers["authorization"].replace(old, new)

    with pytest.raises(InvalidSignatureException) as exc:
        parse_authorization(with_authorization(request, authorization))

    assert exc.value.message == message


def test_parse_refuses_scope_date_other_than_x_amz_date() -> None:
    request = with_headers(sign(), x_amz_date="20260102T000000Z")
    scope_date = parse_authorization(sign())[0].date

    with pytest.raises(InvalidSignatureException) as exc:
        parse_authorization(request)

    assert exc.value.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        f"HTTP: '{scope_date}' != '20260102', from '20260102T000000Z'."
    )


def test_parse_reports_every_scope_problem_at_once() -> None:
    request = sign()
    credential = request.headers["authorization"].split("Credential=")[1].split(",")[0]
    authorization = request.headers["authorization"].replace(credential, f"{ACCESS_KEY}/b/C/d/e")
    amz_date = request.headers["x-amz-date"]

    with pytest.raises(InvalidSignatureException) as exc:
        parse_authorization(with_authorization(request, authorization))

    assert exc.value.message == (
        "Credential should be scoped to a valid region, not 'C'. "
        "Credential should be scoped to correct service: 'ssm'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        f"HTTP: 'b' != '{amz_date[:8]}', from '{amz_date}'."
    )


def test_parse_bounds_echoed_client_input() -> None:
    request = sign()
    authorization = request.headers["authorization"].replace(
        "AWS4-HMAC-SHA256", "AWS4-" + "X" * 500
    )

    with pytest.raises(IncompleteSignatureException) as exc:
        parse_authorization(with_authorization(request, authorization))

    assert len(exc.value.message) < 200
