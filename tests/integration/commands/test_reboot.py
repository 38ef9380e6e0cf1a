"""Reboot and resume (DESIGN §4) with a real agent: a step that exits 194 has the agent record
where the command resumes, then run its reboot command. Here that command stands in for a
reboot by killing the agent (the test host is never rebooted); the test starts the agent again
as the host's boot would, and the invocation, InProgress all along, resumes and ends once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import CommandInvocationTypeDef

from tests.agents import AgentFactory, AgentProcess
from tests.integration.commands.documents import create_command_document, shell_step
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e


def _rebooting_agent(agent_factory: AgentFactory, tmp_path: Path) -> tuple[AgentProcess, Path]:
    """An agent whose reboot command stands in for a reboot: it notes the reboot in the file
    returned and kills its parent, the agent."""
    rebooted = tmp_path / "rebooted"
    stand_in = f"sh -c 'echo reboot >> {rebooted}; kill -KILL $PPID'"
    (agent,) = agent_factory(1, env={"OPENSSM_AGENT_REBOOT_COMMAND": stand_in})
    return agent, rebooted


def test_a_step_exiting_194_reboots_and_the_command_resumes_at_that_step(
    agent_factory: AgentFactory, fleet_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = fleet_server.client()
    agent, rebooted = _rebooting_agent(agent_factory, tmp_path)
    runs = tmp_path / "runs"
    patched = tmp_path / "patched"
    document = create_command_document(
        ssm,
        f"Patch-{uuid.uuid4().hex[:8]}",
        [
            shell_step("before", f"echo before >> {runs}"),
            # Idempotent, as AWS asks of scripts that reboot: done once the flag is there.
            shell_step(
                "patch",
                f"echo patch >> {runs}",
                f"if [ -e {patched} ]; then echo 'already patched'; exit 0; fi",
                f"touch {patched}; echo patching; exit 194",
            ),
            shell_step("after", f"echo after >> {runs}"),
        ],
    )
    command_id = ssm.send_command(DocumentName=document, InstanceIds=[agent.instance_id])[
        "Command"
    ]["CommandId"]

    wait_until(rebooted.exists, timeout_s=15)
    assert agent.wait() == -9  # the stand-in reboot killed it
    invocation = ssm.get_command_invocation(
        CommandId=command_id, InstanceId=agent.instance_id, PluginName="patch"
    )
    assert invocation["Status"] == "InProgress"
    assert runs.read_text() == "before\npatch\n"

    agent.start()  # the host is back up

    listed = _ended(ssm, command_id)
    assert rebooted.read_text() == "reboot\n"
    assert runs.read_text() == "before\npatch\npatch\nafter\n"  # the asking step ran again
    assert (listed["Status"], listed["StatusDetails"]) == ("Success", "Success")
    steps = {
        p["Name"]: (p["Status"], p["ResponseCode"], p["Output"]) for p in listed["CommandPlugins"]
    }
    assert steps == {
        "before": ("Success", 0, ""),
        "patch": ("Success", 0, "patching\nalready patched\n"),
        "after": ("Success", 0, ""),
    }


def test_a_command_cancelled_during_the_reboot_ends_cancelled_without_resuming(
    agent_factory: AgentFactory, fleet_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = fleet_server.client()
    agent, rebooted = _rebooting_agent(agent_factory, tmp_path)
    runs = tmp_path / "runs"
    document = create_command_document(
        ssm,
        f"Reboots-{uuid.uuid4().hex[:8]}",
        [shell_step("patch", "exit 194"), shell_step("after", f"echo after >> {runs}")],
    )
    command_id = ssm.send_command(DocumentName=document, InstanceIds=[agent.instance_id])[
        "Command"
    ]["CommandId"]
    wait_until(rebooted.exists, timeout_s=15)
    agent.wait()
    ssm.cancel_command(CommandId=command_id)

    agent.start()
    got = _ended(ssm, command_id)
    assert (got["Status"], got["StatusDetails"]) == ("Cancelled", "Cancelled")
    assert "waited to resume after a reboot" in _output(got)
    assert not runs.exists()


def test_a_reboot_command_that_fails_fails_the_invocation(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1, env={"OPENSSM_AGENT_REBOOT_COMMAND": "false"})
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agent.instance_id],
        Parameters={"commands": ["exit 194"]},
    )["Command"]["CommandId"]
    got = _ended(ssm, command_id)
    assert (got["Status"], got["StatusDetails"]) == ("Failed", "Failed")
    assert "asked for a reboot, which failed: false exited 1" in _output(got)


def _ended(ssm: SSMClient, command_id: str) -> CommandInvocationTypeDef:
    def done() -> CommandInvocationTypeDef | None:
        (got,) = ssm.list_command_invocations(CommandId=command_id, Details=True)[
            "CommandInvocations"
        ]
        return None if got["Status"] in {"Pending", "InProgress", "Cancelling"} else got

    return wait_until(done, timeout_s=15, interval_s=0.1)


def _output(invocation: CommandInvocationTypeDef) -> str:
    return "".join(plugin["Output"] for plugin in invocation["CommandPlugins"])
