"""Session limits and command sessions end to end: a real server whose preference minutes last
a second (OPENSSM_SESSION_MINUTE_S, as AWS's minimum of a minute would make every test wait
minutes), a real agent, and a client through the relay. A shell idle past idleSessionTimeout
ends; a port tunnel carrying traffic past it does not, and ends once it is left idle; a
session ends at maxSessionDuration however busy it is; AWS-StartInteractiveCommand and
AWS-StartNonInteractiveCommand stream the command's output and end the session when it
exits, with its exit status, and with separateOutputStream its standard error apart."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agents import AgentProcess
from tests.integration.sessions.driver import PROMPT, DrivenSession, history, shell_at_prompt
from tests.integration.sessions.forwarding import cli_env, start_port_forward
from tests.integration.sessions.loopback import LoopbackServer, answer_echo
from tests.integration.sessions.nodes import real_agent
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

# One minute of a session preference lasts this long on the test server.
MINUTE_S = 1.0
IDLE_MINUTES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    made = ServerProcess(
        data_dir=tmp_path_factory.mktemp("limits"),
        env={
            "OPENSSM_SESSION_MINUTE_S": str(MINUTE_S),
            "OPENSSM_SESSION_GRACE_S": "5",
            "OPENSSM_HEARTBEAT_INTERVAL_S": "0.5",
        },
    )
    made.start()
    try:
        preferences = {
            "schemaVersion": "1.0",
            "description": "Session Manager preferences of the limits tests",
            "sessionType": "Standard_Stream",
            "inputs": {"idleSessionTimeout": str(IDLE_MINUTES)},
        }
        made.client().create_document(
            Name="SSM-SessionManagerRunShell",
            Content=json.dumps(preferences),
            DocumentType="Session",
        )
        yield made
    finally:
        made.stop()


@pytest.fixture(scope="module")
def agent(
    server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentProcess]:
    with real_agent(server, tmp_path_factory.mktemp("limits-agents")) as made:
        yield made


def test_an_idle_shell_ends_at_the_idle_timeout(server: ServerProcess, agent: AgentProcess) -> None:
    ssm = server.client()
    started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id))

    async def drive() -> tuple[str, float]:
        session = await shell_at_prompt(started)
        await session.type("echo typed\r")
        await session.expect(r"[\r\n]typed\r\n")
        await session.expect(PROMPT)
        idle_from = time.monotonic()
        reason = await session.closed(timeout_s=IDLE_MINUTES * MINUTE_S + 10)
        return reason, time.monotonic() - idle_from

    reason, idle_s = asyncio.run(drive())
    assert "inactivity" in reason
    assert IDLE_MINUTES * MINUTE_S - 0.5 <= idle_s <= IDLE_MINUTES * MINUTE_S + 3
    assert history(ssm, started["SessionId"])["Status"] == "Terminated"


def test_a_busy_tunnel_outlives_the_idle_timeout_and_an_idle_one_ends(
    server: ServerProcess, agent: AgentProcess, tmp_path: Path
) -> None:
    echo = LoopbackServer(answer_echo)
    log_path = tmp_path / "port-forward.log"
    with log_path.open("wb") as log:
        forward, local = start_port_forward(server, agent.instance_id, echo.port, log)
    try:
        busy_until = time.monotonic() + 2.5 * IDLE_MINUTES * MINUTE_S
        with socket.create_connection(("127.0.0.1", local), timeout=10) as conn:
            n = 0
            while time.monotonic() < busy_until:
                line = f"ping {n}\n".encode()
                conn.sendall(line)
                got = b""
                while len(got) < len(line):
                    got += conn.recv(len(line) - len(got))
                assert got == line
                n += 1
                time.sleep(0.3)
        assert forward.poll() is None, log_path.read_text()
        # Left with no connection and no traffic, the tunnel ends at the idle timeout.
        code = forward.wait(timeout=IDLE_MINUTES * MINUTE_S + 10)
    finally:
        if forward.poll() is None:
            forward.kill()
            forward.wait()
        echo.close()
    output = log_path.read_text()
    assert "inactivity" in output, output
    assert code == 0, output


def test_a_busy_session_ends_at_its_maximum_duration(
    server: ServerProcess, agent: AgentProcess
) -> None:
    ssm = server.client()
    doc = f"Limited-{uuid.uuid4().hex[:8]}"
    content = {
        "schemaVersion": "1.0",
        "description": "a shell with a maximum duration",
        "sessionType": "Standard_Stream",
        "inputs": {"maxSessionDuration": "4", "idleSessionTimeout": "60"},
    }
    ssm.create_document(Name=doc, Content=json.dumps(content), DocumentType="Session")
    started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id, DocumentName=doc))
    listed = ssm.describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": started["SessionId"]}]
    )["Sessions"]
    assert listed[0]["MaxSessionDuration"] == "4"
    opened = time.monotonic()

    async def drive() -> str:
        session = await shell_at_prompt(started)
        # Output all the time: the maximum duration counts no matter the traffic.
        await session.type("while :; do echo tick; sleep 0.2; done\r")
        await session.expect("tick")
        return await session.closed(timeout_s=20)

    reason = asyncio.run(drive())
    lasted = time.monotonic() - opened
    assert "maximum duration" in reason
    assert 4 * MINUTE_S - 0.5 <= lasted <= 4 * MINUTE_S + 5
    assert history(ssm, started["SessionId"])["Status"] == "Terminated"


async def _type_a_name(session: DrivenSession) -> None:
    await session.resize(90, 20)
    await session.type("openssm\r")
    await session.expect(r"hello-openssm\r\n")


async def _shake_hands_and_read(session: DrivenSession) -> None:
    await session.handshake()
    await session.expect(r"line-1\r\nline-2\r\nline-3\r\n")


@pytest.mark.parametrize(
    ("document", "command", "drive", "exit_codes"),
    [
        # AWS's agent sends an exit code for a non-interactive command only.
        ("AWS-StartInteractiveCommand", "read -r name; echo hello-$name; exit 3", _type_a_name,
         []),
        ("AWS-StartNonInteractiveCommand", "for i in 1 2 3; do echo line-$i; done; exit 7",
         _shake_hands_and_read, [b"EXIT_CODE: 7"]),
    ],
)  # fmt: skip
def test_a_command_sessions_output_arrives_and_its_exit_ends_the_session(
    server: ServerProcess,
    agent: AgentProcess,
    document: str,
    command: str,
    drive: Callable[[DrivenSession], Awaitable[None]],
    exit_codes: list[bytes],
) -> None:
    ssm = server.client()
    started: dict[str, Any] = dict(
        ssm.start_session(
            Target=agent.instance_id, DocumentName=document, Parameters={"command": [command]}
        )
    )

    async def run() -> str:
        session = DrivenSession()
        await session.attach(started)
        await drive(session)
        reason = await session.closed()
        assert session.exit_codes == exit_codes
        return reason

    assert started["SessionId"] in asyncio.run(run())
    assert history(ssm, started["SessionId"])["Status"] == "Terminated"


def test_openssm_session_exits_with_a_non_interactive_commands_status(
    server: ServerProcess, agent: AgentProcess
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openssm", "session", agent.instance_id,
         "--document", "AWS-StartNonInteractiveCommand",
         "--parameters", "command=echo from-the-node; exit 5"],
        env=cli_env(server), stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert b"from-the-node" in done.stdout, done.stderr
    assert done.returncode == 5, done.stderr


def test_a_commands_standard_error_comes_apart_when_its_document_asks(
    server: ServerProcess, agent: AgentProcess
) -> None:
    """separateOutputStream: standard error arrives as StdErr messages (openssm session writes
    them to its standard error), each line of a stream after that stream's prefix."""
    parameters = {
        "command": ["echo one; echo oops >&2; echo two; exit 3"],
        "separateOutputStream": ["true"],
        "stdoutSeparatorPrefix": ["OUT:"],
        "stderrSeparatorPrefix": ["ERR:"],
    }
    done = subprocess.run(
        [sys.executable, "-m", "openssm", "session", agent.instance_id,
         "--document", "AWS-StartNonInteractiveCommand", "--parameters", json.dumps(parameters)],
        env=cli_env(server), stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert b"OUT:one\nOUT:two\n" in done.stdout, done
    assert b"oops" not in done.stdout
    assert b"ERR:oops\n" in done.stderr, done
    assert done.returncode == 3, done.stderr
