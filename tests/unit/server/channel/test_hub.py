"""The hub: one live channel per instance, replaced by a newer one, revoked at once."""

from __future__ import annotations

import asyncio

from openssm.errors import ConnectionClosed
from openssm.protocol.frames import DeregisteredFrame, Frame, HeartbeatAckFrame
from openssm.server.channel.hub import Hub


class RecordingPeer:
    """A Peer (our own Protocol) that records what the hub asked of it."""

    def __init__(self) -> None:
        self.sent: list[Frame] = []
        self.closed_with: int | None = None

    async def send_frame(self, frame: Frame) -> None:
        if self.closed_with is not None:
            raise ConnectionClosed("closed")
        self.sent.append(frame)

    async def close(self, code: int, *, frame: Frame | None = None, reason: str = "") -> bool:
        if self.closed_with is not None:
            return False
        if frame is not None:
            self.sent.append(frame)
        self.closed_with = code
        return True


def test_attach_returns_the_channel_it_replaces() -> None:
    hub = Hub()
    first, second = RecordingPeer(), RecordingPeer()
    assert hub.attach("mi-1", first) is None
    assert hub.attach("mi-1", second) is first
    assert hub.get("mi-1") is second
    assert len(hub) == 1


def test_detach_leaves_a_newer_channel_alone() -> None:
    hub = Hub()
    old, new = RecordingPeer(), RecordingPeer()
    hub.attach("mi-1", old)
    hub.attach("mi-1", new)
    hub.detach("mi-1", old)
    assert "mi-1" in hub
    hub.detach("mi-1", new)
    assert "mi-1" not in hub


def test_send_reaches_a_connected_agent_only() -> None:
    hub = Hub()
    peer = RecordingPeer()
    hub.attach("mi-1", peer)
    assert asyncio.run(hub.send("mi-1", HeartbeatAckFrame()))
    assert not asyncio.run(hub.send("mi-2", HeartbeatAckFrame()))
    peer.closed_with = 1000
    assert not asyncio.run(hub.send("mi-1", HeartbeatAckFrame()))
    assert peer.sent == [HeartbeatAckFrame()]


def test_revoke_closes_with_a_deregistered_frame_and_4403() -> None:
    hub = Hub()
    peer = RecordingPeer()
    hub.attach("mi-1", peer)
    assert asyncio.run(hub.revoke("mi-1", "gone"))
    assert peer.sent == [DeregisteredFrame(message="gone")]
    assert peer.closed_with == 4403
    assert "mi-1" not in hub
    assert hub.is_revoked("mi-1")


def test_revoke_of_an_instance_not_connected_here_is_remembered() -> None:
    hub = Hub()
    assert not asyncio.run(hub.revoke("mi-2", "gone"))
    assert hub.is_revoked("mi-2")
    assert not hub.is_revoked("mi-3")
