"""``GET /session-output/<session-id>``: a session's transcript, the OutputUrl of
DescribeSessions.

Signed like any API call (service ``ssm``); the caller needs ``ssm:DescribeSessions``, and
the session must be in the caller's account and region. The path names a session only; the
objects read are the session's transcript pieces, never a path from the request.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator

from starlette.types import Receive, Scope, Send

from openssm import ids
from openssm.server.api.callers import serve_chunks
from openssm.server.api.endpoint import SIGNING_NAME
from openssm.server.api.gate import Gate
from openssm.server.runtime import Runtime
from openssm.server.services.sessions import lifecycle
from openssm.server.services.sessions.transcripts import ROUTE, read_transcript, store_of

log = logging.getLogger("openssm.api")

_JSON = b"application/x-amz-json-1.1"
_BYTES = b"application/octet-stream"


class TranscriptRoute:
    def __init__(self, runtime: Runtime, gate: Gate) -> None:
        self._runtime = runtime
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        await serve_chunks(send, request_id, lambda: self._open(scope, request_id), _BYTES)

    async def _open(self, scope: Scope, request_id: str) -> Iterator[bytes]:
        caller = await self._gate.admit(scope, b"", service=SIGNING_NAME)
        ctx = caller.context(request_id, None)
        self._gate.authorize(ctx, caller, "ssm:DescribeSessions", ["*"])
        session_id = urllib.parse.unquote(str(scope["path"])[len(ROUTE) :])
        row = await self._runtime.store.read(lambda conn: lifecycle.require(conn, ctx, session_id))
        spec = lifecycle.spec_of(row)
        store = store_of(self._runtime.objects, spec)
        return read_transcript(store, session_id, spec.s3_prefix)
