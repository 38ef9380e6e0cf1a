"""The AWS JSON 1.1 endpoint: ``POST /`` with ``X-Amz-Target: AmazonSSM.<Operation>``.

Order of work for every request: authenticate (SigV4), decode the body,
find the operation, validate input against botocore's model, authorize against
the caller's policies, run the handler, shape the output by the model.
Every failure is answered as ``{"__type": …, "message": …}``; only the
catch-all answers InternalServerError, and its message is the request id.
Every request, answered or refused, goes to the audit trail (``Gate.record``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from openssm import ids, jsontext
from openssm.errors import (
    ApiError,
    ConcurrentUpdate,
    InternalServerError,
    SerializationException,
    TooManyUpdates,
    UnknownOperationException,
    UnsupportedOperationException,
)
from openssm.server.api.callers import endpoint_url
from openssm.server.api.gate import Gate, hider, request_headers
from openssm.server.api.model import ServiceModel
from openssm.server.api.operations import Operation
from openssm.server.runtime import Runtime
from openssm.server.services.audit.calls import ApiCall

log = logging.getLogger("openssm.api")

SIGNING_NAME = "ssm"
TARGET_PREFIX = "AmazonSSM."
CLOUDTRAIL_TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
CONTENT_TYPE = b"application/x-amz-json-1.1"
MAX_BODY_BYTES = 2 * 1024 * 1024


class ApiEndpoint:
    """An ASGI app answering the SSM API; holds only caches, never request state."""

    def __init__(
        self,
        runtime: Runtime,
        model: ServiceModel,
        operations: Mapping[str, Operation],
        gate: Gate | None = None,
        *,
        service: str = SIGNING_NAME,
        target_prefix: str = TARGET_PREFIX,
    ) -> None:
        self._runtime = runtime
        self._model = model
        self._operations = operations
        self._gate = gate if gate is not None else Gate(runtime)
        # Another AWS JSON 1.1 service on the same URL (EventBridge's AWSEvents.*) differs
        # only in these: what its requests are signed for and how their targets begin.
        self._service = service
        self._target_prefix = target_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        target = _target(scope)
        prefix = self._target_prefix
        call = self._gate.begin(
            scope,
            request_id,
            service=self._service,
            operation=target[len(prefix) :] if target.startswith(prefix) else "",
        )
        try:
            status, payload = await self._handle(scope, receive, request_id, call)
        except ApiError as exc:
            status, payload = exc.http_status, exc.to_wire()
            call.failed(exc)
        except ConcurrentUpdate:
            busy = TooManyUpdates(
                "There are concurrent updates for a resource that supports one update at a time."
            )
            status, payload = busy.http_status, busy.to_wire()
            call.failed(busy)
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            err = InternalServerError(f"Internal error; request id {request_id}")
            status, payload = err.http_status, err.to_wire()
            call.failed(err)
        self._gate.record(call)
        body = json.dumps(payload, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", CONTENT_TYPE),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-requestid", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _handle(
        self, scope: Scope, receive: Receive, request_id: str, call: ApiCall
    ) -> tuple[int, Mapping[str, Any]]:
        raw = await read_body(receive)
        caller = await self._gate.admit(scope, raw, service=self._service, call=call)
        target = request_headers(scope).get("x-amz-target", "")
        name = _operation_name(target, self._target_prefix)
        try:
            decoded = jsontext.loads(raw) if raw else {}
        except jsontext.JsonTooDeep as exc:
            raise SerializationException(f"Request body: {exc}") from exc
        except ValueError as exc:
            raise SerializationException("Request body is not valid JSON") from exc
        operation = self._operations.get(name)
        if operation is None:
            if self._model.has_operation(name):
                raise UnsupportedOperationException(f"openssm does not implement {name} yet")
            raise UnknownOperationException(f"Unknown operation {name}")
        body = self._model.validate_input(name, decoded)
        call.parameters = body
        action = f"{self._service}:{name}"
        actions = [action, *(f"{self._service}:{other}" for other in operation.denied_with)]
        ctx = caller.context(request_id, hider(caller.policies, actions))
        ctx = dataclasses.replace(ctx, endpoint_url=endpoint_url(scope))
        call.resources = resources = operation.resources(ctx, body)
        self._gate.authorize(ctx, caller, action, resources)
        for other, other_resources in operation.also_needs(ctx, body):
            self._gate.authorize(ctx, caller, other, other_resources)
        output = self._model.shape_output(name, await operation.handler(self._runtime, ctx, body))
        call.response = output
        return 200, output


def _operation_name(target: str, prefix: str) -> str:
    if not target.startswith(prefix):
        raise UnknownOperationException(
            f"X-Amz-Target must be {prefix}<Operation> (got {target[:64]!r})"
        )
    return target[len(prefix) :]


def _target(scope: Scope) -> str:
    for raw_name, raw_value in scope["headers"]:
        if raw_name.lower() == b"x-amz-target":
            return str(raw_value.decode("latin-1"))
    return ""


class TargetRouter:
    """``POST /`` for every AWS JSON 1.1 service the server speaks: the X-Amz-Target's prefix
    (``AmazonSSM.``, ``AWSEvents.``, CloudTrail's dotted one) picks the endpoint; anything else
    goes to the first, which answers it as SSM answers an unknown target."""

    def __init__(self, endpoints: Mapping[str, ASGIApp]) -> None:
        self._endpoints = dict(endpoints)
        self._default = next(iter(self._endpoints.values()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = _target(scope)
        for prefix, endpoint in self._endpoints.items():
            if target.startswith(prefix):
                await endpoint(scope, receive, send)
                return
        await self._default(scope, receive, send)


async def read_body(receive: Receive) -> bytes:
    """The whole request body; SerializationException past MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise SerializationException(f"Request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
