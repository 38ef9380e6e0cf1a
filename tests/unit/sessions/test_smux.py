"""smux frames and the asyncio mux session (session-protocol.md §1 "Port forwarding")."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from openssm.agent.sessions import ports
from openssm.errors import DataChannelError, SessionEnded
from openssm.sessions import forward
from openssm.sessions.mux import MuxSession
from openssm.sessions.peer import MAX_PAYLOAD
from openssm.sessions.smux import Cmd, Frame, FrameReader, WindowUpdate, encode_frame


def test_the_v1_frame_layout() -> None:
    data = encode_frame(Frame(Cmd.PSH, 3, b"hello"))
    assert data == bytes([1, 2, 5, 0, 3, 0, 0, 0]) + b"hello"
    assert encode_frame(Frame(Cmd.SYN, 0x01020304)) == bytes([1, 0, 0, 0, 4, 3, 2, 1])


def test_v2_window_updates() -> None:
    update = WindowUpdate(70000, 262144)
    data = encode_frame(Frame(Cmd.UPD, 5, update.to_bytes(), version=2))
    (frame,) = FrameReader().feed(data)
    assert WindowUpdate.from_bytes(frame.data) == update
    with pytest.raises(ValueError, match="version 2"):
        encode_frame(Frame(Cmd.UPD, 5, update.to_bytes()))
    with pytest.raises(DataChannelError):
        WindowUpdate.from_bytes(b"\x00" * 7)


@pytest.mark.parametrize(
    "frame",
    [Frame(Cmd.PSH, 1, b"x" * 65536), Frame(Cmd.PSH, -1), Frame(Cmd.NOP, 1, version=3)],
)
def test_frames_smux_would_refuse_are_not_encoded(frame: Frame) -> None:
    with pytest.raises(ValueError, match="smux"):
        encode_frame(frame)


def test_frames_are_reassembled_from_any_cut_of_the_stream() -> None:
    rng = random.Random(3)  # noqa: S311 (reproducible test data)
    frames = [Frame(Cmd.SYN, 3), Frame(Cmd.PSH, 3, rng.randbytes(40000)), Frame(Cmd.NOP, 0)]
    frames += [Frame(Cmd.PSH, 5, rng.randbytes(rng.randrange(100))) for _ in range(50)]
    frames.append(Frame(Cmd.FIN, 3))
    stream = b"".join(encode_frame(f) for f in frames)
    reader = FrameReader()
    got: list[Frame] = []
    offset = 0
    while offset < len(stream):
        size = rng.randrange(1, 1025)  # the plugin's 1024-byte messages, and less
        got += reader.feed(stream[offset : offset + size])
        offset += size
    assert got == frames
    assert reader.pending_bytes == 0


@pytest.mark.parametrize("data", [bytes([9, 2, 0, 0, 3, 0, 0, 0]), bytes([1, 7, 0, 0, 3, 0, 0, 0])])
def test_a_stream_that_is_not_smux_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DataChannelError):
        FrameReader().feed(data)


def test_hostile_bytes_raise_only_decode_errors() -> None:
    rng = random.Random(11)  # noqa: S311 (reproducible test data)
    for _ in range(500):
        with contextlib.suppress(DataChannelError):
            FrameReader().feed(rng.randbytes(rng.randrange(64)))


class _Wire:
    """Two mux sessions joined back to back, each write fed whole to the other side."""

    def __init__(self, version: int | None = None, budget: int = 1 << 20) -> None:
        self.client = MuxSession(self._to_agent, client=True, version=version)
        self.agent = MuxSession(self._to_client, client=False, receive_budget=budget)
        self.sent = 0

    async def _to_agent(self, data: bytes) -> None:
        self.sent += len(data)
        await self.agent.feed(data)

    async def _to_client(self, data: bytes) -> None:
        await self.client.feed(data)


async def _echo_server(session: MuxSession) -> None:
    async def echo(stream_id: int) -> None:
        stream = streams[stream_id]
        while chunk := await stream.read():
            await stream.write(chunk)
        await stream.close()

    streams = {}
    tasks = set()
    with contextlib.suppress(SessionEnded):
        while True:
            stream = await session.accept_stream()
            streams[stream.stream_id] = stream
            tasks.add(asyncio.create_task(echo(stream.stream_id)))


@pytest.mark.parametrize("version", [1, 2])
def test_parallel_streams_echo_their_own_bytes(version: int) -> None:
    asyncio.run(_parallel_streams_echo_their_own_bytes(version))


async def _parallel_streams_echo_their_own_bytes(version: int) -> None:
    wire = _Wire(version=version)
    server = asyncio.create_task(_echo_server(wire.agent))

    async def one(n: int) -> bytes:
        stream = await wire.client.open_stream()
        payload = bytes([n]) * (50_000 + n)
        got = bytearray()

        async def reader() -> None:
            while chunk := await stream.read():
                got.extend(chunk)

        task = asyncio.create_task(reader())
        await stream.write(payload)
        await stream.close()
        await task
        assert bytes(got) == payload
        return bytes(got)

    results = await asyncio.gather(*(one(n) for n in range(8)))
    assert len(results) == 8
    assert wire.agent.version == version
    wire.client.close()
    wire.agent.close()
    await server


def test_client_stream_ids_are_odd_from_three() -> None:
    asyncio.run(_client_stream_ids_are_odd_from_three())


async def _client_stream_ids_are_odd_from_three() -> None:
    wire = _Wire()
    ids = [(await wire.client.open_stream()).stream_id for _ in range(3)]
    assert ids == [3, 5, 7]


def test_v1_backpressure_holds_the_feed_until_the_reader_catches_up() -> None:
    asyncio.run(_v1_backpressure_holds_the_feed_until_the_reader_catches_up())


async def _v1_backpressure_holds_the_feed_until_the_reader_catches_up() -> None:
    wire = _Wire(budget=40_000)
    stream = await wire.client.open_stream()
    accepted = await wire.agent.accept_stream()
    writer = asyncio.create_task(stream.write(b"z" * 100_000))
    await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.sleep(0)
    assert not writer.done()  # the agent's feed waits: nothing is dropped
    got = bytearray()
    while len(got) < 100_000:
        got += await accepted.read()
    await writer
    assert bytes(got) == b"z" * 100_000


def test_v2_writers_wait_for_the_peers_window() -> None:
    asyncio.run(_v2_writers_wait_for_the_peers_window())


async def _v2_writers_wait_for_the_peers_window() -> None:
    client = MuxSession(lambda data: _collect(sent, data), client=True, version=2)
    sent: list[bytes] = []
    stream = await client.open_stream()
    writer = asyncio.create_task(stream.write(b"w" * 300_000))
    for _ in range(5):
        await asyncio.sleep(0)
    reader = FrameReader()
    pushed = sum(len(f.data) for f in reader.feed(b"".join(sent)) if f.cmd == Cmd.PSH)
    assert pushed == client.stream_window
    update = WindowUpdate(client.stream_window, client.stream_window)
    await client.feed(encode_frame(Frame(Cmd.UPD, stream.stream_id, update.to_bytes(), 2)))
    await writer


async def _collect(sink: list[bytes], data: bytes) -> None:
    sink.append(data)


def test_closing_the_session_ends_every_stream_and_accept() -> None:
    asyncio.run(_closing_the_session_ends_every_stream_and_accept())


async def _closing_the_session_ends_every_stream_and_accept() -> None:
    wire = _Wire()
    stream = await wire.client.open_stream()
    accepted = await wire.agent.accept_stream()
    wire.agent.close()
    assert await accepted.read() == b""
    with pytest.raises(SessionEnded):
        await wire.agent.accept_stream()
    with pytest.raises(SessionEnded):
        await wire.agent.open_stream()
    await stream.close()


@pytest.mark.parametrize("read_size", [forward.MUX_READ_SIZE, ports.MUX_READ_BYTES])
def test_a_forwarded_connections_read_goes_out_as_whole_messages(read_size: int) -> None:
    """What the client (forward.py) and the agent (ports.py) read from a forwarded connection
    at once fills data-channel messages exactly: a 64 KiB read was two full messages and a
    third of 16 bytes, a 32 KiB read one full and one of 8."""

    async def scenario() -> list[int]:
        sizes: list[int] = []

        async def write(frame: bytes) -> None:
            sizes.append(len(frame))

        mux = MuxSession(write, client=True)
        stream = await mux.open_stream()
        sizes.clear()  # the SYN
        await stream.write(bytes(read_size))
        return sizes

    sizes = asyncio.run(scenario())
    assert sizes == [MAX_PAYLOAD] * len(sizes)
