"""The agent backs off from a server that welcomes it and then drops it at once.

A welcome alone proves little: a server that closes every channel right after it (the agent's
info refused by an older server, two hosts sharing one identity replacing each other with
4409) would otherwise be met by a reconnect every base delay, forever. The backoff is reset
only once the server acknowledged a heartbeat, i.e. the session really works.
"""

from __future__ import annotations

import asyncio
import json
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.asyncio.server import ServerConnection, serve

from openssm.agent.channel import AgentChannel
from openssm.backoff import Backoff
from openssm.protocol.frames import InstanceInfoFrame

INSTANCE = "mi-0123456789abcdef0"
INFO = InstanceInfoFrame(
    agent_version="0.1.0",
    platform_type="Linux",
    platform_name="Test",
    platform_version="1",
    ip_address="192.0.2.1",
    computer_name="host",
)


async def _agent_against(*, ack_first: bool, sessions: int) -> tuple[Backoff, int]:
    """Run an agent against a fake server that closes every channel after its welcome (after
    acknowledging one heartbeat when `ack_first`); returns the backoff once `sessions` ended."""
    stop = asyncio.Event()
    seen = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal seen
        await ws.send(
            json.dumps({"type": "challenge", "nonce": "bm9uY2U=", "server_time": time.time()})
        )
        await ws.recv()  # hello: this fake trusts anyone
        await ws.send(
            json.dumps({"type": "welcome", "instance_id": INSTANCE, "heartbeat_interval_s": 0.02})
        )
        if ack_first:
            while json.loads(await ws.recv())["type"] != "heartbeat":
                pass
            await ws.send(json.dumps({"type": "heartbeat_ack"}))
            await asyncio.sleep(0.05)  # let the agent read the ack before the close
        seen += 1
        if seen >= sessions:
            stop.set()
        await ws.close(4409, "replaced by a newer connection")

    backoff = Backoff(base_s=0.001, cap_s=0.05, draw=lambda: 1.0)
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        channel = AgentChannel(
            server_url=f"http://127.0.0.1:{port}",
            instance_id=INSTANCE,
            private_key=Ed25519PrivateKey.generate(),
            backoff=backoff,
            info_source=lambda: INFO,
        )
        await asyncio.wait_for(channel.run(stop), timeout=20)
    return backoff, seen


def test_a_channel_dropped_right_after_welcome_keeps_backing_off() -> None:
    backoff, sessions = asyncio.run(_agent_against(ack_first=False, sessions=5))
    assert sessions >= 5
    # One failure counted per dropped session, none forgiven by the welcomes.
    assert backoff.attempt >= 4


def test_a_session_whose_heartbeat_was_acknowledged_resets_the_backoff() -> None:
    backoff, _ = asyncio.run(_agent_against(ack_first=True, sessions=3))
    # Every session worked, so each reconnect starts again from the base delay.
    assert backoff.attempt <= 1
