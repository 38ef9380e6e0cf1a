"""Real agents for integration tests: registered through real activations, run as subprocesses.

Each agent gets its own state dir and log file; nothing of the agent is faked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import InstanceInformationTypeDef

from tests.support import ServerEndpoint, wait_until

# Short reconnect backoff so tests can bound "Online again" in seconds.
AGENT_BACKOFF_CAP_S = 2.0
# The command line that runs openssm: this interpreter's, unless a test gives another install's.
OPENSSM = (sys.executable, "-m", "openssm")


def create_activation(
    ssm: SSMClient, *, limit: int = 1, name: str | None = None
) -> tuple[str, str]:
    """(ActivationId, ActivationCode) of a new activation made through the public API."""
    kwargs: dict[str, Any] = {"IamRole": "openssm-test", "RegistrationLimit": limit}
    if name:
        kwargs["DefaultInstanceName"] = name
    answer = ssm.create_activation(**kwargs)
    return answer["ActivationId"], answer["ActivationCode"]


def register_cli(
    server_url: str,
    state_dir: Path,
    activation_id: str,
    activation_code: str,
    *extra: str,
    openssm: Sequence[str] = OPENSSM,
) -> subprocess.CompletedProcess[str]:
    """`openssm agent register …` exactly as an operator runs it."""
    command = [
        *openssm,
        "agent",
        "register",
        "--server",
        server_url,
        "--activation-id",
        activation_id,
        "--activation-code",
        activation_code,
        "--state-dir",
        str(state_dir),
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def tag_instance(ssm: SSMClient, instance_id: str, key: str, value: str) -> None:
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=instance_id, Tags=[{"Key": key, "Value": value}]
    )


def association_state(ssm: SSMClient, instance_id: str, association_id: str) -> dict[str, str]:
    """A host's last result of an association (DescribeInstanceAssociationsStatus), or {}."""
    for info in ssm.describe_instance_associations_status(InstanceId=instance_id)[
        "InstanceAssociationStatusInfos"
    ]:
        if info["AssociationId"] == association_id:
            return {k: str(v) for k, v in info.items()}
    return {}


def instance_information(
    ssm: SSMClient, instance_ids: Iterable[str]
) -> dict[str, InstanceInformationTypeDef]:
    """DescribeInstanceInformation for these ids, keyed by instance id."""
    ids = list(instance_ids)
    found: dict[str, InstanceInformationTypeDef] = {}
    for page in ssm.get_paginator("describe_instance_information").paginate(
        Filters=[{"Key": "InstanceIds", "Values": ids}]
    ):
        for info in page["InstanceInformationList"]:
            found[info["InstanceId"]] = info
    return found


def wait_ping_status(
    ssm: SSMClient, instance_ids: Iterable[str], status: str, *, timeout_s: float = 20.0
) -> dict[str, InstanceInformationTypeDef]:
    """Poll until every instance shows `status`; returns their information."""
    ids = list(instance_ids)

    def reached() -> dict[str, InstanceInformationTypeDef] | None:
        infos = instance_information(ssm, ids)
        if all(infos.get(i, {}).get("PingStatus") == status for i in ids):
            return infos
        return None

    return wait_until(reached, timeout_s=timeout_s, interval_s=0.1)


@dataclass
class AgentProcess:
    """One real `openssm agent run` subprocess and its state dir."""

    state_dir: Path
    instance_id: str
    env: Mapping[str, str] = field(default_factory=dict)
    openssm: Sequence[str] = OPENSSM
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.state_dir.parent / f"{self.state_dir.name}.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "OPENSSM_AGENT_BACKOFF_CAP_S": str(AGENT_BACKOFF_CAP_S),
            "OPENSSM_LOG_LEVEL": "debug",
            **self.env,
        }
        command = [*self.openssm, "agent", "run", "--state-dir"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, str(self.state_dir)], stdout=log, stderr=subprocess.STDOUT, env=env
            )

    @property
    def pid(self) -> int:
        assert self.process is not None, "agent is not running"
        return self.process.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, *, timeout_s: float = 15.0) -> int:
        assert self.process is not None, "agent was never started"
        return self.process.wait(timeout=timeout_s)

    def stop(self, *, timeout_s: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout_s`; the exit code (None if never started)."""
        if self.process is None:
            return None
        self.kill(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def logs(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-20000:]


@dataclass
class AgentFactory:
    """Registers and starts real agents against one server; stops them all at teardown."""

    server: ServerEndpoint
    root: Path
    agents: list[AgentProcess] = field(default_factory=list)

    def __call__(
        self,
        count: int = 1,
        *,
        wait_online: bool = True,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> list[AgentProcess]:
        ssm = self.server.client()
        activation_id, code = create_activation(ssm, limit=count, name=name)
        first = len(self.agents)
        state_dirs = [self.root / f"agent-{first + i}" for i in range(count)]

        def register(state_dir: Path) -> AgentProcess:
            done = register_cli(self.server.url, state_dir, activation_id, code)
            assert done.returncode == 0, f"register failed: {done.stderr}"
            agent = AgentProcess(
                state_dir=state_dir, instance_id=done.stdout.strip(), env=dict(env or {})
            )
            agent.start()
            return agent

        # Registering is a CLI process each: a large fleet registers several at a time.
        with ThreadPoolExecutor(max_workers=min(8, count) or 1) as pool:
            started = list(pool.map(register, state_dirs))
        self.agents.extend(started)
        if wait_online:
            wait_ping_status(ssm, [a.instance_id for a in started], "Online")
        return started

    def stop_all(self) -> None:
        for agent in self.agents:
            agent.stop()

    def logs(self) -> str:
        return "\n".join(f"--- agent {a.instance_id}\n{a.logs()}" for a in self.agents)


@contextmanager
def running_agents(server: ServerEndpoint, root: Path, count: int) -> Iterator[list[AgentProcess]]:
    """``count`` real agents of ``server``, Online, stopped when the block ends."""
    factory = AgentFactory(server=server, root=root)
    try:
        yield factory(count)
    finally:
        factory.stop_all()
