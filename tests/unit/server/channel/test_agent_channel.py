"""AgentChannel's explicit states: a send in the wrong state says which state it was in."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from openssm.errors import ConnectionClosed
from openssm.protocol.frames import ChallengeFrame, HeartbeatAckFrame, RejectedFrame, WelcomeFrame
from openssm.server.channel.endpoint import AgentChannel, ChannelState

Message = MutableMapping[str, Any]


class Wire:
    """An ASGI ``send`` that records messages, or fails like a vanished peer."""

    def __init__(self, *, gone: bool = False) -> None:
        self.messages: list[Message] = []
        self.gone = gone

    async def __call__(self, message: Message) -> None:
        if self.gone:
            raise OSError("client disconnected")
        self.messages.append(message)


CHALLENGE = ChallengeFrame(nonce="n", server_time=1.0)
WELCOME = WelcomeFrame(instance_id="mi-0123456789abcdef0", heartbeat_interval_s=30.0)


def test_application_frames_wait_for_the_handshake() -> None:
    channel = AgentChannel(Wire())
    with pytest.raises(RuntimeError, match="CHALLENGED"):
        asyncio.run(channel.send_frame(HeartbeatAckFrame()))


def test_the_handshake_runs_in_order() -> None:
    wire = Wire()
    channel = AgentChannel(wire)
    asyncio.run(channel.challenge(CHALLENGE))
    with pytest.raises(RuntimeError, match="CHALLENGED"):
        asyncio.run(channel.welcome(WELCOME))
    channel.establish(WELCOME.instance_id)
    assert channel.state is ChannelState.ESTABLISHED
    asyncio.run(channel.welcome(WELCOME))
    with pytest.raises(RuntimeError, match="ESTABLISHED"):
        asyncio.run(channel.challenge(CHALLENGE))
    with pytest.raises(RuntimeError, match="ESTABLISHED"):
        channel.establish("mi-0123456789abcdef1")
    asyncio.run(channel.send_frame(HeartbeatAckFrame()))
    assert [m["type"] for m in wire.messages] == ["websocket.send"] * 3


def test_nothing_is_sent_after_close() -> None:
    wire = Wire()
    channel = AgentChannel(wire)
    rejected = RejectedFrame(code="BadNonce", message="m")
    assert asyncio.run(channel.close(4401, frame=rejected, reason="BadNonce"))
    assert wire.messages[-1] == {"type": "websocket.close", "code": 4401, "reason": "BadNonce"}
    assert not asyncio.run(channel.close(4401))
    with pytest.raises(ConnectionClosed, match="CLOSED"):
        asyncio.run(channel.send_frame(HeartbeatAckFrame()))
    assert len(wire.messages) == 2


def test_a_vanished_peer_closes_the_channel() -> None:
    channel = AgentChannel(Wire(gone=True))
    with pytest.raises(ConnectionClosed):
        asyncio.run(channel.challenge(CHALLENGE))
    assert channel.state is ChannelState.CLOSED


def test_a_close_reason_fits_a_close_frame() -> None:
    wire = Wire()
    asyncio.run(AgentChannel(wire).close(4400, reason="é" * 200))
    assert len(wire.messages[-1]["reason"].encode()) <= 123
