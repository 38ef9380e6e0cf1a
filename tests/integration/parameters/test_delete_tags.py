"""DeleteParameter(s) and the tag operations on parameters, over the wire.

Rules: DeleteParameter of an unknown name is ParameterNotFound; DeleteParameters reports
DeletedParameters and InvalidParameters; a deleted parameter takes its versions, labels and tags
with it; tag operations address a parameter by name (ssm-api.md §2.6, §2.13).
"""

from __future__ import annotations

import uuid

from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of


def _root() -> str:
    return f"/del{uuid.uuid4().hex[:10]}"


def test_delete_parameter_removes_everything(ssm: SSMClient) -> None:
    name = f"{_root()}/gone"
    ssm.put_parameter(Name=name, Value="a", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name=name, Value="b", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["old"])
    ssm.delete_parameter(Name=name)
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"
    assert error_of(ssm.get_parameter_history, Name=name).code == "ParameterNotFound"
    tags = error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=name)
    assert tags.code == "InvalidResourceId"
    # Re-created, it starts again at version 1 with no labels or tags.
    assert ssm.put_parameter(Name=name, Value="c", Type="String")["Version"] == 1
    assert error_of(ssm.get_parameter, Name=f"{name}:old").code == "ParameterNotFound"
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == []


def test_delete_unknown_parameter_is_not_found(ssm: SSMClient) -> None:
    assert error_of(ssm.delete_parameter, Name=f"{_root()}/none").code == "ParameterNotFound"


def test_delete_parameters_reports_both_lists(ssm: SSMClient) -> None:
    root = _root()
    for leaf in ("a", "b"):
        ssm.put_parameter(Name=f"{root}/{leaf}", Value="v", Type="String")
    out = ssm.delete_parameters(Names=[f"{root}/a", f"{root}/missing", f"{root}/b"])
    assert out["DeletedParameters"] == [f"{root}/a", f"{root}/b"]
    assert out["InvalidParameters"] == [f"{root}/missing"]
    assert ssm.get_parameters_by_path(Path=root)["Parameters"] == []


def test_delete_parameters_refuses_more_than_ten(ssm: SSMClient) -> None:
    error = error_of(ssm.delete_parameters, Names=[f"/x{i}" for i in range(11)])
    assert error.code == "ValidationException"


def test_tags_add_list_remove(ssm: SSMClient) -> None:
    name = f"{_root()}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId=name,
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}],
    )
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "env", "Value": "dev"}]
    )
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert listed == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "core"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env"])
    listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert listed == [{"Key": "team", "Value": "core"}]


def test_tags_address_name_and_slash_name_alike(ssm: SSMClient) -> None:
    bare = f"del{uuid.uuid4().hex[:10]}"
    ssm.put_parameter(Name=bare, Value="v", Type="String")
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId="/" + bare, Tags=[{"Key": "k", "Value": "v"}]
    )
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=bare)["TagList"] == [
        {"Key": "k", "Value": "v"}
    ]


def test_tags_on_unknown_parameter_are_invalid_resource_id(ssm: SSMClient) -> None:
    error = error_of(
        ssm.add_tags_to_resource,
        ResourceType="Parameter",
        ResourceId=f"{_root()}/none",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert error.code == "InvalidResourceId"


def test_more_than_fifty_tags_is_too_many(ssm: SSMClient) -> None:
    name = f"{_root()}/many"
    ssm.put_parameter(
        Name=name,
        Value="v",
        Type="String",
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
    )
    error = error_of(
        ssm.add_tags_to_resource,
        ResourceType="Parameter",
        ResourceId=name,
        Tags=[{"Key": "one-more", "Value": "v"}],
    )
    assert error.code == "TooManyTagsError"
