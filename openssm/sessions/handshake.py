"""The session handshake (payload types 5, 6, 7) and the version rules both peers apply.

Pure. The agent asks (``HandshakeRequest``), the client answers (``HandshakeResponse``), the
agent confirms (``HandshakeComplete``); all three travel as sequenced stream data. Readers
are lenient (missing lists are empty, numbers may be strings) and raise only
``DataChannelError``.

Facts from session-protocol.md §1 "Handshake" and "AgentVersion matters": the JSON members
of each payload; ActionStatus 1 Success, 2 Failed, 3 Unsupported; only Port and
NonInteractiveCommands sessions (or KMS) shake hands, a shell does not; the plugin compares
4-part numeric versions and needs the agent strictly above 2.3.722.0 for TerminateSession,
above 3.0.196.0 for smux and above 3.1.1511.0 to turn smux keepalive off; the agent
multiplexes when ``type == "LocalPortForwarding"`` and the client is at least 1.1.70, and
turns keepalive off for clients above 1.2.331.0; non-numeric versions compare as text.

Module API: ``HandshakeRequest``, ``RequestedAction``, ``HandshakeResponse``,
``ProcessedAction``, ``HandshakeComplete``, ``ActionStatus``, the ``parse_*`` readers,
``AGENT_VERSION``, ``CLIENT_VERSION``, ``version_above``, ``uses_mux``,
``mux_keepalive_off``, ``PORT_SESSION``, ``LOCAL_PORT_FORWARDING``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from openssm.sessions.fields import compact, int_member, json_object, text_member

# What we report: above every threshold the plugin checks (smux, keepalive off, terminate).
AGENT_VERSION = "3.3.0.0"
# Our client: multiplexes port forwards and turns smux keepalive off, as recent plugins do.
CLIENT_VERSION = "1.2.800.0"
SESSION_TYPE_ACTION = "SessionType"
KMS_ACTION = "KMSEncryption"
PORT_SESSION = "Port"
STANDARD_STREAM = "Standard_Stream"
NON_INTERACTIVE = "NonInteractiveCommands"
LOCAL_PORT_FORWARDING = "LocalPortForwarding"
_MUX_MIN_CLIENT = "1.1.70"
_MUX_MIN_AGENT = "3.0.196.0"
_KEEPALIVE_OFF_AGENT = "3.1.1511.0"
_KEEPALIVE_OFF_CLIENT = "1.2.331.0"


class ActionStatus(IntEnum):
    SUCCESS = 1
    FAILED = 2
    UNSUPPORTED = 3


def _numeric(version: str) -> tuple[int, ...] | None:
    parts = version.strip().split(".")
    if not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def version_compare(left: str, right: str) -> int:
    """-1, 0 or 1. Dotted numbers compare part by part (missing parts are 0); anything else
    compares as text, as the agent falls back to."""
    a, b = _numeric(left), _numeric(right)
    if a is None or b is None:
        return (left > right) - (left < right)
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def version_above(version: str, threshold: str) -> bool:
    return version_compare(version, threshold) > 0


def uses_mux(port_type: str, client_version: str, agent_version: str) -> bool:
    """Whether a port session multiplexes with smux: both sides must decide the same."""
    return (
        port_type == LOCAL_PORT_FORWARDING
        and version_compare(client_version, _MUX_MIN_CLIENT) >= 0
        and version_above(agent_version, _MUX_MIN_AGENT)
    )


def mux_keepalive_off(client_version: str, agent_version: str) -> bool:
    return version_above(client_version, _KEEPALIVE_OFF_CLIENT) and version_above(
        agent_version, _KEEPALIVE_OFF_AGENT
    )


def _objects(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


@dataclass(frozen=True, slots=True)
class RequestedAction:
    action_type: str
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def session_type(self) -> str:
        return text_member(self.parameters, "SessionType")

    @property
    def properties(self) -> Mapping[str, Any]:
        value = self.parameters.get("Properties")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    agent_version: str
    actions: tuple[RequestedAction, ...] = ()

    @classmethod
    def for_session(
        cls, session_type: str, properties: Mapping[str, Any], agent_version: str = AGENT_VERSION
    ) -> HandshakeRequest:
        parameters = {"SessionType": session_type, "Properties": dict(properties)}
        return cls(agent_version, (RequestedAction(SESSION_TYPE_ACTION, parameters),))

    def session_action(self) -> RequestedAction | None:
        return next((a for a in self.actions if a.action_type == SESSION_TYPE_ACTION), None)

    def to_payload(self) -> bytes:
        return compact(
            {
                "AgentVersion": self.agent_version,
                "RequestedClientActions": [
                    {"ActionType": a.action_type, "ActionParameters": dict(a.parameters)}
                    for a in self.actions
                ],
            }
        )


def parse_handshake_request(payload: bytes) -> HandshakeRequest:
    body = json_object(payload, "handshake request")
    actions = []
    for item in _objects(body, "RequestedClientActions"):
        parameters = item.get("ActionParameters")
        actions.append(
            RequestedAction(
                text_member(item, "ActionType"), parameters if isinstance(parameters, dict) else {}
            )
        )
    return HandshakeRequest(text_member(body, "AgentVersion"), tuple(actions))


@dataclass(frozen=True, slots=True)
class ProcessedAction:
    action_type: str
    status: int
    result: Any = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class HandshakeResponse:
    client_version: str
    actions: tuple[ProcessedAction, ...] = ()
    errors: tuple[str, ...] = ()

    @classmethod
    def answering(
        cls, request: HandshakeRequest, client_version: str = CLIENT_VERSION
    ) -> HandshakeResponse:
        """Accept the session type; refuse everything else (KMS encryption among them) as
        unsupported, naming it, so the agent's error says which action it was."""
        processed = []
        for action in request.actions:
            if action.action_type == SESSION_TYPE_ACTION:
                processed.append(ProcessedAction(action.action_type, ActionStatus.SUCCESS))
            else:
                reason = f"{action.action_type} is not supported by this client"
                processed.append(
                    ProcessedAction(action.action_type, ActionStatus.UNSUPPORTED, error=reason)
                )
        return cls(client_version, tuple(processed))

    def to_payload(self) -> bytes:
        return compact(
            {
                "ClientVersion": self.client_version,
                "ProcessedClientActions": [
                    {
                        "ActionType": a.action_type,
                        "ActionStatus": int(a.status),
                        "ActionResult": a.result,
                        "Error": a.error,
                    }
                    for a in self.actions
                ],
                "Errors": list(self.errors),
            }
        )

    def accepted(self, action_type: str) -> bool:
        return any(
            a.action_type == action_type and a.status == ActionStatus.SUCCESS for a in self.actions
        )


def parse_handshake_response(payload: bytes) -> HandshakeResponse:
    body = json_object(payload, "handshake response")
    actions = tuple(
        ProcessedAction(
            text_member(item, "ActionType"),
            int_member(item, "ActionStatus", "handshake response", default=ActionStatus.FAILED),
            item.get("ActionResult"),
            text_member(item, "Error"),
        )
        for item in _objects(body, "ProcessedClientActions")
    )
    raw_errors = body.get("Errors")
    errors = tuple(str(e) for e in raw_errors) if isinstance(raw_errors, list) else ()
    return HandshakeResponse(text_member(body, "ClientVersion"), actions, errors)


@dataclass(frozen=True, slots=True)
class HandshakeComplete:
    time_to_complete_ns: int = 0
    customer_message: str = ""

    def to_payload(self) -> bytes:
        return compact(
            {
                "HandshakeTimeToComplete": self.time_to_complete_ns,
                "CustomerMessage": self.customer_message,
            }
        )


def parse_handshake_complete(payload: bytes) -> HandshakeComplete:
    body = json_object(payload, "handshake complete")
    return HandshakeComplete(
        int_member(body, "HandshakeTimeToComplete", "handshake complete", default=0),
        text_member(body, "CustomerMessage"),
    )
