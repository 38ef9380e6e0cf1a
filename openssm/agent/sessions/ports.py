"""Port sessions: forwarding to a port on this host or on a host it can reach
(AWS-StartPortForwardingSession[ToRemoteHost]), and SSH over the client's standard streams
(AWS-StartSSHSession: a port session without a type).

The destination is checked and pinned once, when the session starts (SECURITY.md #16): its
name is resolved once and every connection of the session goes to that address, so a name
that changes meanwhile (DNS rebinding) cannot redirect it; link-local and cloud metadata
addresses are refused. A client that multiplexes (``type`` LocalPortForwarding and a recent
enough client, decided by both sides alike) carries many connections over smux; otherwise
one connection at a time, redialled after the client's DisconnectToPort flag.
Each connection leaves a record with the server: when, where, and the bytes each way.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from openssm.agent.sessions.handshakes import shake_hands
from openssm.agent.sessions.run import SessionRun
from openssm.errors import DataChannelError, OpenSSMError, SessionEnded
from openssm.sessions.handshake import AGENT_VERSION, PORT_SESSION, uses_mux
from openssm.sessions.mux import SEND_FRAME_DATA, MuxSession, MuxStream
from openssm.sessions.payloads import Flag, flag_payload, parse_flag
from openssm.sessions.peer import MAX_PAYLOAD
from openssm.sessions.wire import ClientMessage, PayloadType

# A read of a forwarded connection fills whole messages: one smux frame's data in a
# multiplexed session (32 KiB read, one message was 32,760 bytes and the next 8), one
# message's payload in a basic one.
MUX_READ_BYTES = SEND_FRAME_DATA
BASIC_READ_BYTES = MAX_PAYLOAD
# Cloud metadata services answer on these; with the link-local ranges they are never reached.
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class DestinationRefused(OpenSSMError):
    """The port session's destination may not be reached; the message says why."""


@dataclass(frozen=True, slots=True)
class Destination:
    host: str
    address: str
    port: int


def pin_destination(host: str, port: int) -> Destination:
    """Resolve ``host`` once; DestinationRefused for link-local or metadata addresses."""
    if not 0 < port < 65536:
        raise DestinationRefused(f"port {port} is not a TCP port")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc}") from exc
    address = str(infos[0][4][0])
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip in _METADATA or ip.is_link_local:
        raise DestinationRefused(
            f"{host} ({address}) is a link-local or metadata address; port sessions may not "
            "reach it"
        )
    return Destination(host=host, address=address, port=port)


async def run_port(run: SessionRun) -> str:
    props = run.frame.properties
    try:
        port = int(props.get("portNumber", "0"))
    except ValueError:
        port = 0
    try:
        destination = await asyncio.to_thread(
            pin_destination, props.get("host") or "localhost", port
        )
    except DestinationRefused as exc:
        return str(exc)
    response = await shake_hands(run, PORT_SESSION, props)
    if uses_mux(props.get("type", ""), response.client_version, AGENT_VERSION):
        await _multiplexed(run, destination)
    else:
        await _one_at_a_time(run, destination)
    return run.reason or f"Exiting session with sessionId: {run.session_id}."


class _Counted:
    """One forwarded connection's record: opened, closed, bytes each way."""

    def __init__(self, run: SessionRun, destination: Destination, stream: int) -> None:
        self.run, self.destination, self.stream = run, destination, stream
        self.bytes_in = 0  # from the client to the destination
        self.bytes_out = 0

    async def opened(self) -> None:
        self.run.open_connections += 1
        await self.run.record(self._record("open"))

    async def closed(self) -> None:
        self.run.open_connections -= 1
        await self.run.record(
            {**self._record("close"), "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}
        )

    def _record(self, event: str) -> dict[str, object]:
        return {
            "connection": event,
            "stream": self.stream,
            "host": self.destination.host,
            "port": self.destination.port,
            "at": round(time.time(), 3),
        }


async def _dial(destination: Destination) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(destination.address, destination.port)


async def _pump(
    read: Callable[[], Awaitable[bytes]],
    write: Callable[[bytes], Awaitable[None]],
    count: Callable[[int], None],
) -> None:
    while data := await read():
        count(len(data))
        await write(data)


# --- smux: many connections -------------------------------------------------------------------


async def _multiplexed(run: SessionRun, destination: Destination) -> None:
    mux = MuxSession(run.send, client=False)
    handlers: set[asyncio.Task[None]] = set()

    async def accept() -> None:
        while True:
            stream = await mux.accept_stream()
            task = asyncio.create_task(_forward_stream(run, destination, stream))
            handlers.add(task)
            task.add_done_callback(handlers.discard)

    acceptor = asyncio.create_task(accept(), name="mux-accept")
    try:
        while True:
            message = await run.receive()
            if message.payload_type == PayloadType.OUTPUT:
                await mux.feed(message.payload)
            elif _terminates(message):
                run.end_by_client()
                return
    finally:
        mux.close()
        acceptor.cancel()
        for task in [acceptor, *handlers]:
            task.cancel()
        await asyncio.gather(acceptor, *handlers, return_exceptions=True)


async def _forward_stream(run: SessionRun, destination: Destination, stream: MuxStream) -> None:
    try:
        reader, writer = await _dial(destination)
    except OSError:
        await run.send(flag_payload(Flag.CONNECT_TO_PORT_ERROR), PayloadType.FLAG)
        await stream.close()
        return
    counted = _Counted(run, destination, stream.stream_id)
    await counted.opened()

    async def to_destination(data: bytes) -> None:
        writer.write(data)
        await writer.drain()

    def received(size: int) -> None:
        counted.bytes_in += size

    def sent(size: int) -> None:
        counted.bytes_out += size

    inbound = asyncio.create_task(_pump(stream.read, to_destination, received))
    outbound = asyncio.create_task(
        _pump(functools.partial(reader.read, MUX_READ_BYTES), stream.write, sent)
    )
    try:
        await asyncio.wait({inbound, outbound}, return_when=asyncio.FIRST_COMPLETED)
        if inbound.done() and not outbound.done():
            # The client closed its side: pass the half-close on and carry the answer back
            # until the destination closes too, however long it takes (a TCP half-close).
            # The session's own limits end a destination that never does.
            with contextlib.suppress(OSError):
                writer.write_eof()
            await asyncio.wait({outbound})
    except (OSError, SessionEnded):
        pass
    finally:
        for task in (inbound, outbound):
            task.cancel()
        await asyncio.gather(inbound, outbound, return_exceptions=True)
        writer.close()
        # The record goes before the stream's close: the server takes what the agent sends in
        # order, so by the time the client sees the connection end its record is kept, even
        # if the client ends the session at once.
        await counted.closed()
        with contextlib.suppress(OSError, SessionEnded):
            await stream.close()


# --- one connection at a time (SSH over standard streams, older clients) -------------------------


async def _one_at_a_time(run: SessionRun, destination: Destination) -> None:
    connection: tuple[asyncio.StreamWriter, asyncio.Task[None], _Counted] | None = None
    number = 0

    async def hang_up() -> None:
        nonlocal connection
        if connection is None:
            return
        writer, reading, counted = connection
        connection = None
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        writer.close()
        await counted.closed()

    try:
        while True:
            message = await run.receive()
            if message.payload_type == PayloadType.OUTPUT and message.payload:
                if connection is not None and connection[1].done():
                    await hang_up()  # the destination closed: the next data redials
                if connection is None:
                    number += 1
                    try:
                        reader, writer = await _dial(destination)
                    except OSError:
                        await run.send(flag_payload(Flag.CONNECT_TO_PORT_ERROR), PayloadType.FLAG)
                        continue
                    counted = _Counted(run, destination, number)
                    await counted.opened()

                    def sent(size: int, counted: _Counted = counted) -> None:
                        counted.bytes_out += size

                    reading = asyncio.create_task(
                        _pump(functools.partial(reader.read, BASIC_READ_BYTES), run.send, sent)
                    )
                    connection = (writer, reading, counted)
                writer, _reading, counted = connection
                counted.bytes_in += len(message.payload)
                writer.write(message.payload)
                with contextlib.suppress(OSError):
                    await writer.drain()
            elif message.payload_type == PayloadType.FLAG:
                if _terminates(message):
                    run.end_by_client()
                    return
                if _flag(message) == Flag.DISCONNECT_TO_PORT:
                    await hang_up()
    finally:
        await hang_up()


def _flag(message: ClientMessage) -> int | None:
    if message.payload_type != PayloadType.FLAG:
        return None
    try:
        return parse_flag(message.payload)
    except DataChannelError:
        return None


def _terminates(message: ClientMessage) -> bool:
    return _flag(message) == Flag.TERMINATE_SESSION
