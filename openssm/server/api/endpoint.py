"""The AWS JSON 1.1 endpoint: ``POST /`` with ``X-Amz-Target: AmazonSSM.<Operation>``.

Order of work for every request: authenticate (SigV4), decode the body,
find the operation, validate input against botocore's model, authorize against
the caller's policies, run the handler, shape the output by the model.
Every failure is answered as ``{"__type": …, "message": …}``; only the
catch-all answers InternalServerError, and its message is the request id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import Receive, Scope, Send

from openssm import arns, ids, jsontext
from openssm.errors import (
    AccessDeniedException,
    ApiError,
    ConcurrentUpdate,
    InternalServerError,
    InvalidSignatureException,
    SerializationException,
    ThrottlingException,
    TooManyUpdates,
    UnknownOperationException,
    UnrecognizedClientException,
    UnsupportedOperationException,
)
from openssm.server.api.authz import Policy, PolicyError, evaluate, parse_policy
from openssm.server.api.model import ServiceModel
from openssm.server.api.operations import Operation
from openssm.server.api.sigv4 import (
    ParsedAuthorization,
    SignedRequest,
    SigV4Verifier,
    parse_request,
)
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.identity import Principal
from openssm.server.services.principals import PrincipalCache
from openssm.server.throttle import FailureThrottle, client_key

log = logging.getLogger("openssm.api")

TARGET_PREFIX = "AmazonSSM."
CONTENT_TYPE = b"application/x-amz-json-1.1"
MAX_BODY_BYTES = 2 * 1024 * 1024


class ApiEndpoint:
    """An ASGI app answering the SSM API; holds only caches, never request state."""

    def __init__(
        self, runtime: Runtime, model: ServiceModel, operations: Mapping[str, Operation]
    ) -> None:
        self._runtime = runtime
        self._model = model
        self._operations = operations
        self._verifier = SigV4Verifier()
        self._policy_cache: dict[str, Policy] = {}
        self._principals = PrincipalCache(runtime.store, runtime.keyring)
        # Refused signatures and unknown keys, per client address (SECURITY.md #23).
        self._auth_failures = FailureThrottle(
            burst=runtime.settings.auth_failure_burst,
            per_s=runtime.settings.auth_failures_per_s,
            monotonic=runtime.clock.monotonic,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        try:
            status, payload = await self._handle(scope, receive, request_id)
        except ApiError as exc:
            status, payload = exc.http_status, exc.to_wire()
        except ConcurrentUpdate:
            busy = TooManyUpdates(
                "There are concurrent updates for a resource that supports one update at a time."
            )
            status, payload = busy.http_status, busy.to_wire()
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            err = InternalServerError(f"Internal error; request id {request_id}")
            status, payload = err.http_status, err.to_wire()
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
        self, scope: Scope, receive: Receive, request_id: str
    ) -> tuple[int, Mapping[str, Any]]:
        raw = await _read_body(receive)
        headers = _headers(scope)
        request = SignedRequest(
            method=scope["method"],
            path=scope.get("raw_path", b"/").decode("latin-1").split("?", 1)[0] or "/",
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=raw,
        )
        address = _client_host(scope)
        throttle_key = client_key(address)
        if self._auth_failures.retry_after_s(throttle_key) > 0:
            raise ThrottlingException(
                "Too many requests with refused credentials from this address; try again later."
            )
        parsed = parse_request(request)
        credential = parsed.credential
        now = self._runtime.clock.now()
        try:
            principal, parameters_generation = await self._authenticate(request, parsed, now)
        except (UnrecognizedClientException, InvalidSignatureException) as exc:
            log.info("authentication refused for %s: %s", address, exc.code)
            if self._auth_failures.failed(throttle_key):
                log.warning("throttling %s: too many refused signatures or keys", address)
            raise
        name = _operation_name(headers.get("x-amz-target", ""))
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
        policies = [self._policy(doc) for doc in principal.policy_documents]
        ctx = RequestContext(
            account_id=principal.account_id,
            region=credential.region,
            principal_arn=arns.user_arn(
                credential.region, principal.account_id, principal.user_name
            ),
            request_id=request_id,
            now=now,
            hides=_hider(policies, operation),
            parameters_generation=parameters_generation,
        )
        self._authorize(ctx, policies, name, operation.resources(ctx, body))
        output = await operation.handler(self._runtime, ctx, body)
        return 200, self._model.shape_output(name, output)

    async def _authenticate(
        self, request: SignedRequest, parsed: ParsedAuthorization, now: dt.datetime
    ) -> tuple[Principal, int]:
        """The principal whose key signed the request, and the parameters generation read with
        it; UnrecognizedClientException or InvalidSignatureException otherwise."""
        caller = await self._principals.caller(parsed.credential.access_key_id)
        principal = caller.principal
        if principal is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        self._verifier.verify(
            request, secret_key=principal.secret_access_key, now=now, parsed=parsed
        )
        if not principal.is_usable(now):
            # Checked after the signature so that a guesser learns nothing about key state.
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        return principal, caller.parameters_generation

    def _authorize(
        self, ctx: RequestContext, policies: list[Policy], name: str, resources: list[str]
    ) -> None:
        action = f"ssm:{name}"
        for resource in resources:
            decision = evaluate(policies, action, resource)
            if decision == "Allow" and ctx.hides is not None and ctx.hides(resource):
                decision = "ExplicitDeny"  # denied one of the call's other forms
            if decision == "Allow":
                continue
            reason = (
                "with an explicit deny in an identity-based policy"
                if decision == "ExplicitDeny"
                else f"because no identity-based policy allows the {action} action"
            )
            raise AccessDeniedException(
                f"User: {ctx.principal_arn} is not authorized to perform: {action} "
                f"on resource: {resource} {reason}"
            )

    def _policy(self, document: str) -> Policy:
        policy = self._policy_cache.get(document)
        if policy is None:
            try:
                policy = parse_policy(document)
            except PolicyError:
                # A stored policy that no longer parses grants nothing.
                log.warning("ignoring a stored policy that does not parse")
                policy = Policy(statements=())
            if len(self._policy_cache) > 1024:
                self._policy_cache.clear()
            self._policy_cache[document] = policy
        return policy


def _hider(policies: list[Policy], operation: Operation) -> Callable[[str], bool] | None:
    """``RequestContext.hides`` for this caller and call; None if nothing is ever denied."""
    if not any(s.effect == "Deny" for p in policies for s in p.statements):
        return None
    actions = [f"ssm:{operation.name}", *(f"ssm:{other}" for other in operation.denied_with)]

    def hides(resource: str) -> bool:
        return any(evaluate(policies, a, resource) == "ExplicitDeny" for a in actions)

    return hides


def _operation_name(target: str) -> str:
    if not target.startswith(TARGET_PREFIX):
        raise UnknownOperationException(
            f"X-Amz-Target must be {TARGET_PREFIX}<Operation> (got {target[:64]!r})"
        )
    return target[len(TARGET_PREFIX) :]


def _client_host(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


async def _read_body(receive: Receive) -> bytes:
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
