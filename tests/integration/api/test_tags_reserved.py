"""Tag keys beginning "aws:" (in any case) are AWS's own: no caller sets or removes one.

Checked on every path a tag enters by: creation (PutParameter, CreateDocument,
CreateActivation) and AddTagsToResource / RemoveTagsFromResource. A refused call changes
nothing (ssm-api.md §2.13).
"""

from __future__ import annotations

import json

import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE, unique

RESERVED = [{"Key": "aws:cloudformation:stack-name", "Value": "x"}]


@pytest.mark.parametrize("key", ["aws:owner", "AWS:owner", "Aws:"])
def test_reserved_key_is_refused_when_tagging_and_nothing_changes(ssm: SSMClient, key: str) -> None:
    name = f"/{unique('tags')}/p"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "team", "Value": "a"}])
    found = error_of(
        ssm.add_tags_to_resource,
        ResourceType="Parameter",
        ResourceId=name,
        Tags=[{"Key": "team", "Value": "b"}, {"Key": key, "Value": "x"}],
    )
    assert found.code == "ValidationException"
    assert key in found.message
    assert "reserved" in found.message
    found = error_of(
        ssm.remove_tags_from_resource, ResourceType="Parameter", ResourceId=name, TagKeys=[key]
    )
    assert found.code == "ValidationException"
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert listed == [{"Key": "team", "Value": "a"}]


def test_reserved_key_is_refused_at_creation(ssm: SSMClient) -> None:
    name = f"/{unique('tags')}/p"
    found = error_of(ssm.put_parameter, Name=name, Value="v", Type="String", Tags=RESERVED)
    assert found.code == "ValidationException"
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"

    document = unique()
    found = error_of(
        ssm.create_document,
        Name=document,
        Content=json.dumps(SIMPLE),
        DocumentType="Command",
        Tags=RESERVED,
    )
    assert found.code == "ValidationException"
    assert error_of(ssm.describe_document, Name=document).code == "InvalidDocument"

    host = unique("host")
    found = error_of(
        ssm.create_activation, IamRole="SSMServiceRole", DefaultInstanceName=host, Tags=RESERVED
    )
    assert found.code == "ValidationException"
    made = ssm.describe_activations(
        Filters=[{"FilterKey": "DefaultInstanceName", "FilterValues": [host]}]
    )
    assert made["ActivationList"] == []
