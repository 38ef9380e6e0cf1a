"""The client's side of port sessions: local TCP connections, or stdin/stdout, carried over an
established data channel (after ``client.shake_hands``).

- ``forward_multiplexed``: every local connection is one smux stream (LocalPortForwarding
  with a multiplexing agent): many in parallel.
- ``forward_basic``: one local connection at a time, its bytes as the session's stream data;
  when it closes the agent is told with the DisconnectToPort flag and redials on the next
  data (session-protocol.md §1 "Port forwarding", basic mode).
- ``forward_stdio``: the session's stream as stdin/stdout (AWS-StartSSHSession, an ssh
  ProxyCommand).

Each returns when the session ends (SessionEnded from the peer is the normal end and is not
raised); a ConnectToPortError flag from the agent is reported through ``on_error``.

Module API: ``forward_multiplexed``, ``forward_basic``, ``forward_stdio``, ``Listener``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from openssm.errors import DataChannelError, SessionEnded
from openssm.sessions.mux import SEND_FRAME_DATA, MuxSession, MuxStream
from openssm.sessions.payloads import Flag, flag_payload, parse_flag
from openssm.sessions.peer import MAX_PAYLOAD, DataChannelPeer
from openssm.sessions.wire import ClientMessage, PayloadType

# What one local read takes, in whole messages: two smux frames' data when multiplexed (a
# 64 KiB read cost two full messages and a third of 16 bytes), two payloads when not.
MUX_READ_SIZE = 2 * SEND_FRAME_DATA
READ_SIZE = 2 * MAX_PAYLOAD
Listener = Callable[
    [Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]],
    Awaitable[asyncio.Server],
]
OnError = Callable[[str], None]
_OUTPUT_AFTER_INPUT_S = 5.0


def _flag_error(message: ClientMessage, on_error: OnError) -> None:
    with contextlib.suppress(DataChannelError):
        if parse_flag(message.payload) == Flag.CONNECT_TO_PORT_ERROR:
            on_error("the agent could not connect to the remote port")


async def _outputs(peer: DataChannelPeer, on_error: OnError) -> AsyncIterator[bytes]:
    """The agent's output payloads until the session ends; flags go to ``on_error``."""
    with contextlib.suppress(SessionEnded):
        while True:
            message = await peer.receive()
            if message.payload_type == PayloadType.FLAG:
                _flag_error(message, on_error)
            elif message.payload_type == PayloadType.OUTPUT:
                yield message.payload


async def _close_writer(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        writer.close()
        await writer.wait_closed()


async def forward_multiplexed(
    peer: DataChannelPeer, serve: Listener, on_error: OnError, *, version: int = 1
) -> None:
    """Accept local connections through ``serve`` (which starts the listening server with
    the handler it is given) and carry each as an smux stream."""
    mux = MuxSession(peer.send, client=True, version=version)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            stream = await mux.open_stream()
        except SessionEnded:
            await _close_writer(writer)
            return
        await _pump_stream(stream, reader, writer)

    server = await serve(handle)
    try:
        async for payload in _outputs(peer, on_error):
            await mux.feed(payload)
    except DataChannelError as exc:
        on_error(f"the multiplexed stream broke: {exc}")
    finally:
        mux.close()
        server.close()


async def _pump_stream(
    stream: MuxStream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async def upstream() -> None:
        with contextlib.suppress(OSError, SessionEnded):
            while data := await reader.read(MUX_READ_SIZE):
                await stream.write(data)
        with contextlib.suppress(SessionEnded):
            await stream.close()

    async def downstream() -> None:
        with contextlib.suppress(OSError):
            while data := await stream.read():
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

    try:
        await asyncio.gather(upstream(), downstream())
    finally:
        await _close_writer(writer)


async def forward_basic(peer: DataChannelPeer, serve: Listener, on_error: OnError) -> None:
    """One local connection at a time; later ones wait their turn."""
    turn = asyncio.Lock()
    current: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with turn:
            current.append(writer)
            try:
                with contextlib.suppress(OSError, SessionEnded):
                    while data := await reader.read(READ_SIZE):
                        await peer.send(data)
                with contextlib.suppress(SessionEnded):
                    await peer.send(flag_payload(Flag.DISCONNECT_TO_PORT), PayloadType.FLAG)
            finally:
                current.remove(writer)
                await _close_writer(writer)

    server = await serve(handle)
    try:
        async for payload in _outputs(peer, on_error):
            # As the plugin does: output with no local connection to take it is dropped.
            if current:
                with contextlib.suppress(OSError):
                    current[0].write(payload)
                    await current[0].drain()
    finally:
        server.close()


async def forward_stdio(
    peer: DataChannelPeer,
    read_input: Callable[[], Awaitable[bytes]],
    write_output: Callable[[bytes], Awaitable[None]],
    on_error: OnError,
) -> None:
    """Carry ``read_input`` (b"" at its end) to the agent and the agent's output to
    ``write_output``, until either side ends. At the end of input the session is ended with
    the TerminateSession flag, as the plugin does when its input closes."""

    async def upstream() -> None:
        with contextlib.suppress(SessionEnded):
            while data := await read_input():
                await peer.send(data)
            await peer.send(flag_payload(Flag.TERMINATE_SESSION), PayloadType.FLAG)
            await peer.drain(5.0)

    async def downstream() -> None:
        with contextlib.suppress(SessionEnded):
            while True:
                message = await peer.receive()
                if message.payload_type == PayloadType.FLAG:
                    _flag_error(message, on_error)
                elif message.payload_type in (PayloadType.OUTPUT, PayloadType.STDERR):
                    await write_output(message.payload)

    up, down = asyncio.create_task(upstream()), asyncio.create_task(downstream())
    tasks = {up, down}
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if up.done() and not down.done():
            # Input ended: the agent's last output and its channel_closed are still coming.
            await asyncio.wait({down}, timeout=_OUTPUT_AFTER_INPUT_S)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
