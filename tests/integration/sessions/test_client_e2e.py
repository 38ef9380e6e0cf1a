"""Our session client and an independent one, end to end: a real server relaying to a real
agent on this host. `openssm port-forward` carries parallel connections and 50 MB whose
SHA-256 matches; `openssm session` in a pseudo-terminal sends its size first and on SIGWINCH,
passes Ctrl-C and ends on exit; `openssm ssh-proxy` carries stdin/stdout; the client resumes
by itself after its connection is cut, with nothing lost; the ssm-session package from npm
opens a shell through our StreamUrl."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import pty
import random
import re
import select
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from openssm.cli.session_api import channel_for
from openssm.sessions.client import shake_hands
from openssm.sessions.forward import forward_multiplexed
from tests.agents import AgentProcess
from tests.integration.sessions.nodes import real_agent, relay_server
from tests.support import ServerProcess, cli_env, wait_until

pytestmark = pytest.mark.e2e

COMPAT = Path(__file__).resolve().parents[2] / "compat"
MB = 1_000_000


@pytest.fixture(scope="module", name="relay_server")
def _relay_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with relay_server(tmp_path_factory.mktemp("client-e2e") / "server") as server:
        yield server


@pytest.fixture(scope="module")
def node(
    relay_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentProcess]:
    with real_agent(relay_server, tmp_path_factory.mktemp("client-agents")) as made:
        yield made


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


class _Digest(socketserver.BaseRequestHandler):
    """Answers the SHA-256 of everything it received once the sender shuts its side down."""

    def handle(self) -> None:
        digest = hashlib.sha256()
        while data := self.request.recv(1 << 20):
            digest.update(data)
        self.request.sendall(digest.hexdigest().encode())


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    yield from _serve(_Echo)


@pytest.fixture(scope="module")
def digest_port() -> Iterator[int]:
    yield from _serve(_Digest)


def _serve(handler: type[socketserver.BaseRequestHandler]) -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _openssm(
    server: ServerProcess, home: Path, *args: str, **kwargs: object
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "openssm", *args], env=cli_env(server.url, home), **kwargs
    )


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:

        def send() -> None:
            conn.sendall(payload)
            conn.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        chunks = []
        while data := conn.recv(1 << 20):
            chunks.append(data)
        sender.join()
    return b"".join(chunks)


def _history_status(server: ServerProcess, session_id: str) -> str:
    ssm = server.client()

    def ended() -> str | None:
        found = ssm.describe_sessions(
            State="History", Filters=[{"key": "SessionId", "value": session_id}]
        )["Sessions"]
        return str(found[0]["Status"]) if found else None

    return wait_until(ended, timeout_s=20, interval_s=0.1)


def test_port_forward_carries_parallel_connections_and_50_mb(
    relay_server: ServerProcess,
    node: AgentProcess,
    echo_port: int,
    digest_port: int,
    tmp_path: Path,
) -> None:
    forwards = []
    try:
        for port in (echo_port, digest_port):
            process = _openssm(
                relay_server,
                tmp_path,
                "port-forward",
                node.instance_id,
                str(port),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            forwards.append(process)
        local = []
        for process in forwards:
            assert process.stdout is not None
            line = process.stdout.readline().decode()
            found = re.search(r"Port (\d+) opened for sessionId (\S+)\.", line)
            assert found, line + (process.stderr.read().decode() if process.stderr else "")
            local.append(int(found.group(1)))
        rng = random.Random(14)  # noqa: S311 (reproducible test data)
        payloads = [rng.randbytes(rng.randrange(1, 2 * MB)) for _ in range(8)]
        with ThreadPoolExecutor(8) as pool:
            echoed = list(pool.map(lambda p: _exchange(local[0], p), payloads))
        assert [hashlib.sha256(e).hexdigest() for e in echoed] == [
            hashlib.sha256(p).hexdigest() for p in payloads
        ]
        big = rng.randbytes(50 * MB)
        assert _exchange(local[1], big).decode() == hashlib.sha256(big).hexdigest()
    finally:
        for process in forwards:
            process.send_signal(signal.SIGINT)
        for process in forwards:
            process.communicate(timeout=30)  # reads and closes its pipes


def _read_until(fd: int, pattern: bytes, timeout_s: float = 20.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout_s
    while re.search(pattern, seen) is None:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{pattern!r} not seen in {seen[-400:]!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def _set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_session_in_a_terminal_sizes_passes_ctrl_c_and_ends_on_exit(
    relay_server: ServerProcess, node: AgentProcess, tmp_path: Path
) -> None:
    controller, terminal = pty.openpty()
    _set_size(terminal, 33, 111)
    process = _openssm(
        relay_server,
        tmp_path,
        "session",
        node.instance_id,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        _read_until(controller, rb"[$#] ")  # the prompt: bash flushes what is typed before it
        os.write(controller, b"stty size\r")
        _read_until(controller, rb"33 111")
        _set_size(controller, 40, 120)
        process.send_signal(signal.SIGWINCH)
        time.sleep(0.2)  # the size message goes ahead of the next keys, but SIGWINCH is async
        os.write(controller, b"stty size\r")
        _read_until(controller, rb"40 120")
        os.write(controller, b"sleep 30\r")
        time.sleep(0.5)
        os.write(controller, b"\x03")
        os.write(controller, b"echo after-$((40+2))\r")
        _read_until(controller, rb"after-42")
        os.write(controller, b"exit\r")
        assert process.wait(timeout=30) == 0
        _read_until(controller, rb"Exiting session with sessionId")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


def _ssh_proxy(
    server: ServerProcess, node: AgentProcess, port: int, home: Path
) -> subprocess.Popen[bytes]:
    """`openssm ssh-proxy` as ssh starts it, its three streams piped."""
    pipe = subprocess.PIPE
    return _openssm(
        server, home, "ssh-proxy", node.instance_id, str(port), stdin=pipe, stdout=pipe, stderr=pipe
    )


def test_ssh_proxy_carries_stdin_and_stdout(
    relay_server: ServerProcess, node: AgentProcess, echo_port: int, tmp_path: Path
) -> None:
    process = _ssh_proxy(relay_server, node, echo_port, tmp_path)
    payload = b"SSH-2.0-OpenSSH_9.2\r\n" + bytes(range(256)) * 400
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(payload)
    process.stdin.flush()
    echoed = b""
    while len(echoed) < len(payload):  # as ssh does, input stays open until all came back
        chunk = os.read(process.stdout.fileno(), 65536)
        assert chunk, "the proxy ended early"
        echoed += chunk
    assert echoed == payload
    _, err = process.communicate(timeout=30)  # end of input ends the session
    assert process.returncode == 0, err.decode()


def test_ssh_proxy_ends_when_the_session_ends_though_its_input_stays_open(
    relay_server: ServerProcess, node: AgentProcess, echo_port: int, tmp_path: Path
) -> None:
    ssm = relay_server.client()
    process = _ssh_proxy(relay_server, node, echo_port, tmp_path)
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(b"ping\n")
    process.stdin.flush()
    assert os.read(process.stdout.fileno(), 100) == b"ping\n"
    (session,) = ssm.describe_sessions(
        State="Active", Filters=[{"key": "Target", "value": node.instance_id}]
    )["Sessions"]
    ssm.terminate_session(SessionId=session["SessionId"])
    assert process.wait(timeout=30) == 0  # as ssh keeps our input open
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def test_the_client_resumes_by_itself_after_its_connection_is_cut(
    relay_server: ServerProcess, node: AgentProcess, echo_port: int
) -> None:
    ssm = relay_server.client()
    started = ssm.start_session(
        Target=node.instance_id,
        DocumentName="AWS-StartPortForwardingSession",
        Parameters={"portNumber": [str(echo_port)]},
    )
    session = {k: started[k] for k in ("SessionId", "TokenValue", "StreamUrl")}
    payload = random.Random(9).randbytes(8 * MB)  # noqa: S311

    async def scenario() -> tuple[bytes, int]:
        channel = channel_for(ssm, session)
        await channel.open()
        settled, _ = await shake_hands(channel.peer)
        assert settled.multiplexed
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def serve(handler: object) -> asyncio.Server:
            server = await asyncio.start_server(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
            ready.set_result(server.sockets[0].getsockname()[1])
            return server

        forward = asyncio.create_task(forward_multiplexed(channel.peer, serve, pytest.fail))
        reader, writer = await asyncio.open_connection("127.0.0.1", await ready)
        received = bytearray()
        first_megabyte = asyncio.Event()

        async def read_back() -> None:
            while data := await reader.read(1 << 20):
                received.extend(data)
                if len(received) >= MB:
                    first_megabyte.set()
                if len(received) >= len(payload):
                    return

        reading = asyncio.create_task(read_back())
        writer.write(payload[: 3 * MB])
        await writer.drain()
        await asyncio.wait_for(first_megabyte.wait(), 60)
        assert channel._socket is not None
        channel._socket.transport.abort()  # the network drops under the client
        writer.write(payload[3 * MB :])
        await writer.drain()
        await asyncio.wait_for(reading, 60)
        writer.close()
        resumes = channel.resumes
        forward.cancel()
        await channel.close()
        return bytes(received), resumes

    received, resumes = asyncio.run(scenario())
    ssm.terminate_session(SessionId=session["SessionId"])
    assert resumes == 1
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()


@pytest.mark.skipif(
    shutil.which("node") is None or not (COMPAT / "node_modules" / "ssm-session").is_dir(),
    reason="node and the npm compat clients are not installed (make compat-clients)",
)
def test_the_npm_ssm_session_client_opens_a_shell_through_our_stream_url(
    relay_server: ServerProcess, node: AgentProcess
) -> None:
    ssm = relay_server.client()
    started = ssm.start_session(Target=node.instance_id)
    result = subprocess.run(
        [
            str(shutil.which("node")),
            str(COMPAT / "ssm_session_shell.js"),
            started["StreamUrl"],
            started["TokenValue"],
            "echo compat-$((6*7))",
            "stty size",
            "exit",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "compat-42" in result.stdout
    assert "40 132" in result.stdout  # the size it sent before any output
    assert _history_status(relay_server, started["SessionId"]) in {"Terminated", "Terminating"}
