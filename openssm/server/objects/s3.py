"""S3ObjectStore: one bucket on the S3-compatible service the server is configured with.

The endpoint, region and credentials come from the server's settings only; an API caller names
the bucket and nothing else. Requests are path-style (``<endpoint>/<bucket>/<key>``), so no
bucket name can change the host a request goes to. botocore's errors are translated here, at the
boundary: a missing key or bucket is ObjectNotFound, anything else ObjectStoreError.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from openssm.errors import ObjectNotFound, ObjectStoreError

READ_CHUNK = 64 * 1024
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})


def _translated(exc: Exception, what: str) -> ObjectStoreError:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            return ObjectNotFound(f"{what}: not found ({code})")
        return ObjectStoreError(f"{what}: {code or 'refused'}")
    return ObjectStoreError(f"{what}: {exc}")


class S3ObjectStore:
    """Objects in ``bucket``; every method blocks (callers use a worker thread)."""

    def __init__(self, client: Any, *, bucket: str, endpoint_url: str) -> None:
        self._client = client
        self.bucket = bucket
        self._endpoint_url = endpoint_url.rstrip("/")

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
        try:
            self._client.upload_file(str(source), self.bucket, key)
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc, f"upload of {key}") from exc
        source.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes) -> None:
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise _translated(exc, f"upload of {key}") from exc

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
