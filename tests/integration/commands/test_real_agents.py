"""Run Command with real agents running real shells on this host (issue 10): output, exit codes,
cancel with the whole process tree, secrets masked, and an agent killed mid-command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import GetCommandInvocationResultTypeDef

from openssm.agent.run.script_root import SHM, exec_tmpfs, tmpfs_script_root
from tests.agents import AgentFactory, AgentProcess, tag_instance
from tests.aws_errors import error_of
from tests.canary import assert_absent, command_lines
from tests.integration.commands.documents import (
    create_command_document,
    run_document_step,
    shell_step,
)
from tests.integration.commands.driver import DrivenAgent
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

SHELL = "AWS-RunShellScript"


def _tag(ssm: SSMClient, agent: AgentProcess | DrivenAgent, key: str, value: str) -> None:
    tag_instance(ssm, agent.instance_id, key, value)


def _ended(
    ssm: SSMClient, command_id: str, instance_id: str, timeout_s: float = 30
) -> GetCommandInvocationResultTypeDef:
    def done() -> GetCommandInvocationResultTypeDef | None:
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        ended = got["Status"] not in {"Pending", "InProgress", "Delayed", "Cancelling"}
        return got if ended else None

    return wait_until(done, timeout_s=timeout_s, interval_s=0.1)


def test_a_shell_command_runs_on_exactly_the_tagged_hosts(
    agent_factory: AgentFactory, fleet_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = fleet_server.client()
    env = uuid.uuid4().hex[:10]
    prod_a, prod_b, other = agent_factory(3)
    _tag(ssm, prod_a, "Env", env)
    _tag(ssm, prod_b, "Env", env)
    marker = tmp_path / "ran"
    command_id = ssm.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": "tag:Env", "Values": [env]}],
        Parameters={
            "commands": [
                f'echo "$AWS_SSM_INSTANCE_ID" >> {marker}',
                'echo "hello from $AWS_SSM_INSTANCE_ID in $AWS_SSM_REGION_NAME"',
                "pwd",
            ],
            "workingDirectory": [str(tmp_path)],
        },
    )["Command"]["CommandId"]
    for agent in (prod_a, prod_b):
        got = _ended(ssm, command_id, agent.instance_id)
        assert got["Status"] == "Success", got
        assert got["ResponseCode"] == 0
        assert got["StandardOutputContent"] == (
            f"hello from {agent.instance_id} in us-east-1\n{tmp_path}\n"
        )
    ssm.get_waiter("command_executed").wait(CommandId=command_id, InstanceId=prod_a.instance_id)
    assert sorted(marker.read_text().split()) == sorted([prod_a.instance_id, prod_b.instance_id])
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Success"
    assert other.instance_id not in marker.read_text()


def test_a_failing_script_fails_with_its_exit_code_and_its_standard_error(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={"commands": ["echo partial", "echo broken >&2", "exit 3"]},
    )["Command"]["CommandId"]
    got = _ended(ssm, command_id, agent.instance_id)
    assert (got["Status"], got["StatusDetails"], got["ResponseCode"]) == ("Failed", "Failed", 3)
    assert got["StandardOutputContent"] == "partial\n"
    assert "broken" in got["StandardErrorContent"]


def test_cancel_stops_the_whole_process_tree_before_the_invocation_says_cancelled(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    mark = f"openssm-cancel-{uuid.uuid4().hex[:8]}"
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={
            "commands": [
                # A grandchild in its own session, as a careless script leaves behind.
                f"setsid bash -c 'exec -a {mark} sleep 600' &",
                f"exec -a {mark} sleep 600",
            ]
        },
    )["Command"]["CommandId"]
    wait_until(lambda: command_lines().count(mark.encode()) >= 2, timeout_s=15)

    ssm.cancel_command(CommandId=command_id)
    got = _ended(ssm, command_id, agent.instance_id)
    assert (got["Status"], got["StatusDetails"]) == ("Cancelled", "Cancelled")
    assert mark.encode() not in command_lines()
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["StatusDetails"]) == ("Cancelled", "Cancelled")


def test_a_secure_string_reaches_the_script_and_nothing_else(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    canary = f"canary-{uuid.uuid4().hex}"
    name = f"/run/{uuid.uuid4().hex[:8]}/password"
    ssm.put_parameter(Name=name, Value=canary, Type="SecureString")
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={
            "commands": [
                "secret='{{ssm-secure:" + name + "}}'",
                'echo "length ${#secret}"',
                'echo "the secret is $secret"',
            ]
        },
    )["Command"]["CommandId"]
    got = _ended(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Success", got
    assert got["StandardOutputContent"] == f"length {len(canary)}\nthe secret is ***\n"
    listed = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert "{{ssm-secure:" + name + "}}" in listed["Parameters"]["commands"][0]
    for path in fleet_server.data_dir.rglob("*"):
        if path.is_file():
            assert_absent(canary, path.read_bytes(), str(path))
    assert_absent(canary, fleet_server.logs().encode(), "the server's log")
    assert_absent(canary, agent.logs().encode(), "the agent's log")
    for path in agent.state_dir.rglob("*"):
        if path.is_file():
            assert_absent(canary, path.read_bytes(), str(path))


def test_an_agent_killed_mid_command_reports_it_failed_and_never_runs_it_twice(
    agent_factory: AgentFactory, fleet_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    runs = tmp_path / "runs"
    group = tmp_path / "group"
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={"commands": [f"echo $$ > {group}", f"echo run >> {runs}", "sleep 600"]},
    )["Command"]["CommandId"]
    wait_until(runs.exists, timeout_s=15)

    agent.kill(signal.SIGKILL)
    agent.wait()
    # The script outlives the agent killed here (systemd's KillMode=mixed stops it on a
    # host): the test stops it, its own process group, rather than leave it for 10 minutes.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(int(group.read_text()), signal.SIGKILL)
    agent.start()
    got = _ended(ssm, command_id, agent.instance_id)
    assert (got["Status"], got["StatusDetails"]) == ("Failed", "Failed")
    (listed,) = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    assert "stopped while this command ran" in listed["CommandPlugins"][0]["Output"]
    assert runs.read_text() == "run\n"
    # The killed agent's script was removed when it started again (it may hold secrets).
    scripts = tmpfs_script_root(agent.state_dir)
    assert scripts is None or list(scripts.iterdir()) == []


def test_scripts_are_run_from_the_agents_tmpfs_directory_which_goes_when_it_stops(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    if not exec_tmpfs(SHM):
        pytest.skip(f"{SHM} is not a tmpfs that allows exec on this host")
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={"commands": ['echo "$0"', "ls -A"]},
    )["Command"]["CommandId"]
    got = _ended(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Success", got
    script = Path(got["StandardOutputContent"].strip())  # ls -A: the step's directory is empty
    assert script.parent.parent == SHM
    assert script.parent.name.startswith("openssm-agent-")
    assert script.parent.is_dir()
    assert not script.exists()
    agent.stop()
    assert not script.parent.exists()


def test_shell_syntax_in_a_parameter_that_is_not_script_stays_inert(
    agent_factory: AgentFactory, fleet_server: ServerProcess, tmp_path: Path
) -> None:
    """SECURITY.md item 12: workingDirectory is a path, never shell."""
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    planted = tmp_path / "planted"
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={
            "commands": ["echo ran"],
            "workingDirectory": [f"/tmp; touch {planted}; $(touch {planted})"],
        },
    )["Command"]["CommandId"]
    got = _ended(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Failed"
    assert "ran" not in got["StandardOutputContent"]
    assert not planted.exists()


def test_run_document_runs_a_stored_document_rendered_by_the_server(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    suffix = uuid.uuid4().hex[:8]
    greeting = f"/run/{suffix}/greeting"
    ssm.put_parameter(Name=greeting, Value="hello", Type="String")
    inner = create_command_document(
        ssm,
        f"Inner-{suffix}",
        [shell_step("greet", "echo {{ssm:" + greeting + "}} {{ who }}")],
        parameters={"who": {"type": "String"}},
    )
    outer = create_command_document(
        ssm, f"Outer-{suffix}", [run_document_step("nested", inner, {"who": "world"})]
    )
    command_id = ssm.send_command(DocumentName=outer, InstanceIds=[agent.instance_id])["Command"][
        "CommandId"
    ]
    got = _ended(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Success", got
    assert got["PluginName"] == "nested"
    assert got["StandardOutputContent"] == "hello world\n"

    broken = create_command_document(
        ssm, f"Broken-{suffix}", [run_document_step("nested", "Nope-x")]
    )
    missing = error_of(ssm.send_command, DocumentName=broken, InstanceIds=[agent.instance_id])
    assert (missing.code, "Nope-x" in missing.message) == ("InvalidDocument", True)
