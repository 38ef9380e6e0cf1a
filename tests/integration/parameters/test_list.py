"""GetParametersByPath and DescribeParameters over the wire: paths, filters, tags, paging.

Rules: GetParametersByPath returns a level's children (or the subtree with Recursive),
MaxResults 1 to 10, filters Type/KeyId/Label only; DescribeParameters takes ParameterFilters or the
legacy Filters but not both, MaxResults 1 to 50; a NextToken the server did not issue is
InvalidNextToken (ssm-api.md §2.6, §2.14).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import (
    ParameterMetadataTypeDef,
    ParameterStringFilterTypeDef,
    ParameterTypeDef,
)

from tests.aws_errors import error_of


def _root() -> str:
    return f"/lst{uuid.uuid4().hex[:10]}"


def _tree(ssm: SSMClient) -> str:
    root = _root()
    ssm.put_parameter(Name=f"{root}/a", Value="1", Type="String")
    ssm.put_parameter(Name=f"{root}/b", Value="2", Type="StringList")
    ssm.put_parameter(Name=f"{root}/s", Value="secret", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/sub/c", Value="3", Type="String")
    ssm.put_parameter(Name=f"{root}/sub/deeper/d", Value="4", Type="String")
    return root


def _names(parameters: Sequence[ParameterTypeDef | ParameterMetadataTypeDef]) -> list[str]:
    return [p["Name"] for p in parameters]


def test_by_path_one_level_and_recursive(ssm: SSMClient) -> None:
    root = _tree(ssm)
    level = ssm.get_parameters_by_path(Path=root)["Parameters"]
    assert _names(level) == [f"{root}/a", f"{root}/b", f"{root}/s"]
    everything = ssm.get_parameters_by_path(Path=root, Recursive=True)["Parameters"]
    assert _names(everything) == [
        f"{root}/a", f"{root}/b", f"{root}/s", f"{root}/sub/c", f"{root}/sub/deeper/d",
    ]  # fmt: skip
    assert _names(ssm.get_parameters_by_path(Path=f"{root}/sub/")["Parameters"]) == [
        f"{root}/sub/c"
    ]
    # A leaf named as a path has no children; a prefix that is not a level matches nothing.
    assert ssm.get_parameters_by_path(Path=f"{root}/a")["Parameters"] == []
    assert ssm.get_parameters_by_path(Path=root[:-2], Recursive=True)["Parameters"] == []


def test_by_path_decrypts_on_request(ssm: SSMClient) -> None:
    root = _tree(ssm)
    sealed = {p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path=root)["Parameters"]}
    assert sealed[f"{root}/s"] != "secret"
    clear = ssm.get_parameters_by_path(Path=root, WithDecryption=True)["Parameters"]
    assert {p["Name"]: p["Value"] for p in clear}[f"{root}/s"] == "secret"


def test_by_path_filters(ssm: SSMClient) -> None:
    root = _tree(ssm)
    by_type = ssm.get_parameters_by_path(
        Path=root, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}]
    )
    assert _names(by_type["Parameters"]) == [f"{root}/b"]
    by_key = ssm.get_parameters_by_path(
        Path=root, ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]
    )
    assert _names(by_key["Parameters"]) == [f"{root}/s"]
    prefix = ssm.get_parameters_by_path(
        Path=root,
        ParameterFilters=[{"Key": "Type", "Option": "BeginsWith", "Values": ["String"]}],
    )
    assert _names(prefix["Parameters"]) == [f"{root}/a", f"{root}/b"]


def test_by_path_label_filter_returns_the_labelled_version(ssm: SSMClient) -> None:
    root = _root()
    ssm.put_parameter(Name=f"{root}/x", Value="old", Type="String")
    ssm.put_parameter(Name=f"{root}/x", Value="new", Overwrite=True)
    ssm.put_parameter(Name=f"{root}/y", Value="other", Type="String")
    ssm.label_parameter_version(Name=f"{root}/x", ParameterVersion=1, Labels=["prod"])
    out = ssm.get_parameters_by_path(
        Path=root, ParameterFilters=[{"Key": "Label", "Option": "Equals", "Values": ["prod"]}]
    )
    assert [(p["Name"], p["Value"], p["Version"]) for p in out["Parameters"]] == [
        (f"{root}/x", "old", 1)
    ]


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ([{"Key": "tag:env", "Values": ["x"]}], "InvalidFilterKey"),
        ([{"Key": "Name", "Values": ["x"]}], "InvalidFilterKey"),
        ([{"Key": "Tier", "Values": ["Standard"]}], "InvalidFilterKey"),
        ([{"Key": "Label", "Option": "BeginsWith", "Values": ["p"]}], "InvalidFilterOption"),
        ([{"Key": "Type", "Values": ["Text"]}], "InvalidFilterValue"),
    ],
)
def test_by_path_bad_filters(ssm: SSMClient, filters: list[dict[str, Any]], code: str) -> None:
    error = error_of(ssm.get_parameters_by_path, Path="/x", ParameterFilters=filters)
    assert error.code == code


def test_by_path_refuses_bad_paths_and_page_sizes(ssm: SSMClient) -> None:
    bad_path = error_of(ssm.get_parameters_by_path, Path="relative/path")
    assert bad_path.code == "ValidationException"
    too_many = error_of(ssm.get_parameters_by_path, Path="/x", MaxResults=11)
    assert too_many.code == "ValidationException"
    assert "less than or equal to 10" in too_many.message


def test_by_path_pages_through_more_than_ten(ssm: SSMClient) -> None:
    root = _root()
    names = [f"{root}/p{i:02d}" for i in range(23)]
    for name in names:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"Path": root, "MaxResults": 10}
        if token:
            kwargs["NextToken"] = token
        out = ssm.get_parameters_by_path(**kwargs)
        pages += 1
        seen += _names(out["Parameters"])
        token = out.get("NextToken")
        if not token:
            break
    assert seen == names
    assert pages == 3
    paginated = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=root, PaginationConfig={"PageSize": 4}
    )
    assert [n for page in paginated for n in _names(page["Parameters"])] == names


def test_tampered_or_foreign_next_token_is_invalid(ssm: SSMClient) -> None:
    root = _root()
    for i in range(3):
        ssm.put_parameter(Name=f"{root}/t{i}", Value="v", Type="String")
    token = ssm.get_parameters_by_path(Path=root, MaxResults=1)["NextToken"]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert (
        error_of(ssm.get_parameters_by_path, Path=root, MaxResults=1, NextToken=tampered).code
        == "InvalidNextToken"
    )
    # A token is bound to the listing it came from.
    other = error_of(ssm.get_parameters_by_path, Path=root + "x", MaxResults=1, NextToken=token)
    assert other.code == "InvalidNextToken"
    made_up = error_of(ssm.describe_parameters, NextToken="bm90LWEtdG9rZW4")
    assert made_up.code == "InvalidNextToken"


def test_describe_returns_metadata_not_values(ssm: SSMClient) -> None:
    root = _tree(ssm)
    out = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}], MaxResults=50
    )
    items = {p["Name"]: p for p in out["Parameters"]}
    assert sorted(items) == [
        f"{root}/a", f"{root}/b", f"{root}/s", f"{root}/sub/c", f"{root}/sub/deeper/d",
    ]  # fmt: skip
    secure = items[f"{root}/s"]
    assert "Value" not in secure
    assert (secure["Type"], secure["KeyId"], secure["Version"], secure["Tier"]) == (
        "SecureString", "alias/aws/ssm", 1, "Standard",
    )  # fmt: skip
    assert secure["Policies"] == []
    assert secure["LastModifiedUser"].endswith(":user/admin")
    assert "KeyId" not in items[f"{root}/a"]


def _pf(key: str, *values: str, option: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"Key": key, "Values": list(values)}
    if option:
        item["Option"] = option
    return item


ALL = ["a", "b", "s", "sub/c", "sub/deeper/d"]


@pytest.mark.parametrize(
    ("make_filters", "expected"),
    [
        (lambda r: [_pf("Name", f"{r}/a")], ["a"]),
        (lambda r: [_pf("Name", f"{r}/s", option="BeginsWith")], ["s", "sub/c", "sub/deeper/d"]),
        (lambda r: [_pf("Name", f"{r[1:]}/sub/", option="Contains")], ["sub/c", "sub/deeper/d"]),
        (lambda r: [_pf("Path", f"{r}/sub")], ["sub/c"]),
        (lambda r: [_pf("Path", f"{r}/sub", option="Recursive")], ["sub/c", "sub/deeper/d"]),
        (lambda r: [_pf("Path", r, option="Recursive"), _pf("Type", "SecureString")], ["s"]),
        (lambda r: [_pf("Path", r, option="Recursive"), _pf("KeyId", "alias/aws/ssm")], ["s"]),
        (lambda r: [_pf("Path", r, option="Recursive"), _pf("Tier", "Advanced")], []),
        (lambda r: [_pf("Path", r, option="Recursive"), _pf("DataType", "text")], ALL),
    ],
    ids=[
        "name", "begins-with", "contains", "one-level", "recursive", "type", "key-id", "tier",
        "data-type",
    ],
)  # fmt: skip
def test_describe_parameter_filters(ssm: SSMClient, make_filters: Any, expected: list[str]) -> None:
    root = _tree(ssm)
    out = ssm.describe_parameters(ParameterFilters=make_filters(root), MaxResults=50)
    assert _names(out["Parameters"]) == [f"{root}/{leaf}" for leaf in expected]


def test_describe_tag_filters(ssm: SSMClient) -> None:
    root = _root()
    ssm.put_parameter(
        Name=f"{root}/p", Value="1", Type="String", Tags=[{"Key": "env", "Value": "prod"}]
    )
    ssm.put_parameter(
        Name=f"{root}/q", Value="1", Type="String", Tags=[{"Key": "env", "Value": "dev"}]
    )
    ssm.put_parameter(Name=f"{root}/r", Value="1", Type="String")
    scope: ParameterStringFilterTypeDef = {"Key": "Path", "Values": [root]}

    def names(*filters: ParameterStringFilterTypeDef) -> list[str]:
        out = ssm.describe_parameters(ParameterFilters=[scope, *filters], MaxResults=50)
        return _names(out["Parameters"])

    assert names({"Key": "tag:env", "Values": ["prod"]}) == [f"{root}/p"]
    assert names({"Key": "tag:env"}) == [f"{root}/p", f"{root}/q"]
    assert names({"Key": "tag:env", "Option": "BeginsWith", "Values": ["d"]}) == [f"{root}/q"]
    # Tags added later count too.
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=f"{root}/r", Tags=[{"Key": "env", "Value": "prod"}]
    )
    assert names({"Key": "tag:env", "Values": ["prod"]}) == [f"{root}/p", f"{root}/r"]


def test_describe_legacy_filters(ssm: SSMClient) -> None:
    root = _tree(ssm)
    out = ssm.describe_parameters(
        Filters=[{"Key": "Name", "Values": [f"{root}/s"]}, {"Key": "Type", "Values": ["String"]}],
        MaxResults=50,
    )
    assert _names(out["Parameters"]) == [f"{root}/sub/c", f"{root}/sub/deeper/d"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {"Filters": [{"Key": "Name", "Values": ["x"]}], "ParameterFilters": [_pf("Name", "x")]},
            "ValidationException",
        ),
        ({"ParameterFilters": [_pf("Label", "x")]}, "InvalidFilterKey"),
        ({"ParameterFilters": [_pf("Type", "x", option="Contains")]}, "InvalidFilterOption"),
        ({"ParameterFilters": [_pf("Path", "/x", option="Equals")]}, "InvalidFilterOption"),
        ({"ParameterFilters": [_pf("Path", "no-slash")]}, "InvalidFilterValue"),
        ({"ParameterFilters": [_pf("Tier", "Gold")]}, "InvalidFilterValue"),
        ({"ParameterFilters": [_pf("Bogus", "x")]}, "ValidationException"),
        ({"MaxResults": 51}, "ValidationException"),
    ],
    ids=[
        "both-kinds", "label", "option", "path-option", "path-value", "tier-value", "unknown-key",
        "max-results",
    ],
)  # fmt: skip
def test_describe_bad_requests(ssm: SSMClient, kwargs: dict[str, Any], code: str) -> None:
    assert error_of(ssm.describe_parameters, **kwargs).code == code


def test_describe_pages_through_more_than_ten(ssm: SSMClient) -> None:
    root = _root()
    names = [f"{root}/d{i:02d}" for i in range(25)]
    for name in names:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    scope: list[ParameterStringFilterTypeDef] = [
        {"Key": "Name", "Option": "BeginsWith", "Values": [root]}
    ]
    first = ssm.describe_parameters(ParameterFilters=scope)
    assert len(first["Parameters"]) == 10  # the default page size
    pages = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=scope, PaginationConfig={"PageSize": 7}
    )
    got = [n for page in pages for n in _names(page["Parameters"])]
    assert got == names
    # A token replayed with other filters is not valid.
    error = error_of(
        ssm.describe_parameters,
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [root + "x"]}],
        NextToken=first["NextToken"],
    )
    assert error.code == "InvalidNextToken"


def test_describe_shared_lists_nothing(ssm: SSMClient) -> None:
    """No account shares parameters with a self-hosted server."""
    assert ssm.describe_parameters(Shared=True)["Parameters"] == []
