"""The agent channel, WebSocket ``/agent/v1/channel`` (protocol/SPEC.md): authenticate an agent,
then read its frames until either side closes.

Each connection is an ``AgentChannel`` with explicit states, as Starlette's WebSocket keeps
them: a send in the wrong state raises an error that names the state instead of writing a
frame the protocol does not allow.

    CHALLENGED ──hello verified──▶ ESTABLISHED ──closed by either side──▶ CLOSED
        └──────────rejected, timed out or gone──────────────────────────▶ CLOSED

Per connection the server keeps one small object and the coroutine reading it: no buffers, no
threads, no database write (connects, heartbeats and reported info are batched by Presence;
the audit records of opened, closed and refused channels by the audit trail's writer).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from enum import StrEnum
from typing import Protocol

from starlette.types import Receive, Scope, Send

from openssm.config import DEFAULT_REGION
from openssm.errors import ConnectionClosed, ProtocolViolation
from openssm.protocol import frames, handshake, verification
from openssm.protocol.frames import (
    ChallengeFrame,
    Frame,
    HeartbeatAckFrame,
    HeartbeatFrame,
    HelloFrame,
    InstanceInfoFrame,
    InventoryFrame,
    OutputFrame,
    RejectedFrame,
    ResultFrame,
    WelcomeFrame,
)
from openssm.protocol.handshake import RejectCode
from openssm.server.channel.inventory_reports import inventory_ack
from openssm.server.channel.presence import Presence
from openssm.server.connections import ConnectionKind
from openssm.server.runtime import Runtime
from openssm.server.services.audit import agents as audit_agents
from openssm.server.services.fleet import instances
from openssm.server.store.fleet.instances import InstanceRow

log = logging.getLogger("openssm.channel")

HELLO_TIMEOUT_S = 10.0
# A newer authenticated connection of the same instance replaced this one (SPEC.md).
CLOSE_REPLACED = 4409
# RFC 6455: the server is overloaded; before the handshake it is answered as HTTP 403.
CLOSE_TRY_AGAIN_LATER = 1013
_INSTANCE_ID = re.compile(r"mi-[0-9a-f]{17}")
_MAX_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes


class ChannelState(StrEnum):
    CHALLENGED = "CHALLENGED"
    ESTABLISHED = "ESTABLISHED"
    CLOSED = "CLOSED"


def _reason(text: str) -> str:
    return text.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


class AgentChannel:
    """One agent's WebSocket after it was accepted: its state and the only way to write to it."""

    __slots__ = ("_send", "channel_id", "instance_id", "state")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.state = ChannelState.CHALLENGED
        self.instance_id = ""
        self.channel_id = secrets.token_hex(8)

    def _expect(self, state: ChannelState, frame: Frame) -> None:
        if self.state is ChannelState.CLOSED:
            raise ConnectionClosed(f'Cannot send a "{frame.TYPE}" frame: the channel is CLOSED')
        if self.state is not state:
            raise RuntimeError(
                f'Cannot send a "{frame.TYPE}" frame while the channel is {self.state}; '
                f"it needs {state}"
            )

    async def _write(self, frame: Frame) -> None:
        try:
            await self._send({"type": "websocket.send", "text": frames.encode(frame)})
        except OSError as exc:  # uvicorn's ClientDisconnected: the peer went away mid-send
            self.state = ChannelState.CLOSED
            raise ConnectionClosed(f"the agent went away while sent {frame.TYPE}") from exc

    async def challenge(self, frame: ChallengeFrame) -> None:
        self._expect(ChannelState.CHALLENGED, frame)
        await self._write(frame)

    def establish(self, instance_id: str) -> None:
        if self.state is not ChannelState.CHALLENGED:
            raise RuntimeError(f"Cannot establish a channel that is {self.state}")
        self.instance_id = instance_id
        self.state = ChannelState.ESTABLISHED

    async def welcome(self, frame: WelcomeFrame) -> None:
        self._expect(ChannelState.ESTABLISHED, frame)
        await self._write(frame)

    async def send_frame(self, frame: Frame) -> None:
        """Send an application frame; only an ESTABLISHED channel may."""
        self._expect(ChannelState.ESTABLISHED, frame)
        await self._write(frame)

    async def close(self, code: int, *, frame: Frame | None = None, reason: str = "") -> bool:
        """Send ``frame`` (if any), then close with ``code``; False when already CLOSED."""
        if self.state is ChannelState.CLOSED:
            return False
        self.state = ChannelState.CLOSED
        try:
            if frame is not None:
                await self._send({"type": "websocket.send", "text": frames.encode(frame)})
            await self._send({"type": "websocket.close", "code": code, "reason": _reason(reason)})
        except OSError:
            return False  # the peer is already gone; nothing left to close
        return True

    def gone(self) -> None:
        """The peer disconnected: nothing may be sent any more."""
        self.state = ChannelState.CLOSED


async def next_message(receive: Receive, timeout_s: float | None = None) -> str | bytes | None:
    """The next data message, or None once the peer disconnected."""
    if timeout_s is None:
        message = await receive()
    else:
        message = await asyncio.wait_for(receive(), timeout=timeout_s)
    if message["type"] != "websocket.receive":
        return None
    text: str | None = message.get("text")
    if text is not None:
        return text
    data: bytes = message.get("bytes") or b""
    return data


def _decode(message: str | bytes) -> Frame:
    """The agent's frame in `message`; ProtocolViolation for anything else.

    SPEC.md: frames are JSON *text* messages. A binary message is refused even when its bytes
    happen to be a valid frame, so there is one way in, not two.
    """
    if isinstance(message, bytes):
        raise ProtocolViolation("binary messages are not frames; send JSON text")
    return frames.decode_from_agent(message)


_REJECT_MESSAGES = {
    RejectCode.INVALID_SIGNATURE: "the signature does not verify with this instance's key",
    RejectCode.STALE_TIMESTAMP: (
        f"the hello timestamp is more than {handshake.MAX_SKEW_S:.0f} s away from the "
        "server's clock; correct the host's clock"
    ),
    RejectCode.BAD_NONCE: "the nonce is not the one this connection was challenged with",
    RejectCode.PROTOCOL_VIOLATION: f"this server speaks protocol {handshake.PROTOCOL_VERSION}",
}


class CommandWork(Protocol):
    """Where the channel hands Run Command's events (the output collector, then the
    dispatcher)."""

    async def agent_connected(self, instance_id: str) -> None: ...

    async def output_received(self, instance_id: str, frame: OutputFrame) -> None:
        """Part of a step's whole output; frames of one connection arrive in order."""
        ...

    async def result_received(self, instance_id: str, frame: ResultFrame) -> None:
        """ProtocolViolation when the result is malformed."""
        ...


class ChannelEndpoint:
    """The ASGI app behind ``/agent/v1/channel``."""

    def __init__(
        self, runtime: Runtime, presence: Presence, work: CommandWork | None = None
    ) -> None:
        self._runtime = runtime
        self._hub = runtime.hub
        self._presence = presence
        self._work = work

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise RuntimeError(f"the agent channel serves WebSocket only, not {scope['type']}")
        if (await receive())["type"] != "websocket.connect":
            return
        connections = self._runtime.connections
        if not connections.admit(ConnectionKind.CHANNEL):
            log.warning(
                "refused an agent channel: %d are open", connections.open(ConnectionKind.CHANNEL)
            )
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
            return
        client = scope.get("client")
        try:
            await self._run(send, receive, str(client[0]) if client else "")
        finally:
            connections.release(ConnectionKind.CHANNEL)

    async def _run(self, send: Send, receive: Receive, source_ip: str) -> None:
        await send({"type": "websocket.accept"})
        channel = AgentChannel(send)
        row: InstanceRow | None = None
        try:
            row = await self._handshake(channel, receive, source_ip)
            if row is not None:
                await self._serve(channel, receive)
        except ConnectionClosed:
            pass
        finally:
            channel.gone()
            if channel.instance_id:
                self._hub.detach(channel.instance_id, channel)
                self._presence.disconnected(channel.instance_id, channel.channel_id)
                log.debug("agent %s disconnected", channel.instance_id)
                if row is not None:
                    self._audit(audit_agents.CLOSE_CHANNEL, channel, source_ip, row)

    def _audit(
        self,
        name: str,
        channel: AgentChannel,
        source_ip: str,
        row: InstanceRow | None,
        *,
        instance_id: str = "",
        refused: RejectCode | None = None,
        message: str = "",
    ) -> None:
        call = audit_agents.channel(
            name,
            instance_id=channel.instance_id or instance_id,
            channel_id=channel.channel_id,
            now=self._runtime.clock.now(),
            source_ip=source_ip,
            account_id=row.account_id if row else self._runtime.settings.account_id,
            region=row.region if row else DEFAULT_REGION,
            authenticated=refused is None,
        )
        if refused is not None:
            call.failed_with(refused.value, message)
        self._runtime.audit.record(call)

    async def _reject(
        self,
        channel: AgentChannel,
        code: RejectCode,
        message: str,
        *,
        source_ip: str = "",
        instance_id: str = "",
    ) -> None:
        log.info("agent channel refused: %s: %s", code.value, message)
        self._audit(
            audit_agents.OPEN_CHANNEL,
            channel,
            source_ip,
            None,
            instance_id=instance_id[:32],
            refused=code,
            message=message,
        )
        await channel.close(
            handshake.close_code_for(code),
            frame=RejectedFrame(code=code.value, message=message),
            reason=code.value,
        )

    async def _handshake(
        self, channel: AgentChannel, receive: Receive, source_ip: str
    ) -> InstanceRow | None:
        """Challenge, verify the hello, attach to the hub and welcome; the instance, or None
        when refused."""
        clock = self._runtime.clock
        nonce = handshake.new_nonce()
        await channel.challenge(ChallengeFrame(nonce=nonce, server_time=clock.now().timestamp()))
        try:
            text = await next_message(receive, HELLO_TIMEOUT_S)
        except TimeoutError:
            await channel.close(handshake.CLOSE_PROTOCOL, reason="no hello in time")
            return None
        if text is None:
            return None
        try:
            hello = _decode(text)
        except ProtocolViolation as exc:
            await self._reject(
                channel, RejectCode.PROTOCOL_VIOLATION, str(exc), source_ip=source_ip
            )
            return None
        if not isinstance(hello, HelloFrame):
            await self._reject(
                channel,
                RejectCode.PROTOCOL_VIOLATION,
                f"expected hello, got {hello.TYPE}",
                source_ip=source_ip,
            )
            return None
        instance_id = hello.instance_id
        claimed = {"source_ip": source_ip, "instance_id": instance_id}
        unknown = f"no managed instance {instance_id[:32]!r} is registered with this server"
        if not _INSTANCE_ID.fullmatch(instance_id):
            await self._reject(channel, RejectCode.UNKNOWN_INSTANCE, unknown, **claimed)
            return None
        row = await self._runtime.store.read(
            lambda conn: instances.get_for_handshake(conn, instance_id)
        )
        if row is None:
            await self._reject(channel, RejectCode.UNKNOWN_INSTANCE, unknown, **claimed)
            return None
        now = clock.now()
        refused = verification.check_hello(
            hello, expected_nonce=nonce, public_key_bytes=row.public_key, now=now.timestamp()
        )
        if refused is not None:
            await self._reject(channel, refused, _REJECT_MESSAGES[refused], **claimed)
            return None
        if row.deregistered_at is not None or self._hub.is_revoked(instance_id):
            await self._reject(
                channel,
                RejectCode.DEREGISTERED,
                f"instance {instance_id} was deregistered; register this host again with a "
                "new activation",
                **claimed,
            )
            return None
        # Authenticated. Nothing below awaits before the hub knows the channel, so a
        # deregistration either saw this channel in the hub or committed before the read above.
        channel.establish(instance_id)
        replaced = self._hub.attach(instance_id, channel)
        self._presence.connected(instance_id, channel.channel_id, now)
        heartbeat = self._runtime.settings.heartbeat_interval_s
        await channel.welcome(WelcomeFrame(instance_id=instance_id, heartbeat_interval_s=heartbeat))
        if replaced is not None:
            await replaced.close(CLOSE_REPLACED, reason="replaced by a newer connection")
        log.debug("agent %s connected", instance_id)
        if self._work is not None:
            await self._work.agent_connected(instance_id)
        self._audit(audit_agents.OPEN_CHANNEL, channel, source_ip, row)
        return row

    async def _serve(self, channel: AgentChannel, receive: Receive) -> None:
        """Read an ESTABLISHED channel's frames until it closes."""
        clock = self._runtime.clock
        instance_id = channel.instance_id
        while True:
            text = await next_message(receive)
            if text is None:
                return
            try:
                frame = _decode(text)
            except ProtocolViolation as exc:
                await channel.close(handshake.CLOSE_PROTOCOL, reason=str(exc))
                return
            self._presence.heard(instance_id, clock.now())
            if isinstance(frame, HeartbeatFrame):
                await channel.send_frame(HeartbeatAckFrame())
            elif isinstance(frame, InstanceInfoFrame):
                self._presence.reported(
                    instances.instance_info(
                        instance_id,
                        agent_version=frame.agent_version,
                        platform_type=frame.platform_type,
                        platform_name=frame.platform_name,
                        platform_version=frame.platform_version,
                        ip_address=frame.ip_address,
                        computer_name=frame.computer_name,
                    )
                )
            elif isinstance(frame, OutputFrame) and self._work is not None:
                await self._work.output_received(instance_id, frame)
            elif isinstance(frame, InventoryFrame):
                await channel.send_frame(await inventory_ack(self._runtime, instance_id, frame))
            elif isinstance(frame, ResultFrame) and self._work is not None:
                try:
                    await self._work.result_received(instance_id, frame)
                except ProtocolViolation as exc:
                    await channel.close(handshake.CLOSE_PROTOCOL, reason=str(exc))
                    return
            else:
                await channel.close(
                    handshake.CLOSE_PROTOCOL, reason=f"unexpected {frame.TYPE} frame"
                )
                return
