"""S3ObjectStore: one bucket on the S3-compatible service the server is configured with.

The endpoint, region and credentials come from the server's settings only; an API caller names
the bucket and nothing else. Requests are path-style (``<endpoint>/<bucket>/<key>``), so no
bucket name can change the host a request goes to. botocore's errors are translated here, at the
boundary: a missing key or bucket is ObjectNotFound, anything else ObjectStoreError.

An upload that fails for a passing reason (the service busy or failing, a connection broken or
timed out) is tried again after a capped, jittered backoff (``openssm.backoff``), up to
UPLOAD_ATTEMPTS in all, on top of botocore's own quick retries; a refusal (no such bucket,
access denied) is not.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from openssm.backoff import Backoff
from openssm.errors import ObjectNotFound, ObjectStoreError

log = logging.getLogger("openssm.objects")

READ_CHUNK = 64 * 1024
UPLOAD_ATTEMPTS = 5
UPLOAD_BACKOFF_BASE_S = 0.5
UPLOAD_BACKOFF_CAP_S = 10.0
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
# S3's answers that mean "not now" rather than "no".
_BUSY = frozenset(
    {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "Throttling"}
)


def _is_transient(exc: BaseException | None) -> bool:
    """Worth trying again: the service was busy or failing, or the connection broke.
    boto3's upload_file wraps a ClientError in S3UploadFailedError, so the cause counts."""
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return str(exc.response.get("Error", {}).get("Code", "")) in _BUSY or status >= 500
    if isinstance(exc, ConnectionError | HTTPClientError):
        return True
    return exc is not None and _is_transient(exc.__context__)


def _upload_errors() -> tuple[type[Exception], ...]:
    # boto3 is imported here, where a client exists: importing it costs ~100 ms at start.
    from boto3.exceptions import S3UploadFailedError

    return (ClientError, BotoCoreError, S3UploadFailedError)


def _translated(exc: Exception, what: str) -> ObjectStoreError:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            return ObjectNotFound(f"{what}: not found ({code})")
        return ObjectStoreError(f"{what}: {code or 'refused'}")
    return ObjectStoreError(f"{what}: {exc}")


class S3ObjectStore:
    """Objects in ``bucket``; every method blocks (callers use a worker thread)."""

    def __init__(
        self,
        client: Any,
        *,
        bucket: str,
        endpoint_url: str,
        attempts: int = UPLOAD_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self._endpoint_url = endpoint_url.rstrip("/")
        self._attempts = attempts
        self._sleep = sleep

    def url(self, key: str) -> str:
        """The object's address on the configured endpoint, as AWS gives an S3 URL."""
        quoted = urllib.parse.quote(key, safe="/-_.~")
        return f"{self._endpoint_url}/{self.bucket}/{quoted}"

    def check_bucket(self) -> None:
        """ObjectNotFound when the bucket does not exist, ObjectStoreError when it can't be
        reached or used."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc, f"bucket {self.bucket}") from exc

    def publish(self, key: str, source: Path) -> None:
        """Upload the complete file ``source`` as ``key`` (multipart when large); the file is
        taken (removed once uploaded)."""
        self._uploading(key, lambda: self._client.upload_file(str(source), self.bucket, key))
        source.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._uploading(
            key, lambda: self._client.put_object(Bucket=self.bucket, Key=key, Body=data)
        )

    def _uploading(self, key: str, upload: Callable[[], object]) -> None:
        """``upload()``, tried again after a backoff while it fails for a passing reason."""
        backoff = Backoff(base_s=UPLOAD_BACKOFF_BASE_S, cap_s=UPLOAD_BACKOFF_CAP_S)
        for attempt in range(1, self._attempts + 1):
            try:
                upload()
                return
            except _upload_errors() as exc:
                if attempt == self._attempts or not _is_transient(exc):
                    raise _translated(exc, f"upload of {key}") from exc
                delay = backoff.next_delay()
                log.warning(
                    "upload of %s to %s failed (%s); attempt %d of %d in %.1fs",
                    key, self.bucket, exc, attempt + 1, self._attempts, delay,
                )  # fmt: skip
                self._sleep(delay)

    def read(self, key: str) -> Iterator[bytes]:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc, f"object {key}") from exc
        return self._chunks(answer["Body"], key)

    @staticmethod
    def _chunks(body: Any, key: str) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(READ_CHUNK)
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc, f"object {key}") from exc
        finally:
            body.close()
