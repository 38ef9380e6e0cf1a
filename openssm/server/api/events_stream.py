"""``GET /events/v1/tail``: the caller's events as they are written, as server-sent events.

What ``openssm events tail`` reads. The request is SigV4-signed like any API call (service
``events``) and needs ``events:TailEvents`` (openssm's own action: AWS has no live tail). An
optional ``pattern`` query parameter (an EventBridge event pattern) keeps only the events it
matches. Each event is one ``data:`` line holding its EventBridge envelope; a comment line
every few seconds keeps an idle stream open through proxies. The stream starts at the events
written after it opened and ends when the client goes away or the server stops. Opening it,
or being refused, is recorded in the audit trail as a TailEvents call (a read), its pattern in
additionalEventData.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import logging
import urllib.parse

from starlette.types import Message, Receive, Scope, Send

from openssm import ids
from openssm.errors import ApiError, InternalServerError, InvalidEventPatternException
from openssm.server.api.callers import answer, endpoint_url
from openssm.server.api.gate import Gate
from openssm.server.context import RequestContext
from openssm.server.events.patterns import EventPattern, PatternError, parse_pattern
from openssm.server.runtime import Runtime
from openssm.server.services.audit.calls import ApiCall
from openssm.server.services.events import tail

log = logging.getLogger("openssm.api")

ROUTE = "/events/v1/tail"
OPERATION = "TailEvents"
ACTION = f"events:{OPERATION}"
POLL_S = 0.25
KEEPALIVE_S = 5.0
_JSON = b"application/x-amz-json-1.1"


class EventStreamRoute:
    """The ASGI app behind ``/events/v1/tail``."""

    def __init__(self, runtime: Runtime, gate: Gate) -> None:
        self._runtime = runtime
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        # Recorded in the audit trail once admitted or refused, as TailEvents.
        call = self._gate.begin(scope, request_id, service="events", operation=OPERATION)
        try:
            ctx, pattern = await self._admit(scope, request_id, call)
            cursor = await self._runtime.store.read(tail.newest_id)
        except ApiError as exc:
            call.failed(exc)
            self._gate.record(call)
            await answer(
                send, exc.http_status, json.dumps(exc.to_wire()).encode(), _JSON, request_id
            )
            return
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            err = InternalServerError(f"Internal error; request id {request_id}")
            call.failed(err)
            self._gate.record(call)
            await answer(send, 500, json.dumps(err.to_wire()).encode(), _JSON, request_id)
            return
        self._gate.record(call)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream"),
                    (b"cache-control", b"no-cache"),
                    (b"x-amzn-requestid", request_id.encode()),
                ],
            }
        )
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        try:
            await self._stream(send, ctx, pattern, cursor, gone)
        finally:
            watcher.cancel()

    async def _admit(
        self, scope: Scope, request_id: str, call: ApiCall
    ) -> tuple[RequestContext, EventPattern | None]:
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        text = (query.get("pattern") or [None])[0]
        if text is not None:
            call.additional = {"pattern": text[:2048]}
        caller = await self._gate.admit(scope, b"", service="events", call=call)
        ctx = dataclasses.replace(
            caller.context(request_id, None), endpoint_url=endpoint_url(scope)
        )
        self._gate.authorize(ctx, caller, ACTION, ["*"])
        if text is None:
            return ctx, None
        try:
            return ctx, parse_pattern(text)
        except PatternError as exc:
            raise InvalidEventPatternException(
                f"Event pattern is not valid. Reason: {exc}"
            ) from None

    async def _stream(
        self,
        send: Send,
        ctx: RequestContext,
        pattern: EventPattern | None,
        cursor: int,
        gone: asyncio.Event,
    ) -> None:
        store = self._runtime.store
        quiet_s = 0.0
        while not gone.is_set():
            found = await store.read(functools.partial(tail.events_after, ctx=ctx, after=cursor))
            chunk = b""
            for outbox_id, envelope in found:
                cursor = outbox_id
                if pattern is None or pattern.matches(envelope):
                    chunk += (
                        b"data: " + json.dumps(envelope, separators=(",", ":")).encode() + b"\n\n"
                    )
            if not chunk and quiet_s >= KEEPALIVE_S:
                chunk, quiet_s = b": keepalive\n\n", 0.0
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if found:
                continue
            try:
                await asyncio.wait_for(gone.wait(), timeout=POLL_S)
            except TimeoutError:
                quiet_s += POLL_S
        with contextlib.suppress(OSError):  # the client may be gone already
            await send({"type": "http.response.body", "body": b""})


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return
