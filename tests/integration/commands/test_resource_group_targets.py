"""SendCommand by resource group (``resource-groups:Name``, ``resource-groups:ResourceTypeFilters``)
reaches exactly the nodes the group's tag query names, through a real server on SQLite and
PostgreSQL with protocol-driven agents answering (issue 10)."""

from __future__ import annotations

import uuid

from types_boto3_ssm.client import SSMClient

from tests.agents import tag_instance
from tests.aws_errors import error_of
from tests.integration.commands.driver import DrivenAgent, driven_agents
from tests.integration.groups.support import groups_client, tag_query
from tests.support import TEST_ACCOUNT_ID, ServerProcess, wait_until

SHELL = "AWS-RunShellScript"


def _send(ssm: SSMClient, *targets: tuple[str, list[str]]) -> tuple[str, int, set[str]]:
    """Send ``hostname`` to these targets: (command id, TargetCount, the invoked nodes)."""
    command = ssm.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": key, "Values": values} for key, values in targets],
        Parameters={"commands": ["hostname"]},
    )["Command"]
    assert command["InstanceIds"] == []
    listed = ssm.list_command_invocations(CommandId=command["CommandId"])["CommandInvocations"]
    return command["CommandId"], command["TargetCount"], {i["InstanceId"] for i in listed}


def _ids(*agents: DrivenAgent) -> set[str]:
    return {a.instance_id for a in agents}


def test_a_command_to_a_resource_group_reaches_exactly_its_tagged_nodes(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    rg = groups_client(server)
    env = uuid.uuid4().hex[:12]
    both, env_only, staged, untagged = driven_agents(ssm, server.url, 4)
    for agent, tags in [
        (both, {"Env": env, "Team": "web"}),
        (env_only, {"Env": env}),
        (staged, {"Env": env + "-stage", "Team": "db"}),
    ]:
        for key, value in tags.items():
            tag_instance(ssm, agent.instance_id, key, value)
    group = f"web-{env}"
    rg.create_group(Name=group, ResourceQuery=tag_query({"Env": [env, env + "-stage"], "Team": []}))

    command_id, count, invoked = _send(ssm, ("resource-groups:Name", [group]))
    assert (count, invoked) == (2, _ids(both, staged))
    for member in (both, staged):
        assert member.run_next(stdout="ok\n")["command_id"] == command_id
    for outsider in (env_only, untagged):
        assert outsider.receives_nothing("invocation", within_s=0.5)

    def succeeded() -> bool:
        status = ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"]
        return status == "Success"

    wait_until(succeeded, timeout_s=15)

    # Other keys are ANDed with the group.
    _, count, invoked = _send(ssm, ("resource-groups:Name", [group]), ("tag:Team", ["web"]))
    assert (count, invoked) == (1, _ids(both))
    # The group is read when the command is sent: a new query names new nodes.
    rg.update_group_query(Group=group, ResourceQuery=tag_query({"Env": [env]}))
    _, count, invoked = _send(ssm, ("resource-groups:Name", [group]))
    assert (count, invoked) == (2, _ids(both, env_only))


def test_resource_types_narrow_a_group_to_nodes(server: ServerProcess) -> None:
    ssm = server.client()
    rg = groups_client(server)
    env = uuid.uuid4().hex[:12]
    (node,) = driven_agents(ssm, server.url, 1)
    tag_instance(ssm, node.instance_id, "Env", env)
    nodes = f"nodes-{env}"
    rg.create_group(Name=nodes, ResourceQuery=tag_query({"Env": [env]}, ["AWS::AllSupported"]))
    buckets = f"buckets-{env}"
    rg.create_group(Name=buckets, ResourceQuery=tag_query({"Env": [env]}, ["AWS::S3::Bucket"]))

    by_type = ("resource-groups:ResourceTypeFilters", ["AWS::EC2::Instance"])
    assert _send(ssm, ("resource-groups:Name", [nodes]), by_type)[1:] == (1, _ids(node))
    not_nodes = ("resource-groups:ResourceTypeFilters", ["AWS::S3::Bucket"])
    command_id, count, _ = _send(ssm, ("resource-groups:Name", [nodes]), not_nodes)
    assert count == 0
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert (command["Status"], command["StatusDetails"]) == ("Success", "NoInstancesInTag")
    # A group of buckets has no node among its members.
    assert _send(ssm, ("resource-groups:Name", [buckets]))[1] == 0


def test_resource_group_targets_that_cannot_be_used_are_refused(server: ServerProcess) -> None:
    ssm = server.client()
    (node,) = driven_agents(ssm, server.url, 1)
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    for targets, words in [
        ([{"Key": "resource-groups:Name", "Values": [missing]}], missing),
        ([{"Key": "resource-groups:Name", "Values": ["a", "b"]}], "exactly one"),
        (
            [
                {
                    "Key": "resource-groups:ResourceTypeFilters",
                    "Values": [f"AWS::S{i}::T" for i in range(6)],
                }
            ],
            "at most 5",
        ),
    ]:
        refused = error_of(
            ssm.send_command,
            DocumentName=SHELL,
            Targets=targets,
            Parameters={"commands": ["true"]},
        )
        assert refused.code == "InvalidParameters"
        assert words in refused.message
    assert node.receives_nothing("invocation", within_s=0.3)


def test_sending_to_a_resource_group_needs_leave_to_list_its_resources(
    sqlite_server: ServerProcess,
) -> None:
    """As on AWS, resolving a group reads its members with the caller's permissions: the
    caller needs resource-groups:ListGroupResources on the group's ARN, not only
    ssm:SendCommand."""
    prefix = f"rg-{uuid.uuid4().hex[:8]}"
    rg = groups_client(sqlite_server)
    for name in (f"{prefix}-ok", f"{prefix}-no"):
        rg.create_group(Name=name, ResourceQuery=tag_query({prefix: []}))
    key, secret = sqlite_server.new_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": "resource-groups:ListGroupResources",
                    "Resource": f"arn:aws:resource-groups:*:*:group/{prefix}-ok",
                },
            ],
        }
    )
    user = sqlite_server.client(access_key_id=key, secret_access_key=secret)
    sent = user.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": "resource-groups:Name", "Values": [f"{prefix}-ok"]}],
        Parameters={"commands": ["hostname"]},
    )
    assert sent["Command"]["TargetCount"] == 0
    denied = error_of(
        user.send_command,
        DocumentName=SHELL,
        Targets=[{"Key": "resource-groups:Name", "Values": [f"{prefix}-no"]}],
        Parameters={"commands": ["hostname"]},
    )
    assert denied.code == "AccessDeniedException"
    assert "resource-groups:ListGroupResources" in denied.message
    assert f":{TEST_ACCOUNT_ID}:group/{prefix}-no " in denied.message
    # SECURITY.md #3: a group that does not exist is refused in the same words.
    missing = error_of(
        user.send_command,
        DocumentName=SHELL,
        Targets=[{"Key": "resource-groups:Name", "Values": [f"{prefix}-nx"]}],
        Parameters={"commands": ["hostname"]},
    )
    assert missing.message == denied.message.replace(f"{prefix}-no", f"{prefix}-nx")
    by_tag = user.send_command(
        DocumentName=SHELL,
        Targets=[{"Key": f"tag:{prefix}", "Values": ["x"]}],
        Parameters={"commands": ["hostname"]},
    )
    assert by_tag["Command"]["TargetCount"] == 0
