"""`openssm agent register` and a first `agent run` against a real server (issue 3, DESIGN §4).

SECURITY.md 9: re-registering takes an explicit flag; 10: key 0600, state dir 0700.
"""

from __future__ import annotations

import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import openssm
from openssm.agent import platform_info
from tests.agents import AgentFactory, create_activation, instance_information, register_cli
from tests.support import ServerProcess

INSTANCE_ID = re.compile(r"^mi-[0-9a-f]{17}$")


def test_registered_agent_is_online_with_this_hosts_platform_details(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    (agent,) = agent_factory(1, name="web-1")
    info = instance_information(fleet_server.client(), [agent.instance_id])[agent.instance_id]
    name, version = platform_info.platform_name_version(platform_info.read_os_release())
    hostname = socket.gethostname()
    assert INSTANCE_ID.match(agent.instance_id)
    assert info["PingStatus"] == "Online"
    assert info["PlatformType"] == "Linux"
    assert info["PlatformName"] == name
    assert info["PlatformVersion"] == version
    assert info["ComputerName"] == hostname
    assert info["IPAddress"] == platform_info.primary_ip_address(hostname)
    assert info["AgentVersion"] == openssm.__version__
    assert info["ResourceType"] == "ManagedInstance"
    assert info["IamRole"] == "openssm-test"
    assert info["Name"] == "web-1"
    assert "LastPingDateTime" in info


def test_register_keeps_the_key_0600_in_a_0700_state_dir(
    fleet_server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = create_activation(fleet_server.client())
    state_dir = tmp_path / "state" / "agent"
    done = register_cli(fleet_server.url, state_dir, activation_id, code)
    assert done.returncode == 0, done.stderr
    assert INSTANCE_ID.match(done.stdout.strip())
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    for name in ("instance.key", "registration.json"):
        info = (state_dir / name).lstat()
        assert stat.S_ISREG(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o600, name
    assert b"PRIVATE KEY" in (state_dir / "instance.key").read_bytes()
    # Nothing but the registration lands in the dir: no stray temporary files.
    assert sorted(p.name for p in state_dir.iterdir()) == ["instance.key", "registration.json"]


def test_register_again_is_refused_without_force(
    fleet_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = fleet_server.client()
    first_id, first_code = create_activation(ssm)
    done = register_cli(fleet_server.url, tmp_path / "agent", first_id, first_code)
    assert done.returncode == 0, done.stderr
    first = done.stdout.strip()
    key_before = (tmp_path / "agent" / "instance.key").read_bytes()

    second_id, second_code = create_activation(ssm)
    refused = register_cli(fleet_server.url, tmp_path / "agent", second_id, second_code)
    assert refused.returncode == 1
    assert f"already registered as {first}" in refused.stderr
    assert "--force" in refused.stderr
    assert (tmp_path / "agent" / "instance.key").read_bytes() == key_before

    forced = register_cli(fleet_server.url, tmp_path / "agent", second_id, second_code, "--force")
    assert forced.returncode == 0, forced.stderr
    assert INSTANCE_ID.match(forced.stdout.strip())
    assert forced.stdout.strip() != first
    assert (tmp_path / "agent" / "instance.key").read_bytes() != key_before


def test_a_host_registered_again_after_deregistration_inherits_nothing(
    fleet_server: ServerProcess, tmp_path: Path
) -> None:
    """SECURITY.md 9: a new id, none of the old instance's tags or name; the old id stays
    Inactive and its credential stays revoked."""
    ssm = fleet_server.client()
    old = ssm.create_activation(
        IamRole="openssm-test", DefaultInstanceName="old-name", Tags=[{"Key": "env", "Value": "a"}]
    )
    done = register_cli(
        fleet_server.url, tmp_path / "agent", old["ActivationId"], old["ActivationCode"]
    )
    assert done.returncode == 0, done.stderr
    old_id = done.stdout.strip()
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=old_id, Tags=[{"Key": "owner", "Value": "x"}]
    )
    assert (
        len(
            ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=old_id)["TagList"]
        )
        == 2
    )
    ssm.deregister_managed_instance(InstanceId=old_id)

    new_id, new_code = create_activation(ssm)
    again = register_cli(fleet_server.url, tmp_path / "agent", new_id, new_code, "--force")
    assert again.returncode == 0, again.stderr
    fresh_id = again.stdout.strip()
    assert fresh_id != old_id
    assert (
        ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=fresh_id)["TagList"]
        == []
    )
    by_id = instance_information(ssm, [old_id, fresh_id])
    assert by_id[old_id]["PingStatus"] == "Inactive"
    assert by_id[fresh_id]["ActivationId"] == new_id
    assert by_id[fresh_id].get("Name") != "old-name"


def test_register_with_a_wrong_code_is_refused_and_writes_nothing(
    fleet_server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, _code = create_activation(fleet_server.client())
    done = register_cli(fleet_server.url, tmp_path / "agent", activation_id, "not-the-code")
    assert done.returncode == 1
    assert "registration refused: InvalidActivation" in done.stderr
    assert not (tmp_path / "agent" / "registration.json").exists()
    assert not (tmp_path / "agent" / "instance.key").exists()


def test_register_beyond_the_activation_limit_is_refused(
    fleet_server: ServerProcess, tmp_path: Path
) -> None:
    activation_id, code = create_activation(fleet_server.client(), limit=1)
    assert register_cli(fleet_server.url, tmp_path / "a", activation_id, code).returncode == 0
    done = register_cli(fleet_server.url, tmp_path / "b", activation_id, code)
    assert done.returncode == 1
    assert "registration refused" in done.stderr
    assert not (tmp_path / "b" / "registration.json").exists()


def test_register_says_when_the_server_is_unreachable(tmp_path: Path) -> None:
    # Port 1 on loopback refuses at once.
    done = register_cli("http://127.0.0.1:1", tmp_path / "agent", "id", "code")
    assert done.returncode == 1
    assert "cannot reach the server" in done.stderr
    assert not (tmp_path / "agent" / "registration.json").exists()


def test_agent_run_on_an_unregistered_host_says_how_to_register(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openssm", "agent", "run", "--state-dir", str(tmp_path / "a")],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 2
    assert "openssm agent register" in done.stderr


def test_agent_command_loads_no_server_dependencies() -> None:
    """STYLE 3.6: `openssm agent` stays small; the CLI must not drag the server in, nor build
    the other sub-commands' parsers."""
    probe = (
        "import sys\n"
        "from openssm.cli.main import build_parser\n"
        "build_parser('agent').parse_args(['agent', 'run'])\n"
        "import openssm.agent.daemon, openssm.agent.registration\n"
        "heavy = {'sqlalchemy', 'alembic', 'starlette', 'uvicorn', 'boto3', 'botocore',\n"
        "         'psycopg', 'yaml', 'uvloop', 'cryptography', 'openssm.server'}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
        "print(*sorted(m for m in sys.modules if m.startswith('openssm.cli.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )
    heavy, cli = done.stdout.splitlines()
    assert heavy == "[]"
    assert cli.split() == ["openssm.cli.agent_cmd", "openssm.cli.flags", "openssm.cli.main"]
