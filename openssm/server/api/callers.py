"""Helpers of the signed routes beside the AWS JSON endpoint: the address a caller reached, and
a whole response."""

from __future__ import annotations

from starlette.types import Scope, Send


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
