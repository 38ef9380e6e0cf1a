"""Where a session's transcript lives in the object store, and reading it back.

The relay writes the transcript as it happens, in pieces ``sessions/<session>/<n>`` (n
from 0, eight digits), in the server's local store or, when the session preferences name
one, in their s3BucketName under their s3KeyPrefix. Each piece is a whole object published
at once: a session cut by a crash keeps every piece written before it. Shell and command
sessions keep their output (what the user saw, their typing echoed in it); port and SSH
sessions keep one JSON line per connection (opened, closed, bytes each way), never the
bytes themselves. Reading goes through the pieces in order until one is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from openssm.errors import ObjectNotFound
from openssm.server.objects.stores import ObjectStore, OutputStores
from openssm.server.services.sessions.model import AgentSpec

ROUTE = "/session-output/"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def folder(session_id: str) -> str:
    # A user name may hold + = , @, which are no part of a key segment.
    return "sessions/" + _UNSAFE.sub("_", session_id)[:128]


def piece_key(session_id: str, index: int, prefix: str = "") -> str:
    key = f"{folder(session_id)}/{index:08d}"
    return f"{prefix}/{key}" if prefix else key


def store_of(objects: OutputStores, spec: AgentSpec) -> ObjectStore:
    """The store the session's preferences chose: their bucket, else the local store."""
    return objects.bucket(spec.s3_bucket) if spec.s3_bucket else objects.local


def output_url(endpoint_url: str, session_id: str) -> str:
    return f"{endpoint_url}{ROUTE}{session_id}"


def read_transcript(store: ObjectStore, session_id: str, prefix: str = "") -> Iterator[bytes]:
    """The transcript's bytes, piece after piece (blocking: run it in a worker thread)."""
    index = 0
    while True:
        try:
            chunks = store.read(piece_key(session_id, index, prefix))
        except ObjectNotFound:
            return
        yield from chunks
        index += 1
