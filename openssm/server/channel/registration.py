"""``POST /agent/v1/register`` (protocol/SPEC.md): a host trades an activation for an instance id.

No SigV4 here: the activation code is the credential. The host sends the public half of the
Ed25519 key it generated; the private half never leaves it. Errors have the API's shape,
``{"__type": …, "message": …}`` with HTTP 400, so an agent reports them like any AWS error.

A wrong activation id or code is a guess (SECURITY.md #23): it is found in a read
transaction, so it never queues for the write lock, logged with the client's address, and
counted against that address and that activation (openssm.server.throttle). Past the
allowance the next attempt is refused before its code is checked: HTTP 429 with a
ThrottlingException body and Retry-After. Registrations that succeed are never counted.

Every registration, refused or not, is recorded in the audit trail as RegisterManagedInstance
(never with its code); refused ones are sampled per address there, as any unidentified call.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from openssm import jsontext
from openssm.config import DEFAULT_REGION
from openssm.errors import ApiError, InvalidActivationId, ThrottlingException, ValidationException
from openssm.protocol.verification import decode_public_key
from openssm.server.runtime import Runtime
from openssm.server.services.audit import agents as audit_agents
from openssm.server.services.fleet import activations, instances
from openssm.server.throttle import FailureThrottle, client_key

log = logging.getLogger("openssm.channel.registration")

MAX_BODY_BYTES = 64 * 1024
_ACTIVATION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The model's ActivationCode length limits.
_CODE_CHARS = range(20, 251)


def _error(exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.to_wire(), status_code=exc.http_status)


def _required(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ValidationException(f"{name} is required, as a string")
    return value


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationException(f"{name} must be a string")
    return value or None


async def _read_json(request: Request) -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ValidationException(f"The request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    try:
        body = jsontext.loads(b"".join(chunks))
    except jsontext.JsonTooDeep as exc:
        raise ValidationException(f"The request body: {exc}") from None
    except ValueError:
        raise ValidationException("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationException("The request body must be a JSON object")
    return body


def _parse(body: dict[str, Any]) -> instances.RegisterInput:
    activation_id = _required(body, "ActivationId")
    code = _required(body, "ActivationCode")
    public_key = _required(body, "PublicKey")
    try:
        raw_key = decode_public_key(public_key)
    except ValueError as exc:
        raise ValidationException(str(exc)) from None
    if not _ACTIVATION_ID.fullmatch(activation_id) or len(code) not in _CODE_CHARS:
        raise InvalidActivationId(activations.UNKNOWN_ID_OR_CODE)
    request = instances.RegisterInput(
        activation_id=activation_id,
        activation_code=code,
        public_key=raw_key,
        name=_optional(body, "Name"),
        fingerprint=_optional(body, "Fingerprint"),
    )
    instances.check_registration(request)
    return request


def _throttle_keys(address: str | None, body: dict[str, Any]) -> list[str]:
    keys = [client_key(address)]
    activation_id = body.get("ActivationId")
    if isinstance(activation_id, str) and _ACTIVATION_ID.fullmatch(activation_id):
        keys.append(f"activation:{activation_id}")
    return keys


def _throttled(retry_after_s: float) -> JSONResponse:
    exc = ThrottlingException(
        "Too many failed registrations from this address or for this activation; try again later."
    )
    return JSONResponse(
        exc.to_wire(), status_code=429, headers={"Retry-After": str(math.ceil(retry_after_s))}
    )


class RegistrationEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._guesses = FailureThrottle(
            burst=runtime.settings.auth_failure_burst,
            per_s=runtime.settings.auth_failures_per_s,
            monotonic=runtime.clock.monotonic,
        )

    def _audit(
        self, body: dict[str, Any], address: str | None, *, refused: ApiError | None = None
    ) -> None:
        """A refused registration's record (a successful one is made where it succeeds)."""
        activation_id = body.get("ActivationId")
        name = body.get("Name")
        call = audit_agents.registration(
            activation_id=activation_id[:64] if isinstance(activation_id, str) else "",
            name=name[:256] if isinstance(name, str) else None,
            now=self._runtime.clock.now(),
            source_ip=address or "",
            account_id=self._runtime.settings.account_id,
            region=DEFAULT_REGION,
        )
        if refused is not None:
            call.failed(refused)
        self._runtime.audit.record(call)

    async def register(self, request: Request) -> JSONResponse:
        rt = self._runtime
        address = request.client.host if request.client else None
        keys = [client_key(address)]
        body: dict[str, Any] = {}
        try:
            body = await _read_json(request)
            keys = _throttle_keys(address, body)
            wait = self._guesses.retry_after_s(*keys)
            if wait > 0:
                log.debug("registration from %s throttled for %.1f s", address, wait)
                self._audit(
                    body,
                    address,
                    refused=ThrottlingException("Too many failed registrations; try again later."),
                )
                return _throttled(wait)
            parsed = _parse(body)
            await rt.store.read(
                lambda conn: activations.verify_code(
                    conn, parsed.activation_id, parsed.activation_code
                )
            )
            now = rt.clock.now()
            registered = await rt.store.write(
                lambda conn: instances.register_instance(conn, parsed, now=now)
            )
        except InvalidActivationId as exc:
            self._audit(body, address, refused=exc)
            log.warning("registration refused for %s: %s", address, exc.code)
            if self._guesses.failed(*keys):
                log.warning(
                    "throttling registrations from %s (%s): too many wrong activation codes",
                    address,
                    ", ".join(keys),
                )
            return _error(exc)
        except ApiError as exc:
            self._audit(body, address, refused=exc)
            log.info("registration refused for %s: %s", address, exc.code)
            return _error(exc)
        rt.audit.record(
            audit_agents.registration(
                activation_id=parsed.activation_id,
                name=parsed.name,
                now=now,
                source_ip=address or "",
                account_id=registered.account_id,
                region=registered.region,
                instance_id=registered.instance_id,
            )
        )
        log.info(
            "registered managed instance %s with activation %s from %s",
            registered.instance_id,
            parsed.activation_id,
            address,
        )
        return JSONResponse(
            {
                "InstanceId": registered.instance_id,
                "Region": registered.region,
                "AccountId": registered.account_id,
            }
        )
