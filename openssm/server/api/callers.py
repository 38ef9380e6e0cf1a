"""Helpers of the signed routes beside the AWS JSON endpoint: the address a caller reached, and
a whole response."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator

from starlette.types import Scope, Send

from openssm.errors import ApiError, InternalServerError, NotFoundFault, ObjectStoreError

log = logging.getLogger("openssm.api")

_JSON = b"application/x-amz-json-1.1"


def headers_of(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def endpoint_url(scope: Scope, headers: dict[str, str] | None = None) -> str:
    """scheme://host the client addressed (the Host header it signed)."""
    headers = headers if headers is not None else headers_of(scope)
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return f"{scheme}://{headers.get('host', '')}"


async def answer(
    send: Send, status: int, body: bytes, content_type: bytes, request_id: str
) -> None:
    """Send a whole response with its length and request id."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"x-amzn-requestid", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def serve_chunks(
    send: Send,
    request_id: str,
    opening: Callable[[], Awaitable[Iterator[bytes]]],
    content_type: bytes,
) -> None:
    """Answer a GET with the chunks ``opening`` gives (read in a worker thread), or with the
    API error it raised (a missing one as 404); anything else is a 500 naming the request."""
    try:
        chunks = await opening()
    except ApiError as exc:
        status = 404 if isinstance(exc, NotFoundFault) else exc.http_status
        await answer(send, status, json.dumps(exc.to_wire()).encode(), _JSON, request_id)
        return
    except Exception:
        log.exception("unhandled error in request %s", request_id)
        err = InternalServerError(f"Internal error; request id {request_id}")
        await answer(send, 500, json.dumps(err.to_wire()).encode(), _JSON, request_id)
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type),
                (b"x-amzn-requestid", request_id.encode()),
            ],
        }
    )
    while True:
        try:
            chunk = await asyncio.to_thread(next, chunks, None)
        except ObjectStoreError:
            log.exception("a read failed mid-way in request %s", request_id)
            return  # the response ends short of its chunked terminator: clients see an error
        if chunk is None:
            break
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
