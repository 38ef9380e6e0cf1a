"""`openssm up`, the README's first command: a server plus this host's agent, a fleet of one."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import instance_information
from tests.support import TEST_REGION, wait_until
from tests.tls import PrivateCA

pytestmark = pytest.mark.e2e

ENDPOINT = re.compile(r"describe-instance-information --endpoint-url (\S+)")


class Up:
    """One `openssm up` subprocess with its output in a file."""

    def __init__(self, tmp: Path, run: int, *extra: str, ca_file: Path | None = None) -> None:
        self.tmp = tmp
        self.ca_file = ca_file
        self.output = tmp / f"up-{run}.log"
        command = [
            sys.executable, "-m", "openssm", "up", "--port", "0",
            "--data-dir", str(tmp / "data"), "--agent-state-dir", str(tmp / "agent"), *extra,
        ]  # fmt: skip
        if ca_file is not None:
            command += ["--ca-file", str(ca_file)]
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_online(self) -> tuple[str, str]:
        """(endpoint URL, instance id) once `up` says the agent is Online."""

        def online() -> re.Match[str] | None:
            if self.process.poll() is not None:
                raise AssertionError(f"openssm up exited early:\n{self.text()}")
            return re.search(r"agent (mi-[0-9a-f]{17}) on this host is Online", self.text())

        found = wait_until(online, timeout_s=60, interval_s=0.1)
        endpoint = ENDPOINT.search(self.text())
        assert endpoint is not None
        return endpoint.group(1), found.group(1)

    def client(self, url: str) -> SSMClient:
        return boto3.Session(region_name=TEST_REGION).client(
            "ssm",
            endpoint_url=url,
            aws_access_key_id=_credential(self.tmp, "aws_access_key_id"),
            aws_secret_access_key=_credential(self.tmp, "aws_secret_access_key"),
            verify=str(self.ca_file) if self.ca_file else None,
        )

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=40)


def _credential(tmp: Path, name: str) -> str:
    text = (tmp / "data" / "credentials").read_text()
    match = re.search(rf"^{name} = (\S+)$", text, re.MULTILINE)
    assert match is not None
    return match.group(1)


@pytest.fixture
def up_runs(tmp_path: Path) -> Iterator[list[Up]]:
    runs: list[Up] = []
    yield runs
    for run in runs:
        if run.process.poll() is None:
            run.stop()


def _port_is_closed(url: str) -> bool:
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


def test_up_gives_a_fleet_of_one_and_a_second_up_reuses_it(
    up_runs: list[Up], tmp_path: Path
) -> None:
    first = Up(tmp_path, 1)
    up_runs.append(first)
    url, instance_id = first.wait_online()
    info = instance_information(first.client(url), [instance_id])[instance_id]
    assert info["PingStatus"] == "Online"
    assert info["PlatformType"] == "Linux"
    assert info["IamRole"] == "openssm-local"
    assert info["Name"] == socket.gethostname()
    assert first.stop() == 0
    assert _port_is_closed(url)
    assert "openssm server listening on" in first.text()

    second = Up(tmp_path, 2)
    up_runs.append(second)
    url, again = second.wait_online()
    assert again == instance_id
    assert f"reusing the registration of {instance_id}" in second.text()
    ssm = second.client(url)
    assert list(instance_information(ssm, [instance_id])) == [instance_id]
    assert second.stop() == 0


def test_up_serves_tls_and_its_agent_verifies_it(up_runs: list[Up], tmp_path: Path) -> None:
    ca = PrivateCA.create(tmp_path / "ca")
    issued = ca.issue(tmp_path / "cert")
    tls = ("--tls-cert", str(issued.cert_file), "--tls-key", str(issued.key_file))
    run = Up(tmp_path, 1, *tls, ca_file=ca.cert_file)
    up_runs.append(run)
    url, instance_id = run.wait_online()
    assert url.startswith("https://127.0.0.1:")
    assert f"--ca-bundle {ca.cert_file}" in run.text()
    info = instance_information(run.client(url), [instance_id])[instance_id]
    assert info["PingStatus"] == "Online"
    assert (tmp_path / "agent" / "server-ca.pem").read_bytes() == ca.cert_file.read_bytes()
    assert run.stop() == 0


def test_up_on_every_address_keeps_its_own_agent_on_loopback(
    up_runs: list[Up], tmp_path: Path
) -> None:
    """An agent refuses plain http:// off loopback, so `up --host 0.0.0.0` must not hand it the
    wildcard address the server listens on."""
    run = Up(tmp_path, 1, "--host", "0.0.0.0")  # noqa: S104  # the point of the test
    up_runs.append(run)
    url, instance_id = run.wait_online()
    assert url.startswith("http://127.0.0.1:")
    assert "openssm server listening on http://0.0.0.0:" in run.text()
    info = instance_information(run.client(url), [instance_id])[instance_id]
    assert info["PingStatus"] == "Online"
    assert run.stop() == 0
