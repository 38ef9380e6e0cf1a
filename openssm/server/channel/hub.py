"""The agents connected to this server process: at most one live channel per instance.

The hub is how the rest of the server reaches an agent: send it a frame, or revoke it
(DeregisterManagedInstance closes its channel at once). Everything here runs on the event
loop and never blocks. A replica knows only its own connections; reaching an agent that
another replica holds is for LISTEN/NOTIFY to add.
"""

from __future__ import annotations

from typing import Protocol

from openssm.errors import ConnectionClosed
from openssm.protocol.frames import DeregisteredFrame, Frame
from openssm.protocol.handshake import CLOSE_DEREGISTERED


class Peer(Protocol):
    """What the hub needs of a connected agent's channel."""

    async def send_frame(self, frame: Frame) -> None:
        """Send one frame; ConnectionClosed when the channel is already closed."""
        ...

    async def close(self, code: int, *, frame: Frame | None = None, reason: str = "") -> bool:
        """Send ``frame`` (if any) and close with ``code``; False when already closed."""
        ...


class Hub:
    def __init__(self) -> None:
        self._peers: dict[str, Peer] = {}
        # Instances revoked while this process ran. A channel that authenticated just before
        # the revocation committed is refused when it attaches (see ChannelEndpoint).
        self._revoked: set[str] = set()

    def __len__(self) -> int:
        return len(self._peers)

    def __contains__(self, instance_id: object) -> bool:
        return instance_id in self._peers

    def is_revoked(self, instance_id: str) -> bool:
        return instance_id in self._revoked

    def attach(self, instance_id: str, peer: Peer) -> Peer | None:
        """Make ``peer`` the instance's channel; returns the channel it replaces, if any."""
        old = self._peers.get(instance_id)
        self._peers[instance_id] = peer
        return old if old is not peer else None

    def detach(self, instance_id: str, peer: Peer) -> None:
        """Forget ``peer`` unless a newer channel of the same instance took its place."""
        if self._peers.get(instance_id) is peer:
            del self._peers[instance_id]

    def connected(self) -> frozenset[str]:
        """The instances with a channel to this process now."""
        return frozenset(self._peers)

    def get(self, instance_id: str) -> Peer | None:
        return self._peers.get(instance_id)

    async def send(self, instance_id: str, frame: Frame) -> bool:
        """Send a frame to the instance's agent; False when it is not connected here."""
        peer = self._peers.get(instance_id)
        if peer is None:
            return False
        try:
            await peer.send_frame(frame)
        except ConnectionClosed:
            return False
        return True

    async def revoke(self, instance_id: str, message: str) -> bool:
        """Close the instance's channel with a ``deregistered`` frame and code 4403.

        Call after the deregistration committed. True when a live channel was closed.
        """
        self._revoked.add(instance_id)
        peer = self._peers.pop(instance_id, None)
        if peer is None:
            return False
        return await peer.close(CLOSE_DEREGISTERED, frame=DeregisteredFrame(message=message))
