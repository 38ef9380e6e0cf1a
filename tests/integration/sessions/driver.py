"""A minimal client of the session data channel for tests, built on the protocol package
(openssm.sessions): it opens StartSession's StreamUrl, sends OpenDataChannel with the token,
and speaks the reliable stream through DataChannelPeer, as any AWS session client does.
Tests that need what a person would use run ``openssm session`` instead."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from typing import Any

from types_boto3_ssm.client import SSMClient
from websockets.asyncio.client import ClientConnection, connect

from openssm.errors import SessionEnded
from openssm.sessions.handshake import (
    HandshakeResponse,
    parse_handshake_request,
)
from openssm.sessions.payloads import Flag, OpenDataChannel, TerminalSize, flag_payload
from openssm.sessions.peer import DataChannelPeer
from openssm.sessions.wire import ClientMessage, MessageType, PayloadType
from tests.support import wait_until

PROMPT = r"[$#] $"


async def open_channel(started: dict[str, Any]) -> ClientConnection:
    """The WebSocket of a StartSession or ResumeSession answer, with OpenDataChannel sent."""
    ws = await connect(started["StreamUrl"], compression=None, max_size=1 << 22)
    opening = OpenDataChannel(
        token=started["TokenValue"], client_id=str(uuid.uuid4()), client_version="1.2.800.0"
    )
    await ws.send(opening.to_text())
    return ws


class DrivenSession:
    """One session as a client sees it: what came out, and ways to type into it."""

    def __init__(self) -> None:
        self.peer = DataChannelPeer(MessageType.INPUT_STREAM_DATA)
        self.output = bytearray()
        # The payloads of ExitCode messages (a non-interactive command's "EXIT_CODE: N").
        self.exit_codes: list[bytes] = []
        self.ws: ClientConnection | None = None

    async def attach(self, started: dict[str, Any]) -> None:
        self.ws = await open_channel(started)
        await self.peer.attach(self.ws)

    async def drop(self) -> None:
        """Cut the client's connection without a word (a network drop)."""
        assert self.ws is not None
        self.ws.transport.abort()
        await self.ws.wait_closed()

    async def type(self, text: str) -> None:
        await self.peer.send(text.encode(), PayloadType.OUTPUT)

    async def resize(self, cols: int, rows: int) -> None:
        await self.peer.send(TerminalSize(cols, rows).to_payload(), PayloadType.SIZE)

    async def terminate(self) -> None:
        await self.peer.send(flag_payload(Flag.TERMINATE_SESSION), PayloadType.FLAG)

    async def expect(self, pattern: str, timeout_s: float = 20.0) -> re.Match[bytes]:
        """Read output until ``pattern`` (a regex) appears in what came since the last match."""
        regex = re.compile(pattern.encode())
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    found = regex.search(bytes(self.output))
                    if found is not None:
                        del self.output[: found.end()]
                        return found
                    self._keep(await self.peer.receive())
        except TimeoutError:
            raise AssertionError(f"no {pattern!r} in {bytes(self.output)[-2000:]!r}") from None

    def _keep(self, message: ClientMessage) -> None:
        if message.payload_type == PayloadType.OUTPUT:
            self.output += message.payload
        elif message.payload_type == PayloadType.EXIT_CODE:
            self.exit_codes.append(message.payload)

    async def handshake(self) -> dict[str, Any]:
        """Answer the agent's handshake; returns the session properties it asked with."""
        request = None
        async with asyncio.timeout(20):
            while True:
                message = await self.peer.receive()
                if message.payload_type == PayloadType.HANDSHAKE_REQUEST:
                    request = parse_handshake_request(message.payload)
                    await self.peer.send(
                        HandshakeResponse.answering(request).to_payload(),
                        PayloadType.HANDSHAKE_RESPONSE,
                    )
                elif message.payload_type == PayloadType.HANDSHAKE_COMPLETE and request:
                    action = request.session_action()
                    return dict(action.properties) if action is not None else {}

    async def closed(self, timeout_s: float = 20.0) -> str:
        """The reason in the agent's channel_closed."""
        async with asyncio.timeout(timeout_s):
            await self.peer.closed.wait()
        with contextlib.suppress(SessionEnded):
            while True:  # what came before channel_closed
                self._keep(await self.peer.receive())
        await self.close()
        return self.peer.reason

    async def close(self) -> None:
        await self.peer.close(self.peer.reason)
        if self.ws is not None:
            await self.ws.close()


async def shell_at_prompt(
    started: dict[str, Any], *, size: tuple[int, int] | None = (80, 24)
) -> DrivenSession:
    """A client attached to a started shell session (its terminal sized first, unless
    ``size`` is None), past the shell's first prompt."""
    session = DrivenSession()
    await session.attach(started)
    if size is not None:
        await session.resize(*size)
    await session.expect(PROMPT)
    return session


def history(ssm: SSMClient, session_id: str) -> dict[str, Any]:
    """The session as DescribeSessions State=History lists it, once it has ended."""

    def ended() -> dict[str, Any] | None:
        found = ssm.describe_sessions(
            State="History", Filters=[{"key": "SessionId", "value": session_id}]
        )["Sessions"]
        return dict(found[0]) if found else None

    return wait_until(ended, timeout_s=20, interval_s=0.1)


def records(transcript: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in transcript.decode().splitlines() if line]
