"""The REST-JSON endpoint of AWS Resource Groups, on the same URL as the SSM API.

boto3's ``resource-groups`` client speaks REST-JSON: each operation has its own method and
path (``POST /groups``, ``POST /get-group``, ``PUT /resources/{Arn}/tags`` …), some members
travel in the path or the query string, the rest in a JSON body, and it signs with the
service name ``resource-groups``. The routes are read from botocore's model, so every
operation of the model has one: those openssm does not implement answer
UnsupportedOperationException naming the operation.

Order of work, as on the SSM endpoint: authenticate (SigV4 for ``resource-groups``), find the
operation by method and path, decode and validate the input against the model, authorize
``resource-groups:<Operation>`` on the operation's resources, run the handler, shape the
output. Errors are AWS's Resource Groups names (BadRequestException, NotFoundException,
ForbiddenException …) with their HTTP status, the name in ``x-amzn-ErrorType`` and the
words in ``{"Message": …}``, which is how botocore reads a REST-JSON error.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import Receive, Scope, Send

from openssm import ids, jsontext
from openssm.errors import (
    AccessDeniedException,
    ApiError,
    AuthFault,
    BadRequestException,
    ConcurrentUpdate,
    ForbiddenException,
    InternalServerErrorException,
    MethodNotAllowedException,
    NotFoundException,
    NotFoundFault,
    ThrottlingException,
    TooManyRequestsException,
    TooManyUpdates,
    UnsupportedOperationException,
)
from openssm.server.api.endpoint import read_body
from openssm.server.api.gate import Gate, hider, request_headers
from openssm.server.api.model import ServiceModel, load_service_model
from openssm.server.api.operations import Operation
from openssm.server.runtime import Runtime
from openssm.server.services.audit.calls import ApiCall

log = logging.getLogger("openssm.api")

SERVICE = "resource-groups"
CONTENT_TYPE = b"application/json"
_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """Where one operation is served: its method, its path pattern and its success status."""

    operation: str
    method: str
    template: str  # the model's requestUri path, e.g. "/resources/{Arn}/tags"
    pattern: re.Pattern[str]  # over the raw (still percent-encoded) path
    labels: tuple[str, ...]
    status: int


def _route(operation: str, http: Mapping[str, Any]) -> HttpRoute:
    template = str(http["requestUri"]).split("?", 1)[0]
    labels: list[str] = []
    regex: list[str] = []
    at = 0
    for label in _LABEL.finditer(template):
        regex.append(re.escape(template[at : label.start()]))
        labels.append(label.group(1))
        regex.append(f"(?P<p{len(labels)}>.+)" if label.group(2) else f"(?P<p{len(labels)}>[^/]+)")
        at = label.end()
    regex.append(re.escape(template[at:]))
    return HttpRoute(
        operation=operation,
        method=str(http["method"]).upper(),
        template=template,
        pattern=re.compile("".join(regex)),
        labels=tuple(labels),
        status=int(http.get("responseCode", 200)),
    )


class Router:
    """The model's operations by method and path. Pure."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        self._routes = tuple(
            _route(name, op["http"]) for name, op in sorted(model["operations"].items())
        )

    def starlette_paths(self) -> list[str]:
        """Each distinct path template as a Starlette route path (a label may hold ``/``
        once decoded, as an ARN does)."""
        paths = {_LABEL.sub(r"{\1:path}", r.template) for r in self._routes}
        return sorted(paths)

    def match(self, method: str, raw_path: str) -> tuple[HttpRoute, dict[str, str]]:
        """The route and its decoded path labels; NotFoundException for a path no operation
        has, MethodNotAllowedException for a known path asked with another method."""
        path_matched = False
        for route in self._routes:
            found = route.pattern.fullmatch(raw_path)
            if found is None:
                continue
            path_matched = True
            if route.method == method:
                values = {
                    label: unquote(found.group(f"p{i}"), errors="surrogateescape")
                    for i, label in enumerate(route.labels, 1)
                }
                return route, values
        if path_matched:
            raise MethodNotAllowedException(f"{method} is not allowed on {raw_path[:128]}")
        raise NotFoundException(f"No Resource Groups operation is served at {raw_path[:128]}")


class RequestShape:
    """Where each input member of each operation travels (path, query string, header, body)."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        shapes: Mapping[str, Mapping[str, Any]] = model["shapes"]
        self._shapes = shapes
        self._located: dict[str, dict[str, tuple[str, str, str]]] = {}
        for name, op in model["operations"].items():
            located: dict[str, tuple[str, str, str]] = {}
            if "input" in op:
                for member, ref in shapes[op["input"]["shape"]]["members"].items():
                    if "location" in ref:
                        kind = shapes[ref["shape"]]["type"]
                        located[member] = (ref["location"], ref.get("locationName", member), kind)
            self._located[name] = located

    def assemble(
        self,
        operation: str,
        body: object,
        labels: Mapping[str, str],
        query: str,
        headers: Mapping[str, str],
    ) -> object:
        """The operation's input as one JSON-like value: the body's members, then those bound
        to the path, query string and headers (a body member bound elsewhere is dropped)."""
        located = self._located[operation]
        if not isinstance(body, dict) or not located:
            return body
        out = {k: v for k, v in body.items() if k not in located}
        params = dict(parse_qsl(query, keep_blank_values=True))
        for member, (location, wire_name, kind) in located.items():
            if location == "uri":
                value: str | None = labels.get(wire_name)
            elif location == "querystring":
                value = params.get(wire_name)
            elif location == "header":
                value = headers.get(wire_name.lower())
            else:
                value = None
            if value is not None:
                out[member] = _typed(value, kind, wire_name)
        return out


def _typed(value: str, kind: str, wire_name: str) -> object:
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise BadRequestException(
                f"Value '{value[:64]}' at '{wire_name}' must be an integer"
            ) from None
    if kind == "boolean":
        return value.lower() == "true"
    return value


def for_resource_groups(exc: ApiError) -> ApiError:
    """The Resource Groups error for one raised by code shared with the SSM endpoint (its
    names and statuses are the service's own); the auth errors every AWS service sends and
    UnsupportedOperationException keep their names."""
    if isinstance(
        exc,
        BadRequestException
        | NotFoundException
        | MethodNotAllowedException
        | TooManyRequestsException
        | UnsupportedOperationException,
    ):
        return exc
    if isinstance(exc, AccessDeniedException):
        return ForbiddenException(exc.message)
    if isinstance(exc, ThrottlingException | TooManyUpdates):
        return TooManyRequestsException(exc.message)
    if isinstance(exc, AuthFault):
        return exc
    if isinstance(exc, NotFoundFault):
        return NotFoundException(exc.message)
    if exc.http_status >= 500:
        return InternalServerErrorException(exc.message)
    return BadRequestException(exc.message)


class RestJsonEndpoint:
    """An ASGI app answering AWS Resource Groups; holds only caches, never request state."""

    def __init__(
        self, runtime: Runtime, gate: Gate, operations: Mapping[str, Operation], *, strict: bool
    ) -> None:
        data = load_service_model(SERVICE)
        self._runtime = runtime
        self._gate = gate
        self._operations = operations
        self._model = ServiceModel(strict=strict, model=data)
        self.router = Router(data)
        self._request_shape = RequestShape(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        headers: list[tuple[bytes, bytes]] = [(b"x-amzn-requestid", request_id.encode())]
        call = self._gate.begin(
            scope, request_id, service=SERVICE, operation=self._operation_named(scope)
        )
        try:
            status, payload = await self._handle(scope, receive, request_id, call)
        except ApiError as exc:
            call.failed(exc)
            error = for_resource_groups(exc)
            status, payload = error.http_status, {"Message": error.message}
            headers.append((b"x-amzn-errortype", error.code.encode()))
        except ConcurrentUpdate:
            status, payload = 429, {"Message": "Too many concurrent updates; try again."}
            headers.append((b"x-amzn-errortype", TooManyRequestsException.__name__.encode()))
            call.failed_with(TooManyRequestsException.__name__, payload["Message"])
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            status = InternalServerErrorException.http_status
            payload = {"Message": f"Internal error; request id {request_id}"}
            headers.append((b"x-amzn-errortype", InternalServerErrorException.__name__.encode()))
            call.failed_with(InternalServerErrorException.__name__, payload["Message"])
        self._gate.record(call)
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers += [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _operation_named(self, scope: Scope) -> str:
        """The operation a request's method and path name, for its record ("" for none)."""
        raw_path = scope.get("raw_path", b"/").decode("latin-1").split("?", 1)[0]
        try:
            return self.router.match(scope["method"], raw_path)[0].operation
        except ApiError:
            return ""

    async def _handle(
        self, scope: Scope, receive: Receive, request_id: str, call: ApiCall
    ) -> tuple[int, Mapping[str, Any]]:
        raw = await read_body(receive)
        caller = await self._gate.admit(scope, raw, service=SERVICE, call=call)
        raw_path = scope.get("raw_path", b"/").decode("latin-1").split("?", 1)[0]
        route, labels = self.router.match(scope["method"], raw_path)
        name = route.operation
        try:
            decoded = jsontext.loads(raw) if raw.strip() else {}
        except jsontext.JsonTooDeep as exc:
            raise BadRequestException(f"Request body: {exc}") from exc
        except ValueError as exc:
            raise BadRequestException("Request body is not valid JSON") from exc
        query = scope.get("query_string", b"").decode("latin-1")
        assembled = self._request_shape.assemble(
            name, decoded, labels, query, request_headers(scope)
        )
        operation = self._operations.get(name)
        if operation is None:
            raise UnsupportedOperationException(f"openssm does not implement {name} yet")
        body = self._model.validate_input(name, assembled)
        call.parameters = body
        action = f"{SERVICE}:{name}"
        actions = [action, *(f"{SERVICE}:{other}" for other in operation.denied_with)]
        ctx = caller.context(request_id, hider(caller.policies, actions))
        call.resources = resources = operation.resources(ctx, body)
        self._gate.authorize(ctx, caller, action, resources)
        output = self._model.shape_output(name, await operation.handler(self._runtime, ctx, body))
        call.response = output
        return route.status, output
