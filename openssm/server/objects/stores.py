"""ObjectStore, the protocol both stores keep, and OutputStores: where a command's output goes.

A command that names OutputS3BucketName has its output in that bucket on the S3-compatible
service the server is configured with (``--s3-endpoint-url``); any other command's output is in
the local store under the data dir. With no S3 endpoint configured, a bucket is refused when
the command is sent rather than its output dropped later.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from openssm.server.objects.local import LocalObjectStore
from openssm.server.objects.s3 import S3ObjectStore

LOCAL_DIR = "output"


class ObjectStore(Protocol):
    def publish(self, key: str, source: Path) -> None:
        """Make the complete file ``source`` the object ``key``; the file is taken."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def read(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks; ObjectNotFound when there is none."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class S3Service:
    """The S3-compatible service of the server's configuration."""

    endpoint_url: str
    region: str
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


class OutputStores:
    """The local store, and a client for the configured S3 service (made on first use)."""

    def __init__(self, local_root: Path, s3: S3Service | None = None) -> None:
        self.local = LocalObjectStore(local_root)
        self.s3 = s3
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def under(cls, data_dir: Path, s3: S3Service | None = None) -> OutputStores:
        return cls(data_dir / LOCAL_DIR, s3)

    def bucket(self, name: str) -> S3ObjectStore:
        """The store of bucket ``name``; ValueError when no S3 service is configured."""
        if self.s3 is None:
            raise ValueError("no S3 endpoint is configured")
        return S3ObjectStore(self._s3_client(), bucket=name, endpoint_url=self.s3.endpoint_url)

    def for_bucket(self, name: str) -> ObjectStore:
        """Where a command with OutputS3BucketName ``name`` ("" for none) keeps its output."""
        return self.bucket(name) if name else self.local

    def _s3_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = _make_client(self.s3)
            return self._client


def _make_client(s3: S3Service | None) -> Any:
    # Imported here: boto3 costs ~100 ms to import, and most servers never use S3.
    import boto3
    from botocore.config import Config

    assert s3 is not None
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3.endpoint_url,
        region_name=s3.region,
        aws_access_key_id=s3.access_key_id,
        aws_secret_access_key=s3.secret_access_key,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        ),
    )
