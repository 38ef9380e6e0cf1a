"""SECURITY.md #23: guessing activation codes and signatures is throttled and logged.

A live probe sent 400-500 wrong activation codes a second, each one queueing for SQLite's
write lock, logged without the client's address. Now: a wrong code is checked read-only,
logged with the address, and counted against that address and that activation; past the
allowance (OPENSSM_AUTH_FAILURE_BURST at once, OPENSSM_AUTH_FAILURES_PER_S after) the next
attempt is HTTP 429 ThrottlingException before its code is looked at. Successful
registrations never count. Refused signatures and unknown keys are counted the same way
per address, and answered ThrottlingException (HTTP 400, as AWS answers it).

The server trusts X-Forwarded-For from loopback (a reverse proxy on the same host), which
lets one test speak as several client addresses.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.aws_errors import error_of
from tests.integration.channel_client import activate, public_key_b64
from tests.support import ServerProcess, running_server, wait_until

BURST = 5
# Slow enough that no token comes back while a test spends the burst.
PER_S = 0.2
ENV = {"OPENSSM_AUTH_FAILURE_BURST": str(BURST), "OPENSSM_AUTH_FAILURES_PER_S": str(PER_S)}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own: throttling state must start empty."""
    with running_server(tmp_path / "server", env=ENV) as process:
        yield process


def _register(
    url: str, activation_id: str, code: str, *, client: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {
        "ActivationId": activation_id,
        "ActivationCode": code,
        "PublicKey": public_key_b64(Ed25519PrivateKey.generate()),
    }
    headers = {"Content-Type": "application/json"}
    if client is not None:
        headers["X-Forwarded-For"] = client
    request = urllib.request.Request(
        url + "/agent/v1/register", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), _lower(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), _lower(exc.headers)


def _lower(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _answer(status: int, body: dict[str, Any], _headers: dict[str, str]) -> tuple[int, str]:
    return status, body.get("__type", "")


WRONG = (400, "InvalidActivationId")
THROTTLED = (429, "ThrottlingException")


def test_wrong_codes_from_one_address_are_throttled_after_the_burst(server: ServerProcess) -> None:
    activation_id, code = activate(server.client(), limit=10)
    mark = server.log_mark()
    answers = [_answer(*_register(server.url, activation_id, "x" * 20)) for _ in range(BURST)]
    assert answers == [WRONG] * BURST
    status, body, headers = _register(server.url, activation_id, "y" * 20)
    assert (status, body["__type"]) == THROTTLED
    assert int(headers["retry-after"]) >= 1
    # Refused before the code is checked: even the right one, until a token comes back.
    assert _answer(*_register(server.url, activation_id, code)) == THROTTLED
    log = server.logs_since(mark)
    assert log.count("registration refused for 127.0.0.1: InvalidActivationId") == BURST
    assert "throttling registrations from 127.0.0.1" in log


def test_another_address_and_another_activation_are_not_throttled(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    guessed, _ = activate(ssm)
    other, other_code = activate(ssm)
    # Spread over addresses, the guesses still exhaust the activation they aim at.
    for n in range(BURST):
        assert _answer(*_register(server.url, guessed, "x" * 20, client=f"192.0.2.{n}")) == WRONG
    assert _answer(*_register(server.url, guessed, "x" * 20, client="198.51.100.1")) == THROTTLED
    status, body, _ = _register(server.url, other, other_code, client="198.51.100.1")
    assert status == 200, body
    assert _answer(*_register(server.url, other, "x" * 20, client="198.51.100.2")) == WRONG


def test_successful_registrations_never_count(server: ServerProcess) -> None:
    activation_id, code = activate(server.client(), limit=200)
    for _ in range(10 * BURST):
        status, body, _ = _register(server.url, activation_id, code)
        assert status == 200, body
    answers = [_answer(*_register(server.url, activation_id, "x" * 20)) for _ in range(BURST)]
    assert answers == [WRONG] * BURST


def test_the_throttle_lifts_as_tokens_come_back(server: ServerProcess) -> None:
    activation_id, code = activate(server.client())
    for _ in range(BURST + 1):
        _register(server.url, activation_id, "x" * 20)

    def registered() -> bool:
        return _register(server.url, activation_id, code)[0] == 200

    wait_until(registered, timeout_s=3 / PER_S, interval_s=0.5)


def test_a_wrong_code_does_not_wait_for_the_write_lock(server: ServerProcess) -> None:
    """Another writer holds SQLite's write lock; a wrong code is refused at once all the same
    (it used to queue behind the lock for up to the 30 s busy timeout)."""
    activation_id, _ = activate(server.client())
    writer = sqlite3.connect(server.data_dir / "openssm.db", isolation_level=None, timeout=5)
    try:
        writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        assert _answer(*_register(server.url, activation_id, "x" * 20)) == WRONG
        assert _answer(*_register(server.url, str(uuid.uuid4()), "x" * 20)) == WRONG
        assert time.monotonic() - started < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_refused_signatures_are_throttled_per_address(server: ServerProcess) -> None:
    mark = server.log_mark()
    stranger = server.client(access_key_id="OSSMNOSUCHKEY0000000", secret_access_key="x" * 40)
    codes = [error_of(stranger.describe_parameters).code for _ in range(BURST)]
    assert codes == ["UnrecognizedClientException"] * BURST
    throttled = error_of(stranger.describe_parameters)
    assert (throttled.status, throttled.code) == (400, "ThrottlingException")
    # The address, not the key: a good key from there waits too, until a token comes back.
    assert error_of(server.client().describe_parameters).code == "ThrottlingException"
    log = server.logs_since(mark)
    refusal = "authentication refused for 127.0.0.1: UnrecognizedClientException"
    assert log.count(refusal) == BURST

    def admin_answers() -> bool:
        try:
            server.client().describe_parameters()
        except Exception:  # noqa: BLE001 - still throttled: poll again
            return False
        return True

    wait_until(admin_answers, timeout_s=3 / PER_S, interval_s=0.5)
