"""The agent's half of the session handshake (session-protocol.md "Handshake"): ask for the
session type, read the client's answer (stream data that comes first is dropped, as AWS's
agent does), confirm."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from openssm.agent.sessions.run import SessionRun
from openssm.errors import DataChannelError
from openssm.sessions.handshake import (
    SESSION_TYPE_ACTION,
    HandshakeComplete,
    HandshakeRequest,
    HandshakeResponse,
    parse_handshake_response,
)
from openssm.sessions.wire import PayloadType


async def shake_hands(
    run: SessionRun, session_type: str, properties: Mapping[str, Any]
) -> HandshakeResponse:
    started = time.monotonic_ns()
    request = HandshakeRequest.for_session(session_type, properties)
    await run.send(request.to_payload(), PayloadType.HANDSHAKE_REQUEST)
    while True:
        message = await run.receive()
        if message.payload_type != PayloadType.HANDSHAKE_RESPONSE:
            continue
        try:
            response = parse_handshake_response(message.payload)
        except DataChannelError:
            continue
        break
    if not response.accepted(SESSION_TYPE_ACTION):
        raise DataChannelError(f"the client did not accept a {session_type} session")
    done = HandshakeComplete(time_to_complete_ns=time.monotonic_ns() - started)
    await run.send(done.to_payload(), PayloadType.HANDSHAKE_COMPLETE)
    return response
