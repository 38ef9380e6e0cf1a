"""SigV4-signed requests for the verifier's tests, signed offline by botocore's own signer,
and the small edits the tests make to them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from http.client import HTTPMessage
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials

from openssm.server.api.sigv4 import (
    Credential,
    SignedRequest,
    SigV4Verifier,
)

ACCESS_KEY = "AKIAOPENSSMTEST00001"


SECRET = "openssm/test+secret/0123456789abcdefghij"


ENDPOINT = "http://localhost:8080/"


GET_PARAMETER = b'{"Name": "/app/db/password", "WithDecryption": true}'


def to_signed_request(prepared: AWSPreparedRequest) -> SignedRequest:
    """What our HTTP layer would hand in for this request as it arrives on the wire."""
    url = urlsplit(prepared.url)
    # botocore signs host from the URL; the HTTP client adds the header after signing.
    headers = {"host": url.netloc}
    for name, value in prepared.headers.items():
        raw: object = value  # the stubs say str; botocore's serializers put bytes here
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        name = name.lower()
        headers[name] = f"{headers[name]},{text}" if name in headers else text
    body = prepared.body
    assert body is None or isinstance(body, bytes)
    return SignedRequest(
        method=prepared.method,
        path=url.path or "/",
        query=url.query,
        headers=headers,
        body=body or b"",
    )


def sign(
    *,
    url: str = ENDPOINT,
    method: str = "POST",
    body: bytes = GET_PARAMETER,
    target: str = "AmazonSSM.GetParameter",
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    secret: str = SECRET,
    signer: type[SigV4Auth] = SigV4Auth,
) -> SignedRequest:
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        params=dict(params or {}),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": target,
            **(headers or {}),
        },
    )
    signer(Credentials(ACCESS_KEY, secret), "ssm", region).add_auth(request)
    return to_signed_request(request.prepare())


def signed_at(request: SignedRequest) -> datetime:
    return datetime.strptime(request.headers["x-amz-date"] + "+0000", "%Y%m%dT%H%M%SZ%z")


def with_headers(request: SignedRequest, **changes: str | None) -> SignedRequest:
    """Replace headers (``x_amz_date=`` names ``x-amz-date``); ``None`` removes one."""
    named = {name.replace("_", "-"): value for name, value in changes.items()}
    headers = {k: v for k, v in request.headers.items() if k not in named}
    headers.update({k: v for k, v in named.items() if v is not None})
    return dataclasses.replace(request, headers=headers)


def with_authorization(request: SignedRequest, value: str) -> SignedRequest:
    return with_headers(request, authorization=value)


def verify(
    request: SignedRequest,
    *,
    secret: str = SECRET,
    skew: timedelta = timedelta(0),
    verifier: SigV4Verifier | None = None,
) -> Credential:
    verifier = verifier or SigV4Verifier()
    return verifier.verify(request, secret_key=secret, now=signed_at(request) + skew)


class HostlessSigV4Auth(SigV4Auth):
    """botocore's signer, minus host: produces a signature that is correct but too weak."""

    def headers_to_sign(self, request: AWSRequest) -> HTTPMessage:
        headers = super().headers_to_sign(request)
        del headers["host"]
        return headers


class DatelessSigV4Auth(SigV4Auth):
    def headers_to_sign(self, request: AWSRequest) -> HTTPMessage:
        headers = super().headers_to_sign(request)
        del headers["x-amz-date"]
        return headers
