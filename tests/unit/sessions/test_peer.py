"""DataChannelPeer over in-memory links: in-order delivery both ways, backpressure, a dropped
link resumed with nothing lost, loss and duplicates on the link, pause/start, channel_closed."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest

from openssm.errors import SessionEnded
from openssm.sessions.payloads import channel_closed
from openssm.sessions.peer import DEFAULT_MAX_UNDELIVERED, MAX_PAYLOAD, DataChannelPeer
from openssm.sessions.stream import DEFAULT_WINDOW
from openssm.sessions.wire import ClientMessage, MessageType, decode, encode
from tests.unit.sessions.links import End, link


async def _read_all(peer: DataChannelPeer, size: int) -> bytes:
    got = bytearray()
    while len(got) < size:
        got += (await peer.receive()).payload
    return bytes(got)


def _client_and_agent() -> tuple[DataChannelPeer, DataChannelPeer]:
    return (
        DataChannelPeer(MessageType.INPUT_STREAM_DATA),
        DataChannelPeer(MessageType.OUTPUT_STREAM_DATA),
    )


@contextlib.asynccontextmanager
async def _joined(
    client: DataChannelPeer, agent: DataChannelPeer, rng: random.Random | None = None
) -> AsyncIterator[tuple[End, End]]:
    """The client and the agent attached to the two ends of one link; both closed after."""
    a, b = link(rng)
    await client.attach(a)
    await agent.attach(b)
    try:
        yield a, b
    finally:
        await client.close()
        await agent.close()


def test_data_crosses_both_ways_in_order_cut_into_messages() -> None:
    async def scenario() -> None:
        client, agent = _client_and_agent()
        async with _joined(client, agent) as (a, _b):
            upload = random.Random(1).randbytes(5 * MAX_PAYLOAD + 17)  # noqa: S311
            sender = asyncio.create_task(client.send(upload))
            assert await _read_all(agent, len(upload)) == upload
            await sender
            await agent.send(b"prompt$ ")
            assert (await client.receive()).payload == b"prompt$ "
            assert await client.drain(5)
            assert all(len(decode(m).payload) <= MAX_PAYLOAD for m in a.sent)

    asyncio.run(scenario())


def test_a_dropped_link_is_resumed_with_nothing_lost_or_repeated() -> None:
    async def scenario() -> None:
        client, agent = _client_and_agent()
        async with _joined(client, agent) as (a, _b):
            await client.send(b"one ")
            a.cut_both()
            await client.link_lost.wait()
            await client.send(b"two ")  # waits in the buffer while no link is attached
            a2, b2 = link()
            await agent.attach(b2)
            await client.attach(a2)
            await client.send(b"three")
            assert await _read_all(agent, 13) == b"one two three"
            assert await client.drain(5)

    asyncio.run(scenario())


def test_heavy_traffic_both_ways_through_full_sockets_never_deadlocks() -> None:
    """Each side's acknowledgements wait behind the other's data: a reader that waited on its
    own sends would stop reading, and both sides would wait on each other for ever."""

    async def scenario() -> None:
        client, agent = _client_and_agent()
        a, b = link(capacity=2)
        await client.attach(a)
        await agent.attach(b)
        data = bytes(MAX_PAYLOAD) * 300
        sends = asyncio.gather(client.send(data), agent.send(data))
        reads = asyncio.gather(_read_all(agent, len(data)), _read_all(client, len(data)))
        got = await asyncio.wait_for(asyncio.gather(sends, reads), 30)
        assert list(got[1]) == [data, data]
        await client.close()
        await agent.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("seed", range(3))
def test_loss_and_duplicates_on_the_link_are_repaired(seed: int) -> None:
    async def scenario() -> None:
        client, agent = _client_and_agent()
        a, b = link(random.Random(seed))  # noqa: S311
        await client.attach(a)
        await agent.attach(b)
        data = bytes(range(256)) * 300
        sender = asyncio.create_task(client.send(data))
        assert await _read_all(agent, len(data)) == data
        await sender
        assert await client.drain(10)
        await client.close()
        await agent.close()

    asyncio.run(scenario())


def test_a_slow_reader_holds_the_sender_back_and_loses_nothing() -> None:
    async def scenario() -> None:
        client = DataChannelPeer(MessageType.INPUT_STREAM_DATA, window=4)
        agent = DataChannelPeer(MessageType.OUTPUT_STREAM_DATA, max_undelivered=2)
        a, b = link()
        await client.attach(a)
        await agent.attach(b)
        sender = asyncio.create_task(client.send(b"x" * (MAX_PAYLOAD * 20)))
        await asyncio.sleep(0.05)
        assert not sender.done()
        assert client.stream.unacked_count <= 4
        assert await _read_all(agent, MAX_PAYLOAD * 20) == b"x" * (MAX_PAYLOAD * 20)
        await sender
        await client.close()
        await agent.close()

    asyncio.run(scenario())


def test_a_reader_that_falls_behind_a_sender_within_its_buffer_refuses_nothing() -> None:
    """Past its first messages waiting, the reader acknowledges only what it takes, so the
    sender's window fills before the reader's queue does: nothing is refused and waits for a
    resend (acknowledged on arrival, the queue filled and each refused message cost the
    sender's timeout, doubled at each resend)."""

    async def scenario() -> None:
        client = DataChannelPeer(MessageType.INPUT_STREAM_DATA)
        agent = DataChannelPeer(MessageType.OUTPUT_STREAM_DATA)
        size = MAX_PAYLOAD * (DEFAULT_WINDOW + DEFAULT_MAX_UNDELIVERED + 64)
        async with _joined(client, agent):
            sender = asyncio.create_task(client.send(b"y" * size))
            await asyncio.sleep(0.3)  # the reader is away
            assert not sender.done()
            assert agent.refused == 0
            assert await _read_all(agent, size) == b"y" * size
            await sender
            assert agent.refused == 0

    asyncio.run(scenario())


def test_nothing_is_sent_while_paused() -> None:
    async def scenario() -> None:
        client, agent = _client_and_agent()
        async with _joined(client, agent) as (_a, b):
            await b.send(encode(ClientMessage(MessageType.PAUSE_PUBLICATION)))
            await asyncio.sleep(0.01)
            await client.send(b"held")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(agent.receive(), 0.05)
            await b.send(encode(ClientMessage(MessageType.START_PUBLICATION)))
            assert (await agent.receive()).payload == b"held"

    asyncio.run(scenario())


def test_channel_closed_ends_the_peer_with_its_reason_after_what_came_before() -> None:
    async def scenario() -> None:
        client, agent = _client_and_agent()
        a, b = link()
        await client.attach(a)
        await agent.attach(b)
        await agent.send(b"bye\r\n")
        await agent.close("Session ended: exit", session_id="s-1", notify=True)
        assert (await client.receive()).payload == b"bye\r\n"
        with pytest.raises(SessionEnded, match="exit"):
            await client.receive()
        with pytest.raises(SessionEnded):
            await client.send(b"late")
        assert client.reason == "Session ended: exit"
        await client.close()

    asyncio.run(scenario())


def test_undecodable_and_text_frames_are_skipped() -> None:
    async def scenario() -> None:
        client, agent = _client_and_agent()
        async with _joined(client, agent) as (_a, b):
            await b.send(b"\x00garbage")
            await b.send('{"MessageSchemaVersion":"1.0"}')
            await b.send(encode(channel_closed("s", "done")))
            with pytest.raises(SessionEnded, match="done"):
                await client.receive()

    asyncio.run(scenario())
