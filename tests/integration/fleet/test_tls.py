"""TLS end to end (SECURITY.md 21): a server with a certificate from a private CA, boto3 and
real agents that verify it, and clear refusals where the certificate or the scheme is wrong."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import SSLError

from openssm.agent.instance_key import InstanceKey
from openssm.agent.state import StateDir
from tests.agents import AgentProcess, create_activation, register_cli, wait_ping_status
from tests.integration.conftest import FLEET_ENV
from tests.support import ServerProcess, wait_until
from tests.tls import PrivateCA


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCA:
    return PrivateCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_server(
    private_ca: PrivateCA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("tls")
    certificate = private_ca.issue(tmp / "cert")
    env = {
        **FLEET_ENV,
        "OPENSSM_TLS_CERT": str(certificate.cert_file),
        "OPENSSM_TLS_KEY": str(certificate.key_file),
    }
    server = ServerProcess(data_dir=tmp / "data", env=env, ca_file=private_ca.cert_file)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _register_with_ca(server: ServerProcess, ca: PrivateCA, state_dir: Path) -> AgentProcess:
    """`openssm agent register --ca-file` against `server`; the agent, not yet started."""
    activation_id, code = create_activation(server.client())
    done = register_cli(server.url, state_dir, activation_id, code, "--ca-file", str(ca.cert_file))
    assert done.returncode == 0, done.stderr
    return AgentProcess(state_dir=state_dir, instance_id=done.stdout.strip())


def test_the_server_answers_https_and_boto3_verifies_it_with_the_private_ca(
    tls_server: ServerProcess,
) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert f"openssm server listening on {tls_server.url}" in tls_server.logs()
    ssm = tls_server.client()
    name = f"/tls/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=name, Value="s3cret", Type="SecureString")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "s3cret"


def test_boto3_without_the_ca_refuses_the_certificate(tls_server: ServerProcess) -> None:
    ssm = boto3.client(
        "ssm",
        endpoint_url=tls_server.url,
        region_name="us-east-1",
        aws_access_key_id="OSSMNOBODY0000000001",
        aws_secret_access_key="x" * 40,
    )
    with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        ssm.describe_parameters()


def test_an_agent_registered_with_the_ca_file_keeps_it_and_runs_online(
    tls_server: ServerProcess, private_ca: PrivateCA, tmp_path: Path
) -> None:
    state_dir = tmp_path / "agent"
    agent = _register_with_ca(tls_server, private_ca, state_dir)
    kept = StateDir(state_dir).server_ca_file
    assert kept.read_bytes() == private_ca.cert_file.read_bytes()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # `agent run` has no --ca-file: it trusts the CA kept at registration.
    agent.start()
    try:
        wait_ping_status(tls_server.client(), [agent.instance_id], "Online")
        assert "connected to wss://127.0.0.1:" in agent.logs()
    finally:
        agent.stop()


def test_an_agent_without_the_ca_is_refused_with_a_certificate_error(
    tls_server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = create_activation(tls_server.client())
    done = register_cli(tls_server.url, tmp_path / "agent", activation_id, code)
    assert done.returncode == 1
    assert "presented a certificate this agent does not trust" in done.stderr
    assert "(unable to get local issuer certificate)" in done.stderr
    assert "--ca-file" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "agent" / "registration.json").exists()


def test_an_agent_whose_kept_ca_did_not_sign_the_certificate_says_so_and_retries(
    tls_server: ServerProcess, private_ca: PrivateCA, tmp_path: Path
) -> None:
    state_dir = tmp_path / "agent"
    agent = _register_with_ca(tls_server, private_ca, state_dir)
    other = PrivateCA.create(tmp_path / "other-ca", name="someone else's CA")
    StateDir(state_dir).save_server_ca(other.cert_file.read_text())
    agent.start()
    try:
        wait_until(lambda: "does not trust" in agent.logs(), timeout_s=15)
        assert agent.process is not None
        assert agent.process.poll() is None
        assert "(unable to get local issuer certificate)" in agent.logs()
    finally:
        agent.stop()


def test_a_plain_http_server_off_this_host_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    done = register_cli("http://ssm.example:8787", tmp_path / "agent", "id", "code")
    assert done.returncode == 1
    assert "refusing http://ssm.example:8787" in done.stderr
    assert "--allow-insecure-http" in done.stderr
    assert not (tmp_path / "agent").exists()


def test_ca_file_with_an_http_server_is_refused(private_ca: PrivateCA, tmp_path: Path) -> None:
    done = register_cli(
        "http://127.0.0.1:1",
        tmp_path / "agent",
        "id",
        "code",
        "--ca-file",
        str(private_ca.cert_file),
    )
    assert done.returncode == 1
    assert "--ca-file verifies an https:// server" in done.stderr


def test_allow_insecure_http_is_kept_and_honoured_by_agent_run(
    fleet_server: ServerProcess, tmp_path: Path
) -> None:
    # 0.0.0.0 is not a loopback address, yet connecting to it reaches this host's server.
    port = fleet_server.url.rsplit(":", 1)[1]
    url = f"http://0.0.0.0:{port}"
    activation_id, code = create_activation(fleet_server.client())
    state_dir = tmp_path / "agent"
    refused = register_cli(url, state_dir, activation_id, code)
    assert refused.returncode == 1
    assert "refusing" in refused.stderr
    done = register_cli(url, state_dir, activation_id, code, "--allow-insecure-http")
    assert done.returncode == 0, done.stderr
    assert json.loads(StateDir(state_dir).registration_file.read_text())["allow_insecure_http"]
    agent = AgentProcess(state_dir=state_dir, instance_id=done.stdout.strip())
    agent.start()
    try:
        wait_ping_status(fleet_server.client(), [agent.instance_id], "Online")
    finally:
        agent.stop()


def test_agent_run_refuses_a_plain_http_registration_that_did_not_allow_it(
    tmp_path: Path,
) -> None:
    """A registration written by hand (or by an older agent) is checked again at start."""
    state = StateDir(tmp_path / "agent")
    state.ensure()
    state.save_private_key(InstanceKey.generate())
    state.registration_file.write_text(
        json.dumps(
            {
                "instance_id": "mi-0123456789abcdef0", "server_url": "http://ssm.example:8787",
                "region": "us-east-1", "account_id": "123456789012", "name": "",
                "registered_at": 1.0,
            }
        )
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "openssm", "agent", "run", "--state-dir", str(state.root)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        timeout=30,
    )
    assert done.returncode == 2
    assert "refusing http://ssm.example:8787" in done.stderr
