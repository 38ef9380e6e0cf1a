"""SECURITY.md #22: slow or idle clients cannot exhaust the server.

A live probe held 500 idle sockets open for ever; at the open-file limit real calls and agents
were refused. Now a connection that sends no request headers within
OPENSSM_HTTP_IDLE_TIMEOUT_S, or idles that long after a response, is closed; connections that
have not yet said what they are, API connections and agents' channels each have a budget of
their own, so a flood of one kind leaves the others their room.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from types_boto3_ssm.client import SSMClient
from websockets.exceptions import InvalidStatus

from tests.aws_errors import aws_error, error_of
from tests.integration.channel_client import ChannelClient, activate, connect_agent, register
from tests.support import ServerProcess, closed_by_peer, running_server, wait_until

IDLE_TIMEOUT_S = 2.0
MAX_API = 40
ENV = {
    "OPENSSM_HTTP_IDLE_TIMEOUT_S": str(IDLE_TIMEOUT_S),
    "OPENSSM_MAX_API_CONNECTIONS": str(MAX_API),
}
HALF_SENT = b"POST / HTTP/1.1\r\nHost: openssm\r\nX-Amz-Target: AmazonSSM.GetParam"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """Budgets small enough for a test to spend them."""
    with running_server(tmp_path / "server", env=ENV) as process:
        yield process


@pytest.fixture
def roomy_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The default budgets and deadline (5 s): only the deadline closes a connection."""
    with running_server(tmp_path / "server") as process:
        yield process


def _address(server: ServerProcess) -> tuple[str, int]:
    return "127.0.0.1", int(server.url.rsplit(":", 1)[1])


def _open(server: ServerProcess, count: int, first_bytes: bytes = b"") -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(_address(server), timeout=10)
        if first_bytes:
            sock.sendall(first_bytes)
        sockets.append(sock)
    return sockets


def _status(ssm: SSMClient) -> int:
    try:
        ssm.describe_parameters()
    except ClientError as exc:
        return aws_error(exc).status
    return 200


def _all_closed(sockets: list[socket.socket]) -> bool:
    return all(closed_by_peer(sock) for sock in sockets)


def test_idle_and_half_sent_connections_are_closed_and_calls_answer_meanwhile(
    roomy_server: ServerProcess,
) -> None:
    server = roomy_server
    ssm = server.client()
    idle = _open(server, 300)
    half_sent = _open(server, 100, HALF_SENT)
    try:
        # Hundreds of sockets hold a place; a signed call still answers, before any deadline.
        ssm.describe_parameters()
        assert not closed_by_peer(idle[-1])
        wait_until(lambda: _all_closed(idle + half_sent), timeout_s=5 + 8)
        ssm.describe_parameters()
    finally:
        for sock in idle + half_sent:
            sock.close()


def test_an_idle_keep_alive_connection_is_closed(server: ServerProcess) -> None:
    (sock,) = _open(server, 1, b"GET /health HTTP/1.1\r\nHost: openssm\r\n\r\n")
    try:
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        wait_until(lambda: closed_by_peer(sock), timeout_s=IDLE_TIMEOUT_S + 8)
    finally:
        sock.close()


def test_a_flood_of_silent_connections_keeps_neither_calls_nor_agents_out(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    identity = register(server.url, *activate(ssm))
    mark = server.log_mark()
    flood = _open(server, 5 * MAX_API)
    try:
        # The oldest silent connections made room for the newest.
        wait_until(lambda: "made room for a new connection" in server.logs_since(mark))
        agent = connect_agent(server.url, identity)
        agent.close()
        ssm.describe_parameters()
    finally:
        for sock in flood:
            sock.close()


def test_when_every_api_connection_is_busy_calls_wait_but_agents_connect(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    identity = register(server.url, *activate(ssm))
    ssm.close()  # its kept-alive connection would hold an API place of its own
    # Headers complete, body never sent: each holds an API connection with a request open.
    # One more than the budget, so that one of them is refused: then the others hold it all.
    slow = _open(
        server, MAX_API + 1, b"POST / HTTP/1.1\r\nHost: openssm\r\nContent-Length: 100\r\n\r\n"
    )
    try:
        wait_until(lambda: any(_answered_503(sock) for sock in slow), timeout_s=10)
        refused = error_of(ssm.describe_parameters)
        assert (refused.status, refused.code) == (503, "ServiceUnavailable")
        agent = connect_agent(server.url, identity)
        agent.close()
    finally:
        for sock in slow:
            sock.close()
    wait_until(lambda: _status(ssm) == 200, timeout_s=10)


def _answered_503(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(4096).startswith(b"HTTP/1.1 503")
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)


def test_agents_past_their_budget_are_refused_and_calls_are_not(tmp_path: Path) -> None:
    env = {**ENV, "OPENSSM_MAX_AGENT_CHANNELS": "1"}
    with running_server(tmp_path / "server", env=env) as server:
        ssm = server.client()
        first, second = (register(server.url, *activate(ssm)) for _ in range(2))
        agent = connect_agent(server.url, first)
        with pytest.raises(InvalidStatus) as refused:
            ChannelClient(server.url)
        assert refused.value.response.status_code == 403
        ssm.describe_parameters()
        agent.close()

        def second_connects() -> bool:
            try:
                connect_agent(server.url, second).close()
            except InvalidStatus:
                return False
            return True

        wait_until(second_connects, timeout_s=10)
