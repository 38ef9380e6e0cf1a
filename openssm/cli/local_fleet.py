"""A server and an agent on this host, supervised: what `openssm up` runs.

It starts `openssm server`, makes an activation through the public API with
boto3 (the project eats its own API), registers this host's agent with it
(once: a second `up` reuses the registration), starts `openssm agent run`, and
waits. Ctrl-C or SIGTERM stops the agent, then the server.
"""

from __future__ import annotations

import configparser
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from openssm.config import DEFAULT_REGION, ServerSettings, load_agent_settings, load_server_settings
from openssm.errors import AgentError, OpenSSMError
from openssm.settings_table import rows

ACTIVATION_ROLE = "openssm-local"
STARTUP_TIMEOUT_S = 60.0
ONLINE_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class _Stop(BaseException):
    """Raised from the signal handler to leave the wait loop: a stop request, not an error,
    so (like KeyboardInterrupt) no ``except Exception`` on the way can swallow it."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _openssm(*args: str) -> list[str]:
    return [sys.executable, "-m", "openssm", *args]


def _start_server(
    server_flags: Mapping[str, str | None], log_level: str, ready: Path
) -> subprocess.Popen[bytes]:
    command = _openssm("server", "--ready-file", str(ready), "--log-level", log_level)
    for row in rows(ServerSettings):
        value = server_flags.get(row.name)
        if value is not None and row.flag is not None:
            command += [row.flag, value]
    # A session of its own: Ctrl-C reaches `up` alone, which then stops its children in order.
    return subprocess.Popen(command, start_new_session=True)  # noqa: S603  # our own argv


def _wait_ready(server: subprocess.Popen[bytes], ready: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not (ready.exists() and ready.stat().st_size > 0):
        if server.poll() is not None:
            raise OpenSSMError(f"the server exited with code {server.returncode} while starting")
        if time.monotonic() > deadline:
            raise OpenSSMError(f"the server did not start within {STARTUP_TIMEOUT_S:.0f}s")
        time.sleep(0.05)
    return ready.read_text().strip()


def local_url(url: str) -> str:
    """`url` with a wildcard address (0.0.0.0, ::) replaced by loopback: how this host's own
    agent and API calls reach a server listening on every address, without leaving the host
    (an agent refuses plain http:// to any address that is not loopback)."""
    parts = urllib.parse.urlsplit(url)
    loopback = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(parts.hostname or "")  # noqa: S104  # read, not bound
    if loopback is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{loopback}:{parts.port}"))


def _ssm_client(url: str, credentials: Path, ca_file: Path | None) -> Any:
    import boto3

    parser = configparser.ConfigParser()
    if not parser.read(credentials) or not parser.has_section("openssm"):
        raise OpenSSMError(f"no [openssm] profile in {credentials}")
    profile = parser["openssm"]
    return boto3.client(
        "ssm",
        endpoint_url=url,
        region_name=DEFAULT_REGION,
        aws_access_key_id=profile["aws_access_key_id"],
        aws_secret_access_key=profile["aws_secret_access_key"],
        verify=str(ca_file) if ca_file else None,
    )


def _ping_status(ssm: Any, instance_id: str) -> str | None:
    """The instance's PingStatus on this server, None when the server does not know it."""
    from botocore.exceptions import ClientError

    try:
        answer = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
        )
    except ClientError:
        return None
    for info in answer.get("InstanceInformationList", []):
        if info.get("InstanceId") == instance_id:
            return str(info.get("PingStatus", ""))
    return None


def _ensure_registered(ssm: Any, url: str, state_dir: Path, ca_file: Path | None) -> str:
    """This host's instance id on the server at `url`, registering it when needed."""
    from openssm.agent.registration import read_ca_file, register
    from openssm.agent.state import StateDir

    state = StateDir(state_dir)
    if state.is_registered():
        existing = state.load_registration()
        status = _ping_status(ssm, existing.instance_id)
        if status not in (None, "Inactive"):
            if ca_file is not None:
                state.save_server_ca(read_ca_file(ca_file))
            if existing.server_url != url:
                # Same server data on another address (or now over TLS): follow the server.
                state.save_registration(replace(existing, server_url=url))
            print(f"reusing the registration of {existing.instance_id} ({state.root})")
            return existing.instance_id
        if existing.server_url != url:
            raise AgentError(
                f"{state.root} holds the registration of {existing.instance_id} with "
                f"{existing.server_url}, which this server does not know; pass "
                "--agent-state-dir DIR to run a second agent for this server"
            )
        print(f"{existing.instance_id} is gone from this server; registering this host again")
    hostname = socket.gethostname()
    activation = ssm.create_activation(
        IamRole=ACTIVATION_ROLE,
        DefaultInstanceName=hostname,
        RegistrationLimit=1,
        Description="openssm up: the agent on the server's own host",
    )
    registration = register(
        server_url=url,
        activation_id=activation["ActivationId"],
        activation_code=activation["ActivationCode"],
        state_dir=state_dir,
        force=True,
        ca_file=ca_file,
    )
    print(f"registered this host as {registration.instance_id} ({state.root})")
    return registration.instance_id


def _wait_online(ssm: Any, instance_id: str, agent: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + ONLINE_TIMEOUT_S
    while time.monotonic() < deadline and agent.poll() is None:
        if _ping_status(ssm, instance_id) == "Online":
            return True
        time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen[bytes] | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"the {name} did not stop within {STOP_TIMEOUT_S:.0f}s; killing it", file=sys.stderr)
        process.kill()
        process.wait()


def run(
    *,
    server_flags: Mapping[str, str | None],
    agent_flags: Mapping[str, str | None],
    log_level: str,
    ca_file: Path | None,
) -> int:
    """Run the fleet of one; the flags are the server's and the agent's, by setting name;
    `ca_file` is the private CA of the server's certificate, if one signed it."""
    from botocore.exceptions import BotoCoreError, ClientError

    # Read here first so that a bad setting is reported at once, by `up` itself.
    settings = load_server_settings(server_flags)
    state_dir = load_agent_settings(agent_flags).state_dir
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    server: subprocess.Popen[bytes] | None = None
    agent: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="openssm-up-") as tmp:
            server = _start_server(server_flags, log_level, Path(tmp) / "ready")
            url = local_url(_wait_ready(server, Path(tmp) / "ready"))
        ssm = _ssm_client(url, settings.credentials_file, ca_file)
        instance_id = _ensure_registered(ssm, url, state_dir, ca_file)
        agent = subprocess.Popen(  # noqa: S603  # our own argv
            _openssm("agent", "run", "--state-dir", str(state_dir), "--log-level", log_level),
            start_new_session=True,
        )
        online = _wait_online(ssm, instance_id, agent)
        print(
            f"\nagent {instance_id} on this host is {'Online' if online else 'starting'}; "
            f"see it with:\n  aws ssm describe-instance-information --endpoint-url {url}"
            f"{f' --ca-bundle {ca_file}' if ca_file else ''}\n"
            "Ctrl-C stops the agent and the server.",
            flush=True,
        )
        while server.poll() is None:
            if agent is not None and agent.poll() is not None:
                print(f"the agent exited with code {agent.returncode}", file=sys.stderr)
                agent = None
            time.sleep(0.5)
        print(f"the server exited with code {server.returncode}", file=sys.stderr)
        return 1
    except _Stop:
        return 0
    except (OpenSSMError, BotoCoreError, ClientError, OSError) as exc:
        print(f"openssm up: {exc}", file=sys.stderr)
        return 1
    finally:
        # Ignore further signals so a second Ctrl-C cannot leave children behind half-stopped.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        _stop(agent, "agent")
        _stop(server, "server")
        for signum, handler in previous.items():
            signal.signal(signum, handler)
