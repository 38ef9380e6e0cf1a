"""`pip install openssm` with no extras, as a managed host installs it: the agent and nothing
of the server, and that agent joins a real server (issue 9, "a light agent")."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents import AgentProcess, create_activation, register_cli, wait_ping_status
from tests.base_install import BaseVenv, create_venv, install_base
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

SERVER_PACKAGES = (
    *("sqlalchemy", "botocore", "uvloop", "starlette", "alembic", "boto3", "psycopg"),
    *("uvicorn", "yaml", "cryptography"),
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> BaseVenv:
    root = tmp_path_factory.mktemp("base-install")
    venv = create_venv(root / "venv")
    install_base(venv, root)
    return venv


def test_the_base_install_has_none_of_the_servers_packages(base: BaseVenv) -> None:
    probe = (
        "import importlib.util, sys\n"
        "print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is not None))\n"
    )
    done = subprocess.run(
        [str(base.python), "-c", probe, *SERVER_PACKAGES, "openssm", "msgspec", "websockets"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.split() == ["openssm", "msgspec", "websockets"]


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (["server"], "server"),
        (["up"], "server"),
        (["admin", "user", "list"], "server"),
        (["run", "--instance-ids", "mi-0123456789abcdef0", "--", "uptime"], "cli"),
    ],
    ids=["server", "up", "admin", "run"],
)
def test_other_commands_say_which_extra_to_install(
    base: BaseVenv, command: list[str], extra: str
) -> None:
    done = subprocess.run(
        [str(base.openssm), *command], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"openssm {command[0]}: needs the {extra} extra")
    assert line.endswith(f"pip install 'openssm[{extra}]'")


@pytest.fixture
def base_agent(
    base: BaseVenv, fleet_server: ServerProcess, tmp_path: Path
) -> Iterator[AgentProcess]:
    """The base install's `openssm agent register`, then its `openssm agent run`."""
    activation_id, code = create_activation(fleet_server.client())
    openssm = (str(base.openssm),)
    state_dir = tmp_path / "agent"
    done = register_cli(fleet_server.url, state_dir, activation_id, code, openssm=openssm)
    assert done.returncode == 0, done.stderr
    agent = AgentProcess(state_dir=state_dir, instance_id=done.stdout.strip(), openssm=openssm)
    agent.start()
    try:
        yield agent
    finally:
        agent.stop()


def test_the_base_installs_agent_registers_and_stays_online(
    base_agent: AgentProcess, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (info,) = wait_ping_status(ssm, [base_agent.instance_id], "Online").values()
    assert info["AgentVersion"] == "0.1.0"
    assert info["PlatformType"] == "Linux"
    assert "connected to" in base_agent.logs()
    assert base_agent.stop() == 0
    wait_ping_status(ssm, [base_agent.instance_id], "ConnectionLost", timeout_s=15)
