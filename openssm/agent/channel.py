"""The agent's one outbound WebSocket to the server (SPEC.md "Channel").

A session is: connect → challenge → signed hello → welcome → instance_info →
heartbeats until the connection ends. ``AgentChannel.run`` repeats sessions
with full-jitter exponential backoff until it is stopped, and ends for good
(InstanceDeregistered) when the server says the instance was deregistered.
``websockets`` errors are translated to openssm.errors at this boundary; no
code above it sees a ``websockets`` type.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import ssl
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Literal, Protocol

import websockets.exceptions
from websockets.asyncio.client import ClientConnection, connect

from openssm.agent.transport import untrusted_certificate
from openssm.backoff import Backoff
from openssm.errors import (
    ConnectionClosed,
    HandshakeRejected,
    InstanceDeregistered,
    ProtocolViolation,
    UntrustedServer,
)
from openssm.protocol import handshake
from openssm.protocol.frames import (
    ChallengeFrame,
    DeregisteredFrame,
    Frame,
    HeartbeatAckFrame,
    HeartbeatFrame,
    InstanceInfoFrame,
    RejectedFrame,
    WelcomeFrame,
    decode_from_server,
    encode,
)

log = logging.getLogger("openssm.agent")

CHANNEL_PATH = "/agent/v1/channel"
HANDSHAKE_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
# Instance information is re-read this often and sent again only when it changed.
INFO_REFRESH_S = 60.0
# Close code the agent sends when it shuts down (RFC 6455 "going away").
CLOSE_GOING_AWAY = 1001


def channel_url(server_url: str) -> str:
    """ws(s)://… of the channel endpoint for an http(s):// server URL."""
    parts = urllib.parse.urlsplit(server_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"server URL must be http:// or https:// (got {server_url!r})")
    return urllib.parse.urlunsplit(
        (scheme, parts.netloc, parts.path.rstrip("/") + CHANNEL_PATH, "", "")
    )


def proxy_setting(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> Literal[True] | None:
    """websockets' ``proxy`` argument for a connection: None (connect directly) when no
    ``*_proxy`` variable is set on Linux, where the proxies websockets would look up are those
    variables alone (urllib's ``getproxies_environment``), so it finds none either; True (it
    looks the proxy up, and honours ``no_proxy``) otherwise. The look-up needs
    ``urllib.request``, which an idle agent then never loads (on_demand.py)."""
    if platform != "linux":
        return True
    if any(value and name.lower().endswith("_proxy") for name, value in environ.items()):
        return True
    return None


def silence_limit_s(heartbeat_interval_s: float) -> float:
    """How long the server may stay silent before the agent gives the connection up."""
    return max(3 * heartbeat_interval_s, 10.0)


class CommandHandler(Protocol):
    """What the channel hands Run Command frames to: the agent's CommandRunner, or the fleet
    simulator's stand-in (bench/commands_sim.py), which answers every invocation at once."""

    async def attach(self, send: Callable[[Frame], Awaitable[None]]) -> None: ...

    def detach(self) -> None: ...

    async def handle(self, frame: Frame) -> bool:
        """Take a Run Command frame; False when ``frame`` is not one."""
        ...

    async def stop(self) -> None: ...


class SessionHandler(Protocol):
    """What the channel hands session frames to (the agent's SessionManager)."""

    async def handle(self, frame: Frame) -> bool:
        """Take a session frame; False when ``frame`` is not one."""
        ...

    async def stop(self) -> None: ...


class ChannelState(enum.Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    CONNECTED = "connected"
    BACKING_OFF = "backing off"
    STOPPED = "stopped"


def _closed_error(exc: websockets.exceptions.ConnectionClosed) -> Exception:
    close = exc.rcvd
    code = close.code if close is not None else None
    reason = close.reason if close is not None else ""
    if code == handshake.CLOSE_DEREGISTERED:
        return InstanceDeregistered(reason or "the server closed the channel: deregistered")
    if code == handshake.CLOSE_AUTH:
        return HandshakeRejected(reason or "the server refused the agent's credentials")
    if code is None:
        return ConnectionClosed("connection lost without a close frame")
    return ConnectionClosed(f"connection closed (code {code}{', ' + reason if reason else ''})")


@contextlib.contextmanager
def _translated(url: str) -> Iterator[None]:
    """Re-raise websockets and socket errors as openssm.errors (ChannelError family)."""
    try:
        yield
    except websockets.exceptions.ConnectionClosed as exc:
        raise _closed_error(exc) from exc
    except ssl.SSLCertVerificationError as exc:
        raise UntrustedServer(untrusted_certificate(url, exc)) from exc
    except websockets.exceptions.InvalidStatus as exc:
        status = exc.response.status_code
        raise ConnectionClosed(f"{url} answered HTTP {status} instead of a WebSocket") from exc
    except (websockets.exceptions.WebSocketException, OSError) as exc:
        # OSError covers refused connections, resets, DNS failures and TimeoutError.
        raise ConnectionClosed(f"cannot connect: {str(exc) or type(exc).__name__}") from exc


class AgentChannel:
    """One instance's connection to its server, reconnecting until stopped."""

    def __init__(
        self,
        *,
        server_url: str,
        instance_id: str,
        private_key: handshake.Signer,
        backoff: Backoff,
        tls: ssl.SSLContext | None = None,
        info_source: Callable[[], InstanceInfoFrame],
        wall_clock: Callable[[], float] = time.time,
        info_refresh_s: float = INFO_REFRESH_S,
        commands: CommandHandler | None = None,
        sessions: SessionHandler | None = None,
    ) -> None:
        self.url = channel_url(server_url)
        self.instance_id = instance_id
        self._key = private_key
        # websockets refuses an ssl argument for ws://, so it is passed for wss:// only.
        self._tls_options: dict[str, Any] = {"ssl": tls} if tls is not None else {}
        self._backoff = backoff
        self._info_source = info_source
        self._wall_clock = wall_clock
        self._info_refresh_s = info_refresh_s
        self._commands = commands
        self._sessions = sessions
        self.state = ChannelState.IDLE
        self.sessions_count = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Serve sessions until `stop` is set; raises InstanceDeregistered to end for good."""
        try:
            while not stop.is_set():
                try:
                    await self._session(stop)
                except HandshakeRejected as exc:
                    log.error("the server refused this agent (%s): %s", self.instance_id, exc)
                except UntrustedServer as exc:
                    # Kept trying: the server's certificate may be put right while we wait.
                    log.error("%s", exc)
                except (ConnectionClosed, ProtocolViolation) as exc:
                    log.warning("channel to %s lost: %s", self.url, exc)
                if stop.is_set():
                    break
                self.state = ChannelState.BACKING_OFF
                delay = self._backoff.next_delay()
                log.info("reconnecting in %.2fs (attempt %d)", delay, self._backoff.attempt)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        finally:
            self.state = ChannelState.STOPPED
            if self._commands is not None:
                await self._commands.stop()
            if self._sessions is not None:
                await self._sessions.stop()

    async def _session(self, stop: asyncio.Event) -> None:
        self.state = ChannelState.CONNECTING
        with _translated(self.url):
            async with connect(
                self.url,
                open_timeout=HANDSHAKE_TIMEOUT_S,
                close_timeout=CLOSE_TIMEOUT_S,
                # Our heartbeats carry liveness; protocol pings would only double the traffic.
                ping_interval=None,
                compression=None,
                max_size=1 << 20,
                user_agent_header=None,
                proxy=proxy_setting(),
                **self._tls_options,
            ) as ws:
                self.state = ChannelState.AUTHENTICATING
                welcome = await self._handshake(ws)
                self.state = ChannelState.CONNECTED
                self.sessions_count += 1
                # No backoff reset here: a server that welcomes and then drops the channel at
                # once must still be met with growing delays. _read resets it on the first
                # heartbeat_ack, once the session has been seen to work.
                log.info("connected to %s as %s", self.url, self.instance_id)
                await self._serve(ws, welcome, stop)

    async def _receive(self, ws: ClientConnection, timeout_s: float) -> Frame:
        try:
            message = await asyncio.wait_for(ws.recv(), timeout=timeout_s)
        except TimeoutError as exc:
            raise ConnectionClosed(f"no answer from the server within {timeout_s:.0f}s") from exc
        return decode_from_server(message)

    async def _handshake(self, ws: ClientConnection) -> WelcomeFrame:
        challenge = await self._receive(ws, HANDSHAKE_TIMEOUT_S)
        if not isinstance(challenge, ChallengeFrame):
            raise ProtocolViolation(f"expected a challenge, got {challenge.TYPE}")
        now = self._wall_clock()
        skew = now - challenge.server_time
        if abs(skew) > handshake.MAX_SKEW_S:
            log.error(
                "this host's clock is %.0fs %s the server's; the server will refuse the "
                "agent until the clocks agree within %.0fs (check NTP)",
                abs(skew),
                "ahead of" if skew > 0 else "behind",
                handshake.MAX_SKEW_S,
            )
        hello = handshake.build_hello(self._key, self.instance_id, challenge.nonce, now)
        await ws.send(encode(hello))
        reply = await self._receive(ws, HANDSHAKE_TIMEOUT_S)
        if isinstance(reply, RejectedFrame):
            if reply.code == handshake.RejectCode.DEREGISTERED:
                raise InstanceDeregistered(reply.message or "this instance was deregistered")
            raise HandshakeRejected(f"{reply.code}: {reply.message}")
        if not isinstance(reply, WelcomeFrame):
            raise ProtocolViolation(f"expected welcome or rejected, got {reply.TYPE}")
        if reply.heartbeat_interval_s <= 0:
            raise ProtocolViolation("welcome has a heartbeat interval that is not positive")
        return reply

    async def _serve(
        self, ws: ClientConnection, welcome: WelcomeFrame, stop: asyncio.Event
    ) -> None:
        loop = asyncio.get_running_loop()
        heard_at = [loop.time()]
        if self._commands is not None:

            async def send(frame: Frame) -> None:
                with _translated(self.url):
                    await ws.send(encode(frame))

            await self._commands.attach(send)
        tasks = {
            asyncio.create_task(self._read(ws, heard_at), name="channel-read"),
            asyncio.create_task(
                self._heartbeat(ws, welcome.heartbeat_interval_s, heard_at), name="heartbeat"
            ),
            asyncio.create_task(stop.wait(), name="stop"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            # Why the session ended; a deregistration outranks the connection loss it causes.
            errors = [e for t in done if t.get_name() != "stop" and (e := t.exception())]
            errors.sort(key=lambda e: not isinstance(e, InstanceDeregistered))
            if errors:
                raise errors[0]
            if stop.is_set():
                log.info("closing the channel")
                await ws.close(CLOSE_GOING_AWAY, "agent shutting down")
        finally:
            if self._commands is not None:
                self._commands.detach()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self, ws: ClientConnection, heard_at: list[float]) -> None:
        loop = asyncio.get_running_loop()
        async for message in ws:
            heard_at[0] = loop.time()
            try:
                frame = decode_from_server(message)
            except ProtocolViolation as exc:
                # A newer server may know frames this agent does not; that is no reason to drop
                # the connection.
                log.warning("ignoring a frame from the server: %s", exc)
                continue
            if isinstance(frame, DeregisteredFrame):
                raise InstanceDeregistered(frame.message or "this instance was deregistered")
            if isinstance(frame, HeartbeatAckFrame):
                self._backoff.reset()
            elif (self._commands is not None and await self._commands.handle(frame)) or (
                self._sessions is not None and await self._sessions.handle(frame)
            ):
                pass
            else:
                log.debug("ignoring %s frame", frame.TYPE)
        raise ConnectionClosed(f"the server closed the connection (code {ws.close_code})")

    async def _heartbeat(
        self, ws: ClientConnection, interval_s: float, heard_at: list[float]
    ) -> None:
        loop = asyncio.get_running_loop()
        limit_s = silence_limit_s(interval_s)
        # Gathering reads two small files and asks the kernel for a route: microseconds, so it
        # runs on the loop; a worker thread would cost more memory than it ever saves time.
        info = self._info_source()
        await ws.send(encode(info))
        info_at = loop.time()
        while True:
            await asyncio.sleep(interval_s)
            if loop.time() - heard_at[0] > limit_s:
                raise ConnectionClosed(f"no word from the server for {limit_s:.0f}s")
            await ws.send(encode(HeartbeatFrame(sent_at=self._wall_clock())))
            if loop.time() - info_at >= self._info_refresh_s:
                info_at = loop.time()
                fresh = self._info_source()
                if fresh != info:
                    info = fresh
                    await ws.send(encode(info))
