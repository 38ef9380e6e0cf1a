"""SendCommand to ListCommands, ListCommandInvocations and GetCommandInvocation, through a real
server on SQLite and PostgreSQL, with protocol-driven agents answering (issue 10).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import CommandTypeDef

from tests.agents import AgentProcess, tag_instance, wait_ping_status
from tests.aws_errors import error_of
from tests.integration.commands.driver import DrivenAgent, driven_agents, step_result
from tests.support import ServerProcess, wait_until

SHELL = "AWS-RunShellScript"


def _tag(ssm: SSMClient, agent: AgentProcess | DrivenAgent, key: str, value: str) -> None:
    tag_instance(ssm, agent.instance_id, key, value)


def _command(ssm: SSMClient, command_id: str) -> CommandTypeDef:
    return ssm.list_commands(CommandId=command_id)["Commands"][0]


def _wait_status(ssm: SSMClient, command_id: str, status: str) -> CommandTypeDef:
    def reached() -> CommandTypeDef | None:
        command = _command(ssm, command_id)
        return command if command["Status"] == status else None

    return wait_until(reached, timeout_s=15)


def test_a_command_runs_on_one_node_and_its_output_is_shown(server: ServerProcess) -> None:
    ssm = server.client()
    (agent,) = driven_agents(ssm, server.url, 1)
    sent = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={"commands": ["echo hello"]},
        Comment="first",
    )["Command"]
    command_id = sent["CommandId"]
    assert len(command_id) == 36
    assert sent["Status"] == "Pending"
    assert sent["TargetCount"] == 1
    assert sent["MaxConcurrency"] == "50"
    assert sent["MaxErrors"] == "0"
    assert sent["Parameters"] == {"commands": ["echo hello"]}
    assert sent["InstanceIds"] == [agent.instance_id]

    invocation = agent.run_next(stdout="hello\n")
    assert invocation["command_id"] == command_id
    (step,) = invocation["plan"]["steps"]
    assert step["action"] == "aws:runShellScript"
    assert step["inputs"]["runCommand"] == ["echo hello"]
    assert invocation["execution_timeout_s"] == 3600

    ssm.get_waiter("command_executed").wait(
        CommandId=command_id,
        InstanceId=agent.instance_id,
        WaiterConfig={"Delay": 1, "MaxAttempts": 20},
    )
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agent.instance_id)
    assert got["Status"] == "Success"
    assert got["StatusDetails"] == "Success"
    assert got["StandardOutputContent"] == "hello\n"
    assert got["ResponseCode"] == 0
    assert got["PluginName"] == "aws:runShellScript"
    assert got["ExecutionStartDateTime"].endswith("Z")
    assert got["ExecutionElapsedTime"].startswith("PT")

    command = _command(ssm, command_id)
    assert command["Status"] == "Success"
    assert (command["CompletedCount"], command["ErrorCount"]) == (1, 0)
    (listed,) = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    assert listed["Status"] == "Success"
    (plugin,) = listed["CommandPlugins"]
    assert plugin["Output"] == "hello\n"
    assert plugin["Name"] == "aws:runShellScript"
    agent.next_frame("result_ack")


def test_targets_by_tag_and_tag_key_choose_exactly_the_tagged_nodes(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    env = uuid.uuid4().hex[:12]
    prod, also_prod, other = driven_agents(ssm, server.url, 3)
    _tag(ssm, prod, "Env", env)
    _tag(ssm, also_prod, "Env", env)
    _tag(ssm, other, "Env", env + "-not")

    by_tag = ssm.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": "tag:Env", "Values": [env]}],
        Parameters={"commands": ["hostname"]},
    )["Command"]
    assert by_tag["TargetCount"] == 2
    assert by_tag["InstanceIds"] == []
    listed = ssm.list_command_invocations(CommandId=by_tag["CommandId"])["CommandInvocations"]
    assert {i["InstanceId"] for i in listed} == {prod.instance_id, also_prod.instance_id}

    key = f"Only{env}"
    _tag(ssm, other, key, "x")
    by_key = ssm.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": "tag-key", "Values": [key]}],
        Parameters={"commands": ["hostname"]},
    )["Command"]
    assert by_key["TargetCount"] == 1

    nobody = ssm.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": "tag:Env", "Values": [env + "-nobody"]}],
        Parameters={"commands": ["hostname"]},
    )["Command"]
    assert (nobody["Status"], nobody["StatusDetails"]) == ("Success", "NoInstancesInTag")
    assert nobody["TargetCount"] == 0


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"InstanceIds": ["mi-00000000000000000"]}, "InvalidInstanceId", "mi-00000000000000000"),
        ({"DocumentName": "NoSuchDocument-x"}, "InvalidDocument", "NoSuchDocument-x"),
        ({"Parameters": {"nope": ["1"]}}, "InvalidParameters", "nope"),
        ({"Parameters": {}}, "InvalidParameters", "commands"),
        ({"InstanceIds": None}, "ValidationException", "InstanceIds or Targets"),
        (
            {"Targets": [{"Key": "tag:Env", "Values": ["x"]}]},
            "ValidationException",
            "not both",
        ),
        (
            {"CloudWatchOutputConfig": {"CloudWatchOutputEnabled": True}},
            "InvalidParameters",
            "CloudWatch",
        ),
        ({"DocumentName": "SSM-SessionManagerRunShell"}, "InvalidDocument", "Session"),
        ({"Targets": None, "InstanceIds": None}, "ValidationException", "InstanceIds"),
        (
            {"InstanceIds": None, "Targets": [{"Key": "color", "Values": ["x"]}]},
            "InvalidParameters",
            "color",
        ),
        ({"MaxConcurrency": "0"}, "ValidationException", "maxConcurrency"),
    ],
)
def test_bad_sends_are_refused_by_name_and_nothing_is_stored(
    server: ServerProcess, changes: dict[str, Any], code: str, words: str
) -> None:
    ssm = server.client()
    (agent,) = driven_agents(ssm, server.url, 1)
    request: dict[str, Any] = {
        "DocumentName": SHELL,
        "InstanceIds": [agent.instance_id],
        "Parameters": {"commands": ["true"]},
    }
    for key, value in changes.items():
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value
    refused = error_of(ssm.send_command, **request)
    assert refused.code == code
    assert words in refused.message
    assert ssm.list_commands(InstanceId=agent.instance_id)["Commands"] == []


def test_unknown_commands_and_invocations_are_named_errors(server: ServerProcess) -> None:
    ssm = server.client()
    missing = str(uuid.uuid4())
    assert (
        error_of(
            ssm.get_command_invocation, CommandId=missing, InstanceId="mi-00000000000000000"
        ).code
        == "InvocationDoesNotExist"
    )
    assert error_of(ssm.list_commands, CommandId=missing).code == "InvalidCommandId"
    assert error_of(ssm.list_command_invocations, CommandId=missing).code == "InvalidCommandId"
    assert error_of(ssm.cancel_command, CommandId=missing).code == "InvalidCommandId"
    assert (
        error_of(ssm.list_commands, Filters=[{"key": "Status", "value": "Happy"}]).code
        == "InvalidFilterValue"
    )
    assert (
        error_of(ssm.list_commands, Filters=[{"key": "InvokedAfter", "value": "yesterday"}]).code
        == "InvalidFilterValue"
    )


def test_max_concurrency_one_runs_one_node_at_a_time(server: ServerProcess) -> None:
    ssm = server.client()
    agents = driven_agents(ssm, server.url, 3)
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[a.instance_id for a in agents],
        Parameters={"commands": ["true"]},
        MaxConcurrency="1",
    )["Command"]["CommandId"]
    order: list[str] = []
    waiting = list(agents)
    while waiting:
        # Exactly one agent holds the command; the others hear nothing until it reports.
        holder = next(a for a in waiting if not a.receives_nothing("invocation", within_s=0.5))
        for other in waiting:
            if other is not holder:
                assert other.receives_nothing("invocation", within_s=0.3)
        holder.report(command_id)
        order.append(holder.instance_id)
        waiting.remove(holder)
    assert sorted(order) == sorted(a.instance_id for a in agents)
    _wait_status(ssm, command_id, "Success")


def test_passing_max_errors_terminates_the_nodes_not_yet_started(server: ServerProcess) -> None:
    ssm = server.client()
    agents = driven_agents(ssm, server.url, 3)
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[a.instance_id for a in agents],
        Parameters={"commands": ["false"]},
        MaxConcurrency="1",
        MaxErrors="0",
    )["Command"]["CommandId"]
    holder = next(a for a in agents if not a.receives_nothing("invocation", within_s=1.0))
    holder.report(
        command_id, "Failed", code=1, steps=[step_result(status="Failed", code=1, stderr="no")]
    )
    command = _wait_status(ssm, command_id, "Failed")
    assert command["StatusDetails"] == "Failed"
    assert (command["ErrorCount"], command["CompletedCount"]) == (1, 3)
    details = {
        i["InstanceId"]: i["StatusDetails"]
        for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
    }
    assert details.pop(holder.instance_id) == "Failed"
    assert set(details.values()) == {"Terminated"}
    for other in agents:
        if other is not holder:
            assert other.receives_nothing("invocation", within_s=0.3)


def test_cancel_ends_waiting_nodes_at_once_and_running_ones_when_their_agent_confirms(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    running, offline = driven_agents(ssm, server.url, 2)
    offline.disconnect()
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[running.instance_id, offline.instance_id],
        Parameters={"commands": ["sleep 600"]},
    )["Command"]["CommandId"]
    running.next_frame("invocation")

    ssm.cancel_command(CommandId=command_id)
    command = _wait_status(ssm, command_id, "Cancelling")
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=offline.instance_id)
    assert got["Status"] == "Cancelled"
    cancel = running.next_frame("cancel")
    assert cancel["command_id"] == command_id
    running.report(
        command_id, "Cancelled", code=-1, steps=[step_result(status="Cancelled", code=-1)]
    )
    command = _wait_status(ssm, command_id, "Cancelled")
    assert command["StatusDetails"] == "Cancelled"


def test_an_invocation_is_sent_again_when_its_agent_reconnects(server: ServerProcess) -> None:
    ssm = server.client()
    (agent,) = driven_agents(ssm, server.url, 1)
    command_id = ssm.send_command(
        DocumentName=SHELL, InstanceIds=[agent.instance_id], Parameters={"commands": ["true"]}
    )["Command"]["CommandId"]
    assert agent.next_frame("invocation")["command_id"] == command_id
    agent.disconnect()
    agent.connect()
    again = agent.next_frame("invocation")
    assert again["command_id"] == command_id
    agent.report(command_id)
    _wait_status(ssm, command_id, "Success")


def test_a_node_that_connects_later_gets_its_invocation(server: ServerProcess) -> None:
    ssm = server.client()
    (agent,) = driven_agents(ssm, server.url, 1)
    agent.disconnect()
    # Until the server has seen the channel close, SendCommand may still start the command
    # on it (sent again when the node comes back): the node must be gone first.
    wait_ping_status(ssm, [agent.instance_id], "ConnectionLost")
    command_id = ssm.send_command(
        DocumentName=SHELL, InstanceIds=[agent.instance_id], Parameters={"commands": ["true"]}
    )["Command"]["CommandId"]
    assert _command(ssm, command_id)["Status"] == "Pending"
    agent.connect()
    agent.run_next()
    _wait_status(ssm, command_id, "Success")


def test_list_filters_and_paging(server: ServerProcess) -> None:
    ssm = server.client()
    (agent,) = driven_agents(ssm, server.url, 1)
    sent = [
        ssm.send_command(
            DocumentName=SHELL, InstanceIds=[agent.instance_id], Parameters={"commands": ["true"]}
        )["Command"]["CommandId"]
        for _ in range(3)
    ]
    pages: list[str] = []
    page = ssm.list_commands(InstanceId=agent.instance_id, MaxResults=2)
    pages.extend(c["CommandId"] for c in page["Commands"])
    while "NextToken" in page:
        page = ssm.list_commands(
            InstanceId=agent.instance_id, MaxResults=2, NextToken=page["NextToken"]
        )
        pages.extend(c["CommandId"] for c in page["Commands"])
    assert sorted(pages) == sorted(sent)
    assert pages[0] == sent[-1]  # newest first
    executing = ssm.list_commands(
        InstanceId=agent.instance_id, Filters=[{"key": "ExecutionStage", "value": "Executing"}]
    )["Commands"]
    assert len(executing) == 3
    agent.run_next()
    agent.run_next()
    agent.run_next()
    wait_until(
        lambda: (
            len(
                ssm.list_commands(
                    InstanceId=agent.instance_id, Filters=[{"key": "Status", "value": "Success"}]
                )["Commands"]
            )
            == 3
        )
    )
    invocations = ssm.list_command_invocations(
        InstanceId=agent.instance_id, Filters=[{"key": "Status", "value": "Success"}]
    )["CommandInvocations"]
    assert len(invocations) == 3


def test_an_agent_cannot_report_another_agents_invocation(server: ServerProcess) -> None:
    """SECURITY.md item 7: the reporting instance comes from the channel, never the frame."""
    ssm = server.client()
    honest, liar = driven_agents(ssm, server.url, 2)
    command_id = ssm.send_command(
        DocumentName=SHELL, InstanceIds=[honest.instance_id], Parameters={"commands": ["true"]}
    )["Command"]["CommandId"]
    honest.next_frame("invocation")
    liar.report(command_id, "Success", steps=[step_result(stdout="forged")])
    liar.next_frame("result_ack")  # taken and dropped: nothing of the liar's is stored
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=honest.instance_id)
    assert got["Status"] == "InProgress"
    assert (
        error_of(ssm.get_command_invocation, CommandId=command_id, InstanceId=liar.instance_id).code
        == "InvocationDoesNotExist"
    )
    honest.report(command_id, "Success", steps=[step_result(stdout="real")])
    _wait_status(ssm, command_id, "Success")
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=honest.instance_id)
    assert got["StandardOutputContent"] == "real"
