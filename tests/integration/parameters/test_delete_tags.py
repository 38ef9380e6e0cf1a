"""DeleteParameter(s) and the tag operations on parameters, over the wire.

Rules: DeleteParameter of an unknown name is ParameterNotFound; DeleteParameters reports
DeletedParameters and InvalidParameters; a deleted parameter takes its versions, labels and tags
with it; tag operations address a parameter by name (ssm-api.md §2.6, §2.13).
"""

from __future__ import annotations

import uuid
from typing import Any

import botocore.exceptions
import pytest


def _root() -> str:
    return f"/del{uuid.uuid4().hex[:10]}"


def _error(call: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return {"Code": str(error.get("Code")), "Message": str(error.get("Message", ""))}


def test_delete_parameter_removes_everything(ssm: Any) -> None:
    name = f"{_root()}/gone"
    ssm.put_parameter(Name=name, Value="a", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name=name, Value="b", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["old"])
    ssm.delete_parameter(Name=name)
    assert _error(ssm.get_parameter, Name=name)["Code"] == "ParameterNotFound"
    assert _error(ssm.get_parameter_history, Name=name)["Code"] == "ParameterNotFound"
    tags = _error(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=name)
    assert tags["Code"] == "InvalidResourceId"
    # Re-created, it starts again at version 1 with no labels or tags.
    assert ssm.put_parameter(Name=name, Value="c", Type="String")["Version"] == 1
    assert _error(ssm.get_parameter, Name=f"{name}:old")["Code"] == "ParameterNotFound"
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == []


def test_delete_unknown_parameter_is_not_found(ssm: Any) -> None:
    assert _error(ssm.delete_parameter, Name=f"{_root()}/none")["Code"] == "ParameterNotFound"


def test_delete_parameters_reports_both_lists(ssm: Any) -> None:
    root = _root()
    for leaf in ("a", "b"):
        ssm.put_parameter(Name=f"{root}/{leaf}", Value="v", Type="String")
    out = ssm.delete_parameters(Names=[f"{root}/a", f"{root}/missing", f"{root}/b"])
    assert out["DeletedParameters"] == [f"{root}/a", f"{root}/b"]
    assert out["InvalidParameters"] == [f"{root}/missing"]
    assert ssm.get_parameters_by_path(Path=root)["Parameters"] == []


def test_delete_parameters_refuses_more_than_ten(ssm: Any) -> None:
    error = _error(ssm.delete_parameters, Names=[f"/x{i}" for i in range(11)])
    assert error["Code"] == "ValidationException"


def test_tags_add_list_remove(ssm: Any) -> None:
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


def test_tags_address_name_and_slash_name_alike(ssm: Any) -> None:
    bare = f"del{uuid.uuid4().hex[:10]}"
    ssm.put_parameter(Name=bare, Value="v", Type="String")
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId="/" + bare, Tags=[{"Key": "k", "Value": "v"}]
    )
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=bare)["TagList"] == [
        {"Key": "k", "Value": "v"}
    ]


def test_tags_on_unknown_parameter_are_invalid_resource_id(ssm: Any) -> None:
    error = _error(
        ssm.add_tags_to_resource,
        ResourceType="Parameter",
        ResourceId=f"{_root()}/none",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert error["Code"] == "InvalidResourceId"


def test_more_than_fifty_tags_is_too_many(ssm: Any) -> None:
    name = f"{_root()}/many"
    ssm.put_parameter(
        Name=name,
        Value="v",
        Type="String",
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
    )
    error = _error(
        ssm.add_tags_to_resource,
        ResourceType="Parameter",
        ResourceId=name,
        Tags=[{"Key": "one-more", "Value": "v"}],
    )
    assert error["Code"] == "TooManyTagsError"
