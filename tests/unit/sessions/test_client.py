"""The client's side over real WebSockets on loopback: ClientChannel opens the StreamUrl with
the one-time token, port forwarding carries parallel TCP connections as smux streams, and a
connection cut mid-transfer is resumed with nothing lost.

The far end is a stand-in for the relay and the agent (far_end.py); the relay and the agent
themselves are tested end to end with the server."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from collections.abc import Awaitable, Callable

import pytest

from openssm.errors import DataChannelError, SessionEnded
from openssm.sessions.client import ClientChannel, shake_hands
from openssm.sessions.forward import forward_basic, forward_multiplexed, forward_stdio
from openssm.sessions.wire import PayloadType
from tests.unit.sessions.far_end import far_end

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _listener(ready: asyncio.Future[int]) -> Callable[[Handler], Awaitable[asyncio.Server]]:
    async def serve_local(handler: Handler) -> asyncio.Server:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        ready.set_result(server.sockets[0].getsockname()[1])
        return server

    return serve_local


async def _round_trip(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    writer.write_eof()
    got = await reader.read()
    writer.close()
    return got


def test_parallel_connections_through_a_multiplexed_port_session() -> None:
    async def scenario() -> None:
        async with far_end() as (far, url):
            channel = ClientChannel(url, "token-0")
            await channel.open()
            agent = asyncio.create_task(far.shake_hands())
            settled, early = await shake_hands(channel.peer)
            await agent
            assert settled.multiplexed
            assert early == []
            assert far.opened == ["1.2.800.0"]
            echo = asyncio.create_task(far.echo_streams())
            ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            forward = asyncio.create_task(
                forward_multiplexed(channel.peer, await _listener(ready), pytest.fail)
            )
            port = await ready
            rng = random.Random(5)  # noqa: S311 (reproducible test data)
            payloads = [rng.randbytes(rng.randrange(1, 300_000)) for _ in range(6)]
            echoed = await asyncio.gather(*(_round_trip(port, p) for p in payloads))
            assert [hashlib.sha256(e).digest() for e in echoed] == [
                hashlib.sha256(p).digest() for p in payloads
            ]
            await far.peer.close("done", notify=True)
            await forward
            await echo
            await channel.close()

    asyncio.run(scenario())


def test_a_cut_connection_is_resumed_with_a_fresh_token_and_nothing_lost() -> None:
    async def scenario() -> None:
        async with far_end() as (far, url):
            resumed: list[str] = []

            async def resume() -> tuple[str, str] | None:
                resumed.append("ResumeSession")
                return far.fresh_token(), url

            channel = ClientChannel(url, "token-0", resume=resume)
            await channel.open()
            data = random.Random(8).randbytes(2_000_000)  # noqa: S311
            received = bytearray()

            third = asyncio.Event()

            async def agent_reads() -> None:
                while len(received) < len(data):
                    received.extend((await far.peer.receive()).payload)
                    if len(received) > len(data) // 3:
                        third.set()

            reader = asyncio.create_task(agent_reads())
            sender = asyncio.create_task(channel.peer.send(data))
            await third.wait()
            far.sockets[0].transport.abort()  # the network drops mid-transfer
            await asyncio.wait_for(asyncio.gather(sender, reader), 30)
            assert bytes(received) == data
            assert resumed == ["ResumeSession"]
            assert channel.resumes == 1
            assert far.tokens == set()  # each token was used once
            await channel.close()

    asyncio.run(scenario())


def test_a_session_given_up_while_disconnected_ends_with_a_reason() -> None:
    async def scenario() -> None:
        async with far_end() as (far, url):

            async def resume() -> tuple[str, str] | None:
                return None  # ResumeSession answered an empty token

            channel = ClientChannel(url, "token-0", resume=resume)
            await channel.open()
            await far.connected.wait()
            await far.sockets[0].close()
            with pytest.raises(SessionEnded, match="timed out"):
                await asyncio.wait_for(channel.peer.receive(), 10)
            await channel.close()

    asyncio.run(scenario())


def test_a_refused_token_or_a_dead_url_is_a_clear_error() -> None:
    async def scenario() -> None:
        async with far_end() as (_far, url):
            channel = ClientChannel(url, "token-unknown")
            await channel.open()
            with pytest.raises(SessionEnded):
                await asyncio.wait_for(channel.peer.receive(), 10)
            await channel.close()
        with pytest.raises(DataChannelError, match="could not open"):
            await ClientChannel("ws://127.0.0.1:9/v1/data-channel/x", "t").open()

    asyncio.run(scenario())


def test_stdio_forwarding_ends_with_the_terminate_flag_when_input_ends() -> None:
    async def scenario() -> None:
        async with far_end(port_type="") as (far, url):
            channel = ClientChannel(url, "token-0")
            await channel.open()
            agent = asyncio.create_task(far.shake_hands())
            settled, _ = await shake_hands(channel.peer)
            await agent
            assert not settled.multiplexed
            chunks = [b"SSH-2.0-OpenSSH\r\n", b"more", b""]
            output: list[bytes] = []

            async def read_input() -> bytes:
                return chunks.pop(0)

            async def write_output(data: bytes) -> None:
                output.append(data)

            async def agent_side() -> None:
                got = await far.peer.receive()
                assert got.payload == b"SSH-2.0-OpenSSH\r\n"
                await far.peer.send(b"SSH-2.0-server\r\n")
                assert (await far.peer.receive()).payload == b"more"
                flag = await far.peer.receive()
                assert (flag.payload_type, flag.payload) == (PayloadType.FLAG, b"\0\0\0\2")
                await far.peer.close("terminated", notify=True)

            agent_task = asyncio.create_task(agent_side())
            await forward_stdio(channel.peer, read_input, write_output, pytest.fail)
            await agent_task
            assert b"".join(output) == b"SSH-2.0-server\r\n"
            await channel.close()

    asyncio.run(scenario())


def test_basic_port_forwarding_carries_one_connection_at_a_time() -> None:
    """AWS's basic mode (an agent that does not multiplex): each local connection's bytes are
    the session's stream, and its end is told with the DisconnectToPort flag."""

    async def scenario() -> None:
        async with far_end(port_type="") as (far, url):
            channel = ClientChannel(url, "token-0")
            await channel.open()
            agent = asyncio.create_task(far.shake_hands())
            settled, _ = await shake_hands(channel.peer)
            await agent
            assert not settled.multiplexed
            flags: list[bytes] = []
            both_told = asyncio.Event()

            async def agent_echoes() -> None:
                with contextlib.suppress(SessionEnded):
                    while True:
                        message = await far.peer.receive()
                        if message.payload_type == PayloadType.FLAG:
                            flags.append(message.payload)
                            if len(flags) == 2:
                                both_told.set()
                        else:
                            await far.peer.send(message.payload)

            echo = asyncio.create_task(agent_echoes())
            ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            forward = asyncio.create_task(
                forward_basic(channel.peer, await _listener(ready), pytest.fail)
            )
            port = await ready
            for payload in (b"first connection", b"second connection"):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(payload)
                assert await reader.readexactly(len(payload)) == payload
                writer.close()
                await writer.wait_closed()
            await asyncio.wait_for(both_told.wait(), 10)
            await far.peer.close("done", notify=True)
            await forward
            await echo
            assert flags == [b"\0\0\0\1", b"\0\0\0\1"]  # DisconnectToPort after each
            await channel.close()

    asyncio.run(scenario())
