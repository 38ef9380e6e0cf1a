"""Port sessions end to end: a real agent forwarding to a real TCP server on this host,
through the server's relay, driven by ``openssm port-forward`` and ``ssh`` with ``openssm
ssh-proxy`` as its ProxyCommand against a real sshd: parallel connections, a 50 MB transfer
whose SHA-256 matches, per-connection records in the transcript, the port policy refusing a
shell, and link-local destinations refused (SECURITY.md #16)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agents import AgentProcess
from tests.integration.commands.output_support import signed_get
from tests.integration.sessions.driver import DrivenSession, records
from tests.integration.sessions.forwarding import (
    cli_env,
    connects,
    free_port,
    start_port_forward,
)
from tests.integration.sessions.loopback import (
    LATE_ANSWER_S,
    LoopbackServer,
    answer_echo,
    answer_late,
    answer_sha256,
)
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

BIG = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def hasher() -> Iterator[LoopbackServer]:
    """Answers each connection with the SHA-256 of what it received."""
    server = LoopbackServer(answer_sha256)
    try:
        yield server
    finally:
        server.close()


def _send_and_hash(port: int, data: bytes) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer.decode()


def test_port_forward_carries_parallel_connections_and_50_mb_intact(
    session_server: ServerProcess, agent: AgentProcess, hasher: LoopbackServer, tmp_path: Path
) -> None:
    log = (tmp_path / "port-forward.log").open("wb")
    forward, local = start_port_forward(session_server, agent.instance_id, hasher.port, log)
    try:
        big = os.urandom(BIG)
        small = [os.urandom(1_000_000 + i) for i in range(4)]

        async def parallel() -> list[str]:
            jobs = [asyncio.to_thread(_send_and_hash, local, data) for data in [big, *small]]
            return await asyncio.gather(*jobs)

        digests = asyncio.run(parallel())
        assert digests == [hashlib.sha256(d).hexdigest() for d in [big, *small]]
    finally:
        forward.send_signal(signal.SIGINT)  # Ctrl-C: the client ends the session
        forward.wait(timeout=15)
        log.close()
    ssm = session_server.client()

    def ended() -> dict[str, Any] | None:
        found = ssm.describe_sessions(
            State="History",
            Filters=[{"key": "Target", "value": agent.instance_id}],
        )["Sessions"]
        ports = [s for s in found if s["DocumentName"] == "AWS-StartPortForwardingSession"]
        return dict(ports[0]) if ports else None

    session = wait_until(ended, timeout_s=20, interval_s=0.2)

    def all_closed() -> list[dict[str, Any]] | None:
        # TerminateSession shows the session ended at once; its relay writes the last of the
        # transcript as it ends, a moment later (well within the 5 s grace period).
        status, transcript = signed_get(session["OutputUrl"]["S3OutputUrl"])
        assert status == 200
        closes = [r for r in records(transcript) if r["connection"] == "close"]
        return closes if any(r["bytes_in"] == BIG for r in closes) else None

    closes = wait_until(all_closed, timeout_s=3, interval_s=0.1)
    assert len(closes) >= 5
    assert {r["port"] for r in closes} == {hasher.port}
    assert max(r["bytes_in"] for r in closes) == BIG


def test_an_answer_sent_long_after_the_clients_half_close_arrives(
    session_server: ServerProcess, agent: AgentProcess, tmp_path: Path
) -> None:
    """The agent carried a destination's answer for 5 s after the client closed its side, then
    cut the connection: a slow answer (or any answer on a loaded host) was lost."""
    late = LoopbackServer(answer_late)
    log = (tmp_path / "port-forward.log").open("wb")
    forward, local = start_port_forward(session_server, agent.instance_id, late.port, log)
    try:
        with socket.create_connection(("127.0.0.1", local), timeout=LATE_ANSWER_S + 30) as sock:
            sock.sendall(b"are you there?")
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        assert answer == b"are you there?"
    finally:
        forward.send_signal(signal.SIGINT)
        forward.wait(timeout=15)
        log.close()
        late.close()


def test_a_link_local_destination_is_refused(
    session_server: ServerProcess, agent: AgentProcess
) -> None:
    ssm = session_server.client()
    started = dict(
        ssm.start_session(
            Target=agent.instance_id,
            DocumentName="AWS-StartPortForwardingSessionToRemoteHost",
            Parameters={"host": ["169.254.169.254"], "portNumber": ["80"]},
        )
    )

    async def drive() -> str:
        session = DrivenSession()
        await session.attach(started)
        return await session.closed()

    reason = asyncio.run(drive())
    assert "link-local or metadata" in reason


def _sshd(root: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """A real sshd on a free loopback port that lets this user in with a fresh key."""
    port = free_port()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "host")], check=True
    )
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "user")], check=True
    )
    shutil.copy(root / "user.pub", root / "authorized_keys")
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nStrictModes no\n"
        "PasswordAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n"
        f"PidFile {root / 'sshd.pid'}\n"
    )  # fmt: skip
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    sshd = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(root / "sshd.log")]
    )
    wait_until(lambda: connects(port), timeout_s=10, interval_s=0.1)
    return sshd, port, root / "user"


@pytest.mark.skipif(not Path("/usr/sbin/sshd").exists(), reason="openssh-server is not installed")
@pytest.mark.skipif(os.geteuid() != 0, reason="sshd runs as root")
def test_ssh_goes_through_the_proxy_command(
    session_server: ServerProcess, agent: AgentProcess, tmp_path: Path
) -> None:
    sshd, port, key = _sshd(tmp_path)
    proxy = f"{sys.executable} -m openssm ssh-proxy %h %p"
    try:
        done = subprocess.run(
            ["ssh", "-i", str(key), "-p", str(port), "-o", f"ProxyCommand={proxy}",
             "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={tmp_path / 'known'}",
             "-o", "BatchMode=yes", f"root@{agent.instance_id}", "echo through-ssm-$((40+2))"],
            env=cli_env(session_server), capture_output=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "through-ssm-42"
    ssm = session_server.client()

    # ssh ends its ProxyCommand with SIGHUP; a session whose client vanished ends after the
    # server's grace period (5 s here) if nobody terminated it.
    def ssh_session_ended() -> bool:
        found = ssm.describe_sessions(
            State="History", Filters=[{"key": "Target", "value": agent.instance_id}]
        )["Sessions"]
        return any(s["DocumentName"] == "AWS-StartSSHSession" for s in found)

    wait_until(ssh_session_ended, timeout_s=20, interval_s=0.2)


def test_ssh_proxy_ends_its_session_when_ssh_goes_away(
    session_server: ServerProcess, agent: AgentProcess
) -> None:
    """ssh hangs up on its ProxyCommand (SIGHUP) when it exits or is killed: the proxy ends
    the session with TerminateSession at once instead of dying and leaving it for the
    server's grace period."""
    echo = LoopbackServer(answer_echo)
    proxy = subprocess.Popen(
        [sys.executable, "-m", "openssm", "ssh-proxy", agent.instance_id, str(echo.port)],
        env=cli_env(session_server), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proxy.stdin is not None
    assert proxy.stdout is not None
    try:
        proxy.stdin.write(b"SSH-2.0-not-really\r\n")
        proxy.stdin.flush()
        assert proxy.stdout.read(len(b"SSH-2.0-not-really\r\n")) == b"SSH-2.0-not-really\r\n"
        proxy.send_signal(signal.SIGHUP)
        assert proxy.wait(timeout=15) == 128 + signal.SIGHUP
    finally:
        if proxy.poll() is None:
            proxy.kill()
            proxy.wait()
        for pipe in (proxy.stdin, proxy.stdout):
            pipe.close()
        echo.close()
    ssm = session_server.client()
    found = ssm.describe_sessions(
        State="History", Filters=[{"key": "Target", "value": agent.instance_id}]
    )["Sessions"]
    ssh = [s for s in found if s["DocumentName"] == "AWS-StartSSHSession"]
    latest = max(ssh, key=lambda s: s["StartDate"])
    assert latest["Details"] == "Terminated by TerminateSession"
