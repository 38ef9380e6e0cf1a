"""Session Manager through the relay: port-forward throughput, keystroke echo latency, and the
server's memory per open idle session.

Starts a fresh server (SQLite) and one real agent on this machine, then, with our client
library in this process (the same code as `openssm port-forward` and `openssm session`):

- throughput: a port session (AWS-StartPortForwardingSession) to a local TCP sink, one
  connection pushing --megabytes in the pieces openssm port-forward reads its local
  connections in; MB/s in steady state (the first 10 % left out), beside a direct loopback
  copy of the same bytes to the same sink;
- echo latency: a shell session; each key is timed from its send until the pty's echo of it
  comes back; p50 and p99 of --keys keys;
- memory: the server's RSS before and after --sessions port sessions are opened (handshake
  done, idle), divided by their number.

Targets (issue 14): at least 50 MB/s (AWS's is about 0.6), echo p50 under 5 ms, under 2 MiB
of server memory per idle session with 500 open. Prints figures; asserts nothing.

    python bench/session_throughput.py
    python bench/session_throughput.py --megabytes 200 --keys 500 --sessions 500
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from types_boto3_ssm.client import SSMClient

from bench.deployed import AS_DEPLOYED
from openssm.errors import SessionEnded
from openssm.sessions.client import ClientChannel, shake_hands
from openssm.sessions.forward import MUX_READ_SIZE
from openssm.sessions.mux import MuxSession
from openssm.sessions.wire import PayloadType
from tests.agents import AgentProcess, create_activation, register_cli, wait_ping_status
from tests.support import ServerProcess

MB = 1_000_000
MIB = 1 << 20
CHUNK = 256 * 1024
_QUIET = AS_DEPLOYED


class Sink:
    """A TCP server that counts what it receives and notes when each tenth arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.received = 0
        self.marks: list[float] = []
        self.done = asyncio.Event()
        self.closed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(CHUNK):
            self.received += len(data)
            while (
                len(self.marks) < 10 and self.received >= self.expected * (len(self.marks) + 1) / 10
            ):
                self.marks.append(time.perf_counter())
            if self.received >= self.expected:
                self.done.set()
        writer.close()
        self.closed.set()

    def steady_mb_s(self) -> float:
        """MB/s from the first tenth to the last: start-up left out."""
        return self.expected * 0.9 / MB / (self.marks[-1] - self.marks[0])


async def _push(write: Callable[[bytes], Awaitable[None]], total: int, chunk: int = CHUNK) -> None:
    block = bytes(chunk)
    sent = 0
    while sent < total:
        await write(block[: min(chunk, total - sent)])
        sent += chunk


async def direct_copy(total: int) -> float:
    sink = Sink(total)
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)

    async def write(data: bytes) -> None:
        writer.write(data)
        await writer.drain()

    await _push(write, total)
    await sink.done.wait()
    writer.close()
    await sink.closed.wait()
    server.close()
    return sink.steady_mb_s()


async def _port_session(ssm: SSMClient, target: str, port: int) -> tuple[ClientChannel, str]:
    started = await asyncio.to_thread(
        ssm.start_session,
        Target=target,
        DocumentName="AWS-StartPortForwardingSession",
        Parameters={"portNumber": [str(port)]},
    )
    channel = ClientChannel(started["StreamUrl"], started["TokenValue"])
    await channel.open()
    await shake_hands(channel.peer)
    return channel, started["SessionId"]


async def relay_copy(ssm: SSMClient, target: str, total: int) -> float:
    sink = Sink(total)
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    channel, session_id = await _port_session(ssm, target, port)
    mux = MuxSession(channel.peer.send, client=True)

    async def feed() -> None:
        try:
            while True:
                message = await channel.peer.receive()
                if message.payload_type == PayloadType.OUTPUT:
                    await mux.feed(message.payload)
        except SessionEnded:
            pass

    feeder = asyncio.create_task(feed())
    stream = await mux.open_stream()
    await _push(stream.write, total, MUX_READ_SIZE)
    await sink.done.wait()
    await stream.close()
    await asyncio.wait_for(sink.closed.wait(), 10)
    feeder.cancel()
    await channel.close()
    await asyncio.to_thread(ssm.terminate_session, SessionId=session_id)
    server.close()
    return sink.steady_mb_s()


async def echo_latency(ssm: SSMClient, target: str, keys: int) -> list[float]:
    started = await asyncio.to_thread(ssm.start_session, Target=target)
    channel = ClientChannel(started["StreamUrl"], started["TokenValue"])
    await channel.open()
    peer = channel.peer
    output = bytearray()

    async def until(wanted: bytes) -> None:
        while wanted not in output:
            message = await peer.receive()
            if message.payload_type == PayloadType.OUTPUT:
                output.extend(message.payload)

    await peer.send(b"PS1='ready> '; stty -icanon\r")
    await until(b"ready> ")
    times = []
    for index in range(keys):
        key = bytes([ord("a") + index % 26])
        output.clear()
        began = time.perf_counter()
        await peer.send(key)
        await until(key)
        times.append(time.perf_counter() - began)
        if index % 60 == 59:
            await peer.send(b"\x15")  # Ctrl-U: keep the line short
    await peer.send(b"\x03exit\r")
    await channel.close()
    await asyncio.to_thread(ssm.terminate_session, SessionId=started["SessionId"])
    return times


async def idle_sessions(ssm: SSMClient, target: str, count: int, server_pid: int) -> float:
    listener = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    process = psutil.Process(server_pid)
    await asyncio.sleep(1.0)
    before = process.memory_info().rss
    opened = [await _port_session(ssm, target, port) for _ in range(count)]
    await asyncio.sleep(2.0)
    after = process.memory_info().rss
    for channel, session_id in opened:
        await channel.close()
        await asyncio.to_thread(ssm.terminate_session, SessionId=session_id)
    listener.close()
    return (after - before) / count


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100, help="bytes pushed per copy (MB)")
    parser.add_argument("--keys", type=int, default=300, help="keys timed for the echo")
    parser.add_argument("--sessions", type=int, default=500, help="idle sessions held open")
    args = parser.parse_args()
    total = args.megabytes * MB

    with tempfile.TemporaryDirectory(prefix="openssm-sessions-") as tmp:
        root = Path(tmp)
        server = ServerProcess(data_dir=root / "server", env=_QUIET)
        server.start()
        agent: AgentProcess | None = None
        try:
            ssm = server.client()
            activation_id, code = create_activation(ssm, limit=1)
            done = register_cli(server.url, root / "agent", activation_id, code)
            if done.returncode != 0:
                raise RuntimeError(f"registration failed: {done.stderr}")
            agent = AgentProcess(
                state_dir=root / "agent", instance_id=done.stdout.strip(), env=_QUIET
            )
            agent.start()
            wait_ping_status(ssm, [agent.instance_id], "Online")
            print(f"server {server.url} (pid {server.pid}), agent {agent.instance_id}")

            # First, on a fresh server: the session connections' budget (1,000, two a
            # session) has room for exactly 500.
            per_session = asyncio.run(
                idle_sessions(ssm, agent.instance_id, args.sessions, server.pid)
            )
            print(
                f"server memory per open idle session ({args.sessions} open): "
                f"{per_session / MIB:.3f} MiB (target < 2 MiB)"
            )
            direct = asyncio.run(direct_copy(total))
            relayed = asyncio.run(relay_copy(ssm, agent.instance_id, total))
            print(
                f"port forward, one connection, {args.megabytes} MB: {relayed:.1f} MB/s through "
                f"the relay; direct loopback copy {direct:.0f} MB/s (target >= 50; AWS ~0.6)"
            )
            times = asyncio.run(echo_latency(ssm, agent.instance_id, args.keys))
            print(
                f"keystroke echo over {len(times)} keys: "
                f"p50 {1000 * statistics.median(times):.2f} ms, "
                f"p99 {1000 * percentile(times, 0.99):.2f} ms (target p50 < 5 ms)"
            )
        finally:
            if agent is not None:
                agent.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
