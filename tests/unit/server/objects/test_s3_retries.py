"""S3 uploads are tried again while they fail for a passing reason, after a capped backoff,
and not at all when the service refuses them. The client stands in for botocore's: it fails
as botocore does (ClientError, a broken connection, boto3's S3UploadFailedError)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError, EndpointConnectionError

from openssm.errors import ObjectStoreError
from openssm.server.objects.s3 import UPLOAD_ATTEMPTS, UPLOAD_BACKOFF_CAP_S, S3ObjectStore


def _client_error(code: str, status: int) -> ClientError:
    metadata: Any = {
        "HTTPStatusCode": status,
        "HTTPHeaders": {},
        "HostId": "",
        "RequestId": "",
        "RetryAttempts": 0,
    }
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": metadata}, "PutObject"
    )


def _wrapped(error: ClientError) -> S3UploadFailedError:
    try:
        raise error
    except ClientError:
        try:
            raise S3UploadFailedError(
                f"Failed to upload: {error}"
            )  # as boto3 does: its context is the cause
        except S3UploadFailedError as wrapped:
            return wrapped


class FailingClient:
    """Fails each call with the next of ``errors``, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def _call(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        self._call()

    def put_object(self, **_: Any) -> None:
        self._call()


def _store(client: FailingClient, sleeps: list[float]) -> S3ObjectStore:
    return S3ObjectStore(
        client, bucket="out", endpoint_url="http://127.0.0.1:9", sleep=sleeps.append
    )


@pytest.mark.parametrize(
    "error",
    [
        _client_error("SlowDown", 503),
        _client_error("InternalError", 500),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        _wrapped(_client_error("ServiceUnavailable", 503)),
    ],
    ids=["slow-down", "internal-error", "connection", "upload-failed"],
)
def test_a_passing_failure_is_tried_again_after_a_capped_backoff(
    tmp_path: Path, error: Exception
) -> None:
    source = tmp_path / "stdout"
    source.write_bytes(b"hello")
    client, sleeps = FailingClient(error, error), list[float]()
    _store(client, sleeps).publish("p/c/i/awsrunShellScript/0.awsrunShellScript/stdout", source)
    assert client.calls == 3
    assert len(sleeps) == 2
    assert all(0 <= s <= UPLOAD_BACKOFF_CAP_S for s in sleeps)
    assert not source.exists()  # taken once uploaded


def test_a_refusal_is_not_tried_again(tmp_path: Path) -> None:
    client, sleeps = FailingClient(_client_error("AccessDenied", 403)), list[float]()
    with pytest.raises(ObjectStoreError, match="AccessDenied"):
        _store(client, sleeps).put_bytes("k", b"x")
    assert (client.calls, sleeps) == (1, [])


def test_uploads_give_up_after_the_last_attempt(tmp_path: Path) -> None:
    busy = [_client_error("SlowDown", 503) for _ in range(UPLOAD_ATTEMPTS + 1)]
    client, sleeps = FailingClient(*busy), list[float]()
    with pytest.raises(ObjectStoreError, match="SlowDown"):
        _store(client, sleeps).put_bytes("k", b"x")
    assert client.calls == UPLOAD_ATTEMPTS
    assert len(sleeps) == UPLOAD_ATTEMPTS - 1


def test_a_refused_multipart_upload_is_an_object_store_error(tmp_path: Path) -> None:
    # boto3's upload_file raises S3UploadFailedError, which the collector would not catch.
    source = tmp_path / "stdout"
    source.write_bytes(b"hello")
    client, sleeps = FailingClient(_wrapped(_client_error("AccessDenied", 403))), list[float]()
    with pytest.raises(ObjectStoreError, match="AccessDenied"):
        _store(client, sleeps).publish("k", source)
    assert (client.calls, sleeps) == (1, [])
    assert source.exists()  # kept for another try
