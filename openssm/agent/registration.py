"""Joining a server: exchange an activation for an instance id and keep the key.

The Ed25519 key pair is generated here, on the host; only the public half is
sent (SPEC.md "Registration"). The HTTP call uses the standard library so the
agent never loads boto3.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from openssm import jsontext
from openssm.agent.instance_key import InstanceKey
from openssm.agent.state import Registration, StateDir
from openssm.agent.transport import refuse_plain_http, untrusted_certificate, verifying_context
from openssm.errors import AlreadyRegistered, RegistrationError
from openssm.protocol.handshake import encode_public_key

log = logging.getLogger("openssm.agent")

REGISTER_PATH = "/agent/v1/register"
REQUEST_TIMEOUT_S = 30.0


def normalize_server_url(url: str) -> str:
    """`http(s)://host[:port][/prefix]` without a trailing slash; RegistrationError otherwise."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistrationError(f"server URL must look like https://host:port (got {url!r})")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def read_ca_file(ca_file: Path) -> str:
    """The PEM text of a private CA file, checked to hold a certificate."""
    try:
        ca_pem = ca_file.read_text(encoding="ascii")
    except (OSError, ValueError) as exc:
        raise RegistrationError(f"cannot read the CA file {ca_file}: {exc}") from exc
    verifying_context(ca_pem)
    return ca_pem


def _post_json(
    url: str, body: dict[str, Any], timeout_s: float, context: ssl.SSLContext | None
) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310  # scheme checked by normalize_server_url
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310  # as above
            request, timeout=timeout_s, context=context
        ) as response:
            answer: Any = jsontext.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RegistrationError(_refusal_text(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise RegistrationError(untrusted_certificate(url, reason)) from exc
        raise RegistrationError(f"cannot reach the server at {url}: {reason}") from exc
    except ValueError as exc:
        raise RegistrationError(f"the server at {url} did not answer JSON") from exc
    if not isinstance(answer, dict):
        raise RegistrationError(f"the server at {url} answered an unexpected body")
    return answer


def _refusal_text(exc: urllib.error.HTTPError) -> str:
    try:
        body: Any = jsontext.loads(exc.read())
    except ValueError:
        body = None
    if isinstance(body, dict) and "__type" in body:
        return f"registration refused: {body['__type']}: {body.get('message', '')}".rstrip(": ")
    return f"registration refused: HTTP {exc.code} {exc.reason}"


def register(
    *,
    server_url: str,
    activation_id: str,
    activation_code: str,
    state_dir: Path,
    name: str | None = None,
    force: bool = False,
    ca_file: Path | None = None,
    allow_insecure_http: bool = False,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> Registration:
    """Register this host and store its identity in `state_dir`.

    Refuses (AlreadyRegistered) when the host is registered already, unless
    `force`; refuses (InsecureTransport) a plain-http server off this host unless
    `allow_insecure_http`. An https server is verified against `ca_file` when given
    (kept in the state dir for `openssm agent run`), else the system's CAs.
    Nothing is written unless the server accepted the activation.
    """
    server = normalize_server_url(server_url)
    refuse_plain_http(server, allow_insecure_http=allow_insecure_http)
    https = server.startswith("https:")
    if ca_file is not None and not https:
        raise RegistrationError(f"--ca-file verifies an https:// server; {server} is not one")
    ca_pem = read_ca_file(ca_file) if ca_file is not None else None
    context = verifying_context(ca_pem) if https else None
    state = StateDir(state_dir)
    state.ensure()
    if state.is_registered() and not force:
        existing = state.load_registration()
        raise AlreadyRegistered(
            f"this host is already registered as {existing.instance_id} with "
            f"{existing.server_url} (state dir {state.root}); pass --force to register it "
            "again as a new instance"
        )
    key = InstanceKey.generate()
    body: dict[str, Any] = {
        "ActivationId": activation_id,
        "ActivationCode": activation_code,
        "PublicKey": encode_public_key(key.public_bytes),
    }
    if name:
        # Without a name the server uses the activation's DefaultInstanceName, as AWS does.
        body["Name"] = name
    answer = _post_json(server + REGISTER_PATH, body, timeout_s, context)
    try:
        registration = Registration(
            instance_id=str(answer["InstanceId"]),
            server_url=server,
            region=str(answer["Region"]),
            account_id=str(answer.get("AccountId", "")),
            name=name or "",
            registered_at=time.time(),
            allow_insecure_http=allow_insecure_http,
        )
    except KeyError as exc:
        raise RegistrationError(f"the server's answer lacks {exc.args[0]}") from exc
    # The registration file is what marks the host registered, so it goes first
    # and comes back last: a crash in between leaves a host that is not
    # registered, never an old identity paired with a new key.
    state.registration_file.unlink(missing_ok=True)
    state.save_private_key(key)
    state.forget_ledger()
    state.save_server_ca(ca_pem)
    state.save_registration(registration)
    log.info("registered as %s with %s", registration.instance_id, server)
    return registration
