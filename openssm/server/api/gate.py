"""Who is calling, and may they: what every API endpoint of the process does before its handler.

One ``Gate`` serves every AWS service the server speaks (SSM's JSON 1.1 endpoint, Resource
Groups' REST-JSON one), so a guesser's refused signatures count once whichever service they
try, and the principal and policy caches are shared. It owns SigV4 verification with the
credential scope's service, the failure throttle, and IAM-style authorization of
``<service>:<Operation>`` actions; the endpoints own their wire formats.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.types import Scope

from openssm import arns
from openssm.config import DEFAULT_REGION
from openssm.errors import (
    AccessDeniedException,
    InvalidSignatureException,
    ThrottlingException,
    UnrecognizedClientException,
)
from openssm.server.api.authz import Policy, PolicyError, evaluate, parse_policy
from openssm.server.api.sigv4 import SignedRequest, SigV4Verifier, parse_request
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.audit.calls import MAX_USER_AGENT, ApiCall, Identity
from openssm.server.services.identity import Principal
from openssm.server.services.principals import PrincipalCache
from openssm.server.throttle import FailureThrottle, client_key

log = logging.getLogger("openssm.api")

_POLICY_CACHE_SIZE = 1024
# What a credential scope's region or an operation's name must look like to be recorded as
# given (a refused request's are the caller's words, unchecked).
_REGION = re.compile(r"[a-z0-9-]{1,32}")
_OPERATION = re.compile(r"[A-Za-z0-9]{1,128}")
UNKNOWN_OPERATION = "Unknown"


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: whose key signed it, for which region, and their policies."""

    principal: Principal
    region: str
    now: dt.datetime
    policies: tuple[Policy, ...]
    # The parameters generation read with the caller's identity (see RequestContext).
    parameters_generation: int

    def context(
        self, request_id: str, hides: Callable[[str], bool] | None = None
    ) -> RequestContext:
        return RequestContext(
            account_id=self.principal.account_id,
            region=self.region,
            principal_arn=arns.user_arn(
                self.region, self.principal.account_id, self.principal.user_name
            ),
            request_id=request_id,
            now=self.now,
            hides=hides,
            parameters_generation=self.parameters_generation,
        )


class Gate:
    """Authentication and authorization for every endpoint; holds only caches."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._verifiers: dict[str, SigV4Verifier] = {}
        self._policy_cache: dict[str, Policy] = {}
        self._principals = PrincipalCache(runtime.store, runtime.keyring)
        self._skip_reads = runtime.settings.audit_reads == "refused"
        # Refused signatures and unknown keys, per client address (SECURITY.md #23).
        self._auth_failures = FailureThrottle(
            burst=runtime.settings.auth_failure_burst,
            per_s=runtime.settings.auth_failures_per_s,
            monotonic=runtime.clock.monotonic,
        )

    def begin(self, scope: Scope, request_id: str, *, service: str, operation: str) -> ApiCall:
        """The audit record of one request to ``service``, as far as it is known before the
        request is read; the endpoint hands it to ``admit`` and to ``record``."""
        client = scope.get("client")
        user_agent = ""
        for name, value in scope["headers"]:
            if name.lower() == b"user-agent":
                user_agent = value.decode("latin-1")[:MAX_USER_AGENT]
        return ApiCall(
            event_source=f"{service}.amazonaws.com",
            event_name=operation if _OPERATION.fullmatch(operation) else UNKNOWN_OPERATION,
            request_id=request_id,
            event_time=self._runtime.clock.now(),
            source_ip=str(client[0]) if client else "",
            user_agent=user_agent,
            account_id=self._runtime.settings.account_id,
            region=DEFAULT_REGION,
        )

    def record(self, call: ApiCall) -> None:
        """Into the audit trail, allowed or not: written in the next batch (a read that
        succeeded only when the server records reads)."""
        if self._skip_reads and call.read_only and call.error_code is None:
            return
        self._runtime.audit.record(call)

    async def admit(
        self, scope: Scope, body: bytes, *, service: str, call: ApiCall | None = None
    ) -> Caller:
        """The caller whose key signed this request for ``service``; AWS's auth errors
        (and ThrottlingException for an address that keeps failing) otherwise. ``call`` learns
        the key and, once it is verified, whose it is."""
        headers = request_headers(scope)
        request = SignedRequest(
            method=scope["method"],
            path=scope.get("raw_path", b"/").decode("latin-1").split("?", 1)[0] or "/",
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        client = scope.get("client")
        address = str(client[0]) if client else None
        throttle_key = client_key(address)
        if self._auth_failures.retry_after_s(throttle_key) > 0:
            raise ThrottlingException(
                "Too many requests with refused credentials from this address; try again later."
            )
        parsed = parse_request(request, service=service)
        if call is not None:
            call.access_key_id = parsed.credential.access_key_id[:128]
            if _REGION.fullmatch(parsed.credential.region):
                call.region = parsed.credential.region
        now = self._runtime.clock.now()
        try:
            caller = await self._principals.caller(parsed.credential.access_key_id)
            principal = caller.principal
            if principal is None:
                raise UnrecognizedClientException(
                    "The security token included in the request is invalid."
                )
            self._verifier(service).verify(
                request, secret_key=principal.secret_access_key, now=now, parsed=parsed
            )
            if not principal.is_usable(now):
                # Checked after the signature so that a guesser learns nothing about key state.
                raise UnrecognizedClientException(
                    "The security token included in the request is invalid."
                )
        except (UnrecognizedClientException, InvalidSignatureException) as exc:
            log.info("authentication refused for %s: %s", address, exc.code)
            if self._auth_failures.failed(throttle_key):
                log.warning("throttling %s: too many refused signatures or keys", address)
            raise
        if call is not None:
            call.account_id = principal.account_id
            call.identity = Identity.user(
                account_id=principal.account_id,
                user_name=principal.user_name,
                access_key_id=principal.access_key_id,
            )
        return Caller(
            principal=principal,
            region=parsed.credential.region,
            now=now,
            policies=tuple(
                self._policy(doc, principal.user_name) for doc in principal.policy_documents
            ),
            parameters_generation=caller.parameters_generation,
        )

    def authorize(
        self, ctx: RequestContext, caller: Caller, action: str, resources: Sequence[str]
    ) -> None:
        """AccessDeniedException unless the caller's policies allow ``action`` on every one of
        ``resources`` (and the call's other forms are not denied them: ``ctx.hides``)."""
        for resource in resources:
            decision = evaluate(caller.policies, action, resource)
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

    def _verifier(self, service: str) -> SigV4Verifier:
        verifier = self._verifiers.get(service)
        if verifier is None:
            verifier = self._verifiers[service] = SigV4Verifier(service=service)
        return verifier

    def _policy(self, document: str, user_name: str) -> Policy:
        # A policy with variables reads differently for each user.
        key = f"{user_name}\0{document}" if "${" in document else document
        policy = self._policy_cache.get(key)
        if policy is None:
            try:
                policy = parse_policy(document, variables={"aws:username": user_name})
            except PolicyError:
                # A stored policy that no longer parses grants nothing.
                log.warning("ignoring a stored policy that does not parse")
                policy = Policy(statements=())
            if len(self._policy_cache) > _POLICY_CACHE_SIZE:
                self._policy_cache.clear()
            self._policy_cache[key] = policy
        return policy


def hider(policies: Sequence[Policy], actions: Sequence[str]) -> Callable[[str], bool] | None:
    """``RequestContext.hides`` for a caller and the actions of one call's forms; None if the
    caller's policies deny nothing."""
    if not any(s.effect == "Deny" for p in policies for s in p.statements):
        return None

    def hides(resource: str) -> bool:
        return any(evaluate(policies, a, resource) == "ExplicitDeny" for a in actions)

    return hides


def request_headers(scope: Scope) -> dict[str, str]:
    """Header names lower-cased; a repeated header's values joined by commas."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers
