"""The fleet API over boto3: DescribeInstanceInformation (both filter styles, paging),
DeregisterManagedInstance, UpdateManagedInstanceRole and tags on ManagedInstance.

AWS rules checked (API reference): InstanceInformationFilterList and Filters cannot be used
together; MaxResults is 5-50; an unknown node id in the filter is InvalidInstanceId; a bad
filter key is InvalidFilterKey and a bad value InvalidInstanceInformationFilterValue
("ResourceType filter may contain only one value."); hybrid nodes are ResourceType
ManagedInstance with SourceType AWS::SSM::ManagedInstance. DESIGN §4: an agent's identity can
call nothing in the public API.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import (
    InstanceInformationStringFilterTypeDef,
    InstanceInformationTypeDef,
)

from tests.aws_errors import error_of
from tests.integration.channel_client import INFO, Identity, activate, connect_agent, register
from tests.support import ServerProcess, wait_until


def _nodes(
    ssm: SSMClient, server: ServerProcess, count: int, **kwargs: Any
) -> tuple[str, list[str]]:
    """`count` fresh instances of a new activation; returns (activation id, instance ids)."""
    activation_id, code = activate(ssm, limit=count, **kwargs)
    return activation_id, [
        register(server.url, activation_id, code).instance_id for _ in range(count)
    ]


def _ids(ssm: SSMClient, **kwargs: Any) -> list[str]:
    found = ssm.describe_instance_information(**kwargs)["InstanceInformationList"]
    return [i["InstanceId"] for i in found]


def _one(ssm: SSMClient, instance_id: str) -> InstanceInformationTypeDef:
    found = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
    )["InstanceInformationList"]
    assert len(found) == 1
    return found[0]


def test_a_registered_instance_is_listed_before_it_connects(
    ssm: SSMClient, server: ServerProcess
) -> None:
    activation_id, (instance_id,) = _nodes(ssm, server, 1, DefaultInstanceName="fresh")
    info = _one(ssm, instance_id)
    assert info["PingStatus"] == "ConnectionLost"
    assert "LastPingDateTime" not in info
    # Not known until the agent says which version it runs.
    assert "AgentVersion" not in info
    assert "IsLatestVersion" not in info
    assert info["ResourceType"] == "ManagedInstance"
    assert info["SourceType"] == "AWS::SSM::ManagedInstance"
    assert info["SourceId"] == instance_id
    assert info["ActivationId"] == activation_id
    assert info["IamRole"] == "SSMServiceRole"
    assert info["Name"] == "fresh"
    assert "RegistrationDate" in info


def test_instance_information_reported_over_the_channel_is_shown(
    ssm: SSMClient, server: ServerProcess
) -> None:
    activation_id, code = activate(ssm)
    node = register(server.url, activation_id, code)
    info = {**INFO, "computer_name": "web-7.example", "ip_address": "198.51.100.7"}
    agent = connect_agent(server.url, node, info=info)
    try:
        shown = wait_until(
            lambda: (i := _one(ssm, node.instance_id)).get("ComputerName") == "web-7.example" and i
        )
        assert shown["PingStatus"] == "Online"
        assert shown["AgentVersion"] == "0.1.0"
        assert shown["IsLatestVersion"] is True
        assert shown["PlatformType"] == "Linux"
        assert shown["PlatformName"] == "Debian GNU/Linux"
        assert shown["PlatformVersion"] == "12"
        assert shown["IPAddress"] == "198.51.100.7"
        assert "LastPingDateTime" in shown
        # The agent reports again when something changes.
        agent.send({**info, "platform_version": "13"})
        wait_until(lambda: _one(ssm, node.instance_id)["PlatformVersion"] == "13")
    finally:
        agent.close()


def test_instance_information_that_breaks_the_model_is_dropped(
    ssm: SSMClient, server: ServerProcess
) -> None:
    activation_id, code = activate(ssm)
    node = register(server.url, activation_id, code)
    info = {**INFO, "agent_version": "v1", "platform_type": "Plan9", "computer_name": "odd"}
    agent = connect_agent(server.url, node, info=info)
    try:
        shown = wait_until(lambda: (i := _one(ssm, node.instance_id)).get("ComputerName") and i)
        assert "AgentVersion" not in shown
        assert "PlatformType" not in shown
        assert shown["PlatformName"] == "Debian GNU/Linux"
    finally:
        agent.close()


def test_legacy_filter_list(ssm: SSMClient, server: ServerProcess) -> None:
    role = "role-" + uuid.uuid4().hex[:8]
    activation_id, ids = _nodes(ssm, server, 2, IamRole=role)

    def legacy(*filters: tuple[str, list[str]]) -> list[str]:
        return _ids(
            ssm,
            InstanceInformationFilterList=[{"key": k, "valueSet": v} for k, v in filters],
        )

    assert sorted(legacy(("ActivationIds", [activation_id]))) == sorted(ids)
    assert sorted(legacy(("IamRole", [role]))) == sorted(ids)
    assert legacy(("InstanceIds", [ids[0]])) == [ids[0]]
    assert sorted(
        legacy(("ActivationIds", [activation_id]), ("PingStatus", ["ConnectionLost"]))
    ) == sorted(ids)
    assert legacy(("ActivationIds", [activation_id]), ("PingStatus", ["Online"])) == []
    assert sorted(
        legacy(("ActivationIds", [activation_id]), ("ResourceType", ["ManagedInstance"]))
    ) == sorted(ids)
    assert legacy(("ActivationIds", [activation_id]), ("ResourceType", ["EC2Instance"])) == []
    assert legacy(("ActivationIds", [activation_id]), ("PlatformTypes", ["Linux"])) == []
    assert legacy(("ActivationIds", [activation_id]), ("AssociationStatus", ["Success"])) == []


def test_string_filters_including_tags(ssm: SSMClient, server: ServerProcess) -> None:
    activation_id, (tagged, plain) = _nodes(ssm, server, 2)
    tier = "t" + uuid.uuid4().hex[:8]
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=tagged, Tags=[{"Key": tier, "Value": "web"}]
    )
    mine = {"Key": "ActivationIds", "Values": [activation_id]}
    assert _ids(ssm, Filters=[mine, {"Key": f"tag:{tier}", "Values": ["web"]}]) == [tagged]
    assert _ids(ssm, Filters=[mine, {"Key": f"tag:{tier}", "Values": ["db"]}]) == []
    assert _ids(ssm, Filters=[{"Key": "tag-key", "Values": [tier]}]) == [tagged]
    assert sorted(_ids(ssm, Filters=[mine])) == sorted([tagged, plain])
    assert sorted(_ids(ssm, Filters=[mine, {"Key": "SourceIds", "Values": [plain]}])) == [plain]
    both = {"Key": "SourceTypes", "Values": ["AWS::SSM::ManagedInstance"]}
    assert sorted(_ids(ssm, Filters=[mine, both])) == sorted([tagged, plain])
    for key in ("PlatformTypes", "PlatformType"):
        assert _ids(ssm, Filters=[mine, {"Key": key, "Values": ["Windows"]}]) == []


def test_filter_errors(ssm: SSMClient, server: ServerProcess) -> None:
    _, (instance_id,) = _nodes(ssm, server, 1)
    both = error_of(
        ssm.describe_instance_information,
        InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [instance_id]}],
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}],
    )
    assert both.code == "ValidationException"
    bad_key = error_of(
        ssm.describe_instance_information, Filters=[{"Key": "Color", "Values": ["x"]}]
    )
    assert bad_key.code == "InvalidFilterKey"
    bad_status = error_of(
        ssm.describe_instance_information, Filters=[{"Key": "PingStatus", "Values": ["Sleepy"]}]
    )
    assert bad_status.code == "InvalidInstanceInformationFilterValue"
    two_types = error_of(
        ssm.describe_instance_information,
        Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance", "EC2Instance"]}],
    )
    assert two_types.code == "InvalidInstanceInformationFilterValue"
    assert two_types.message == "ResourceType filter may contain only one value."
    legacy_key = error_of(
        ssm.describe_instance_information,
        InstanceInformationFilterList=[{"key": "Color", "valueSet": ["x"]}],
    )
    assert legacy_key.code == "ValidationException"  # the model's enum, checked first


def test_unknown_instance_ids_are_invalid(ssm: SSMClient, server: ServerProcess) -> None:
    _, (known,) = _nodes(ssm, server, 1)
    unknown = "mi-" + "0" * 17
    for request in (
        {"Filters": [{"Key": "InstanceIds", "Values": [known, unknown]}]},
        {"InstanceInformationFilterList": [{"key": "InstanceIds", "valueSet": [unknown]}]},
        {"Filters": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]},
    ):
        error = error_of(ssm.describe_instance_information, **request)
        assert error.code == "InvalidInstanceId"
        assert known not in error.message
    assert unknown in error_message_for(ssm, unknown)


def error_message_for(ssm: SSMClient, instance_id: str) -> str:
    filters: list[InstanceInformationStringFilterTypeDef] = [
        {"Key": "InstanceIds", "Values": [instance_id]}
    ]
    return error_of(ssm.describe_instance_information, Filters=filters).message


def test_paging_with_max_results_and_next_token(ssm: SSMClient, server: ServerProcess) -> None:
    activation_id, ids = _nodes(ssm, server, 12)
    mine: list[InstanceInformationStringFilterTypeDef] = [
        {"Key": "ActivationIds", "Values": [activation_id]}
    ]
    page = ssm.describe_instance_information(Filters=mine, MaxResults=5)
    seen = [i["InstanceId"] for i in page["InstanceInformationList"]]
    assert len(seen) == 5
    while "NextToken" in page:
        page = ssm.describe_instance_information(
            Filters=mine, MaxResults=5, NextToken=page["NextToken"]
        )
        seen += [i["InstanceId"] for i in page["InstanceInformationList"]]
    assert seen == sorted(ids)
    # The default page is 10, as AWS documents.
    default = ssm.describe_instance_information(Filters=mine)
    assert len(default["InstanceInformationList"]) == 10
    assert "NextToken" in default
    # botocore's paginator follows the tokens too.
    paginator = ssm.get_paginator("describe_instance_information")
    pages = paginator.paginate(Filters=mine, PaginationConfig={"PageSize": 5})
    assert sorted(i["InstanceId"] for p in pages for i in p["InstanceInformationList"]) == sorted(
        ids
    )
    too_many = error_of(ssm.describe_instance_information, MaxResults=51)
    assert too_many.code == "ValidationException"
    bad = error_of(ssm.describe_instance_information, Filters=mine, NextToken="x" * 40)
    assert bad.code == "InvalidNextToken"


def test_deregister_keeps_the_instance_as_inactive(ssm: SSMClient, server: ServerProcess) -> None:
    activation_id, (gone, kept) = _nodes(ssm, server, 2)
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=gone, Tags=[{"Key": "k", "Value": "v"}]
    )
    ssm.deregister_managed_instance(InstanceId=gone)
    assert _one(ssm, gone)["PingStatus"] == "Inactive"
    assert _one(ssm, kept)["PingStatus"] == "ConnectionLost"
    inactive = ssm.describe_instance_information(
        Filters=[
            {"Key": "ActivationIds", "Values": [activation_id]},
            {"Key": "PingStatus", "Values": ["Inactive"]},
        ]
    )["InstanceInformationList"]
    assert [i["InstanceId"] for i in inactive] == [gone]
    # Deregistered means gone for every other operation.
    for call, kwargs in (
        (ssm.deregister_managed_instance, {"InstanceId": gone}),
        (ssm.update_managed_instance_role, {"InstanceId": gone, "IamRole": "r"}),
    ):
        assert error_of(call, **kwargs).code == "InvalidInstanceId"
    tags = error_of(ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId=gone)
    assert tags.code == "InvalidResourceId"


def test_deregister_unknown_instance(ssm: SSMClient) -> None:
    error = error_of(ssm.deregister_managed_instance, InstanceId="mi-" + "f" * 17)
    assert error.code == "InvalidInstanceId"
    malformed = error_of(ssm.deregister_managed_instance, InstanceId="i-0123456789abcdef01")
    assert malformed.code == "ValidationException"


def test_update_managed_instance_role(ssm: SSMClient, server: ServerProcess) -> None:
    _, (instance_id,) = _nodes(ssm, server, 1)
    ssm.update_managed_instance_role(InstanceId=instance_id, IamRole="NewRole")
    assert _one(ssm, instance_id)["IamRole"] == "NewRole"
    error = error_of(ssm.update_managed_instance_role, InstanceId="mi-" + "e" * 17, IamRole="r")
    assert error.code == "InvalidInstanceId"
    # The model: "You can't specify an IAM service-linked role for this parameter."
    linked = "aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
    refused = error_of(ssm.update_managed_instance_role, InstanceId=instance_id, IamRole=linked)
    assert refused.code == "ValidationException"
    assert "service-linked" in refused.message
    assert _one(ssm, instance_id)["IamRole"] == "NewRole"


def test_tags_on_managed_instances(ssm: SSMClient, server: ServerProcess) -> None:
    _, (instance_id,) = _nodes(ssm, server, 1, Tags=[{"Key": "from", "Value": "activation"}])
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance",
        ResourceId=instance_id,
        Tags=[{"Key": "role", "Value": "web"}, {"Key": "from", "Value": "me"}],
    )
    listed = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)
    assert listed["TagList"] == [{"Key": "from", "Value": "me"}, {"Key": "role", "Value": "web"}]
    ssm.remove_tags_from_resource(
        ResourceType="ManagedInstance", ResourceId=instance_id, TagKeys=["from"]
    )
    listed = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)
    assert listed["TagList"] == [{"Key": "role", "Value": "web"}]
    unknown = error_of(
        ssm.list_tags_for_resource, ResourceType="ManagedInstance", ResourceId="mi-" + "1" * 17
    )
    assert unknown.code == "InvalidResourceId"
    ec2 = error_of(
        ssm.add_tags_to_resource,
        ResourceType="ManagedInstance",
        ResourceId="i-0123456789abcdef0",
        Tags=[{"Key": "a", "Value": "b"}],
    )
    assert ec2.code == "InvalidResourceType"


def test_an_agent_identity_cannot_call_the_public_api(
    ssm: SSMClient, server: ServerProcess
) -> None:
    """DESIGN §4: the instance id and its key are no API credential, however they are used."""
    activation_id, code = activate(ssm)
    node: Identity = register(server.url, activation_id, code)
    raw = node.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    for secret in (base64.b64encode(raw).decode(), raw.hex(), node.instance_id):
        agent_client = server.client(access_key_id=node.instance_id, secret_access_key=secret)
        for call, kwargs in (
            (agent_client.describe_instance_information, {}),
            (agent_client.get_parameter, {"Name": "/x"}),
            (agent_client.deregister_managed_instance, {"InstanceId": node.instance_id}),
        ):
            error = error_of(call, **kwargs)
            assert error.code == "UnrecognizedClientException"
    assert _one(ssm, node.instance_id)["PingStatus"] != "Inactive"
