"""``GET /output/<command>/<instance>/<plugin>/<step>/stdout|stderr``: a step's whole output.

The URL GetCommandInvocation and ListCommandInvocations give as StandardOutputUrl and
StandardErrorUrl when the output is in the server's own store (a command without
OutputS3BucketName); ``openssm output --full`` reads any command's output through it, wherever
it is kept. The request is SigV4-signed like any API call (service ``ssm``), and the caller
needs ``ssm:GetCommandInvocation``. The path only names an invocation's step: the object read is
found from the database, never from the path, so no request can name a file. Each request goes
to the audit trail as a GetCommandInvocation call (the action it is authorized as) with the
path in its additionalEventData, allowed or refused, like the API's reads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterator

from starlette.types import Receive, Scope, Send

from openssm import ids
from openssm.errors import (
    ApiError,
    BadObjectKey,
    InternalServerError,
    InvocationDoesNotExist,
    ObjectNotFound,
)
from openssm.server.api.callers import endpoint_url, serve_chunks
from openssm.server.api.endpoint import SIGNING_NAME
from openssm.server.api.gate import Gate
from openssm.server.objects import keys
from openssm.server.runtime import Runtime
from openssm.server.services.audit.calls import ApiCall
from openssm.server.services.commands import output

log = logging.getLogger("openssm.api")

_JSON = b"application/x-amz-json-1.1"
_TEXT = b"text/plain; charset=utf-8"
OPERATION = "GetCommandInvocation"


class OutputRoute:
    """The ASGI app behind ``/output/…``."""

    def __init__(self, runtime: Runtime, gate: Gate) -> None:
        self._runtime = runtime
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        tail = str(scope["path"])[len(output.ROUTE) :]
        call = self._gate.begin(scope, request_id, service=SIGNING_NAME, operation=OPERATION)
        call.parameters = _parameters(tail)
        call.additional = {"outputPath": (output.ROUTE + tail)[:1024]}
        await serve_chunks(
            send, request_id, lambda: self._audited(scope, request_id, tail, call), _TEXT
        )

    async def _audited(
        self, scope: Scope, request_id: str, tail: str, call: ApiCall
    ) -> Iterator[bytes]:
        try:
            return await self._open(scope, request_id, tail, call)
        except ApiError as exc:
            call.failed(exc)
            raise
        except Exception:
            call.failed(InternalServerError(f"Internal error; request id {request_id}"))
            raise
        finally:
            self._gate.record(call)

    async def _open(
        self, scope: Scope, request_id: str, tail: str, call: ApiCall
    ) -> Iterator[bytes]:
        caller = await self._gate.admit(scope, b"", service=SIGNING_NAME, call=call)
        ctx = dataclasses.replace(
            caller.context(request_id, None), endpoint_url=endpoint_url(scope)
        )
        self._gate.authorize(ctx, caller, f"ssm:{OPERATION}", ["*"])
        source = await self._runtime.store.read(lambda conn: output.find_source(conn, ctx, tail))
        if not source.key:
            return iter([source.text] if source.text else [])
        store = self._runtime.objects.for_bucket(source.bucket)
        try:
            return await asyncio.to_thread(store.read, source.key)
        except ObjectNotFound:
            # Removed from the store behind the server's back (an S3 lifecycle rule, say).
            raise InvocationDoesNotExist(f"The output at {tail} is no longer stored.") from None


def _parameters(tail: str) -> dict[str, str] | None:
    """GetCommandInvocation's request parameters the path names, when it names them."""
    try:
        command_id, instance_id, *_ = keys.split_tail(tail)
    except BadObjectKey:
        return None
    return {"CommandId": command_id, "InstanceId": instance_id}
