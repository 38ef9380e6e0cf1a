"""PutParameter over the wire: types, overwrite, names, tiers, data types, patterns, versions.

Rules are the PutParameter API reference's and the Parameter Store user guide's (ssm-api.md
§2.6 and §2.14); each test names the rule it checks.
"""

from __future__ import annotations

import concurrent.futures
import uuid

import botocore.exceptions
import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import aws_error, error_of
from tests.support import ServerProcess


def _root() -> str:
    return f"/put{uuid.uuid4().hex[:10]}"


def test_put_creates_version_1_and_each_overwrite_adds_one(ssm: SSMClient) -> None:
    """Versions start at 1; every overwrite is a new version, even with the same value."""
    name = f"{_root()}/v"
    assert ssm.put_parameter(Name=name, Value="a", Type="String")["Version"] == 1
    assert ssm.put_parameter(Name=name, Value="a", Overwrite=True)["Version"] == 2
    out = ssm.put_parameter(Name=name, Value="b", Type="String", Overwrite=True)
    assert (out["Version"], out["Tier"]) == (3, "Standard")
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Value"], got["Version"], got["Type"], got["DataType"]) == (
        "b",
        3,
        "String",
        "text",
    )


def test_put_existing_without_overwrite_is_parameter_already_exists(ssm: SSMClient) -> None:
    name = f"{_root()}/dup"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    error = error_of(ssm.put_parameter, Name=name, Value="b", Type="String")
    assert error.code == "ParameterAlreadyExists"
    assert "set the overwrite option" in error.message


def test_name_and_slash_name_are_the_same_parameter(ssm: SSMClient) -> None:
    """`name` and `/name` are one parameter (same ARN), so the second put collides."""
    bare = f"put{uuid.uuid4().hex[:10]}"
    ssm.put_parameter(Name=bare, Value="a", Type="String")
    assert error_of(ssm.put_parameter, Name="/" + bare, Value="b", Type="String").code == (
        "ParameterAlreadyExists"
    )
    got = ssm.get_parameter(Name="/" + bare)["Parameter"]
    assert got["Name"] == bare
    assert got["ARN"].endswith(f":parameter/{bare}")


def test_overwrite_keeps_description_pattern_and_type_when_omitted(ssm: SSMClient) -> None:
    """Type is optional on update; omitted optional members keep their values."""
    name = f"{_root()}/keep"
    ssm.put_parameter(
        Name=name, Value="12", Type="String", Description="the port", AllowedPattern=r"^\d+$"
    )
    ssm.put_parameter(Name=name, Value="13", Overwrite=True)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    (item,) = meta["Parameters"]
    assert (item["Description"], item["AllowedPattern"], item["Type"]) == (
        "the port", r"^\d+$", "String",
    )  # fmt: skip
    # The kept pattern still applies to later values.
    error = error_of(ssm.put_parameter, Name=name, Value="x", Overwrite=True)
    assert error.code == "ParameterPatternMismatchException"


def test_create_without_type_is_a_validation_error(ssm: SSMClient) -> None:
    error = error_of(ssm.put_parameter, Name=f"{_root()}/t", Value="a")
    assert error.code == "ValidationException"
    assert "parameter type is required" in error.message


def test_changing_the_type_is_hierarchy_type_mismatch(ssm: SSMClient) -> None:
    """Parameter Store doesn't support changing a parameter's type."""
    name = f"{_root()}/ty"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    error = error_of(ssm.put_parameter, Name=name, Value="a", Type="SecureString", Overwrite=True)
    assert error.code == "HierarchyTypeMismatchException"


def test_tags_with_overwrite_are_refused_with_aws_text(ssm: SSMClient) -> None:
    error = error_of(
        ssm.put_parameter, Name=f"{_root()}/tg", Value="a", Type="String", Overwrite=True,
        Tags=[{"Key": "k", "Value": "v"}],
    )  # fmt: skip
    assert error.code == "ValidationException"
    assert error.message.startswith("Invalid request: tags and overwrite can't be used together.")


def test_put_with_tags_tags_the_new_parameter(ssm: SSMClient) -> None:
    name = f"{_root()}/tagged"
    ssm.put_parameter(Name=name, Value="a", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "env", "Value": "prod"}]


@pytest.mark.parametrize(
    ("suffix", "code"),
    [
        ("aws-x", "ValidationException"),
        ("SSM-x", "ValidationException"),
        ("has space", "ValidationException"),
        ("bad*char", "ValidationException"),
    ],
)
def test_bad_names_are_refused(ssm: SSMClient, suffix: str, code: str) -> None:
    """Names use a-zA-Z0-9_.- and /, and can't be prefixed with aws or ssm."""
    error = error_of(ssm.put_parameter, Name=suffix, Value="a", Type="String")
    assert error.code == code
    assert "can't be prefixed with" in error.message


def test_names_must_be_fully_qualified(ssm: SSMClient) -> None:
    error = error_of(
        ssm.put_parameter, Name=f"put{uuid.uuid4().hex[:6]}/x", Value="a", Type="String"
    )
    assert error.code == "ValidationException"


def test_fifteen_levels_is_the_limit(ssm: SSMClient) -> None:
    """Parameter hierarchies are limited to a maximum depth of fifteen levels."""
    levels = [_root()[1:]] + [f"l{i}" for i in range(13)]
    ok = "/" + "/".join(levels) + "/leaf"
    assert ssm.put_parameter(Name=ok, Value="a", Type="String")["Version"] == 1
    deep = "/" + "/".join([*levels, "l13"]) + "/leaf"
    error = error_of(ssm.put_parameter, Name=deep, Value="a", Type="String")
    assert error.code == "HierarchyLevelLimitExceededException"


def test_reserved_aws_path_is_refused(ssm: SSMClient) -> None:
    error = error_of(ssm.put_parameter, Name="/aws/service/mine", Value="a", Type="String")
    assert error.code == "AccessDeniedException"


def test_name_longer_than_1011_with_arn_is_refused(ssm: SSMClient) -> None:
    root = _root()
    arn_chars = len("arn:aws:ssm:us-east-1:123456789012:parameter/")
    room = 1011 - arn_chars
    longest = root + "/" + "x" * (room - len(root))
    assert ssm.put_parameter(Name=longest, Value="a", Type="String")["Version"] == 1
    error = error_of(ssm.put_parameter, Name=longest + "y", Value="a", Type="String")
    assert error.code == "ValidationException"


def test_standard_tier_holds_4096_characters(ssm: SSMClient) -> None:
    root = _root()
    ssm.put_parameter(Name=f"{root}/s", Value="x" * 4096, Type="String")
    error = error_of(ssm.put_parameter, Name=f"{root}/big", Value="x" * 4097, Type="String")
    assert error.code == "ValidationException"
    assert "maximum parameter value of 4096 characters" in error.message


def test_advanced_tier_holds_8192_characters(ssm: SSMClient) -> None:
    root = _root()
    out = ssm.put_parameter(Name=f"{root}/a", Value="x" * 8192, Type="String", Tier="Advanced")
    assert out["Tier"] == "Advanced"
    error = error_of(
        ssm.put_parameter, Name=f"{root}/b", Value="x" * 8193, Type="String", Tier="Advanced"
    )
    assert error.code == "ValidationException"


def test_intelligent_tiering_picks_advanced_only_when_needed(ssm: SSMClient) -> None:
    root = _root()
    small = ssm.put_parameter(
        Name=f"{root}/small", Value="x", Type="String", Tier="Intelligent-Tiering"
    )
    assert small["Tier"] == "Standard"
    big = ssm.put_parameter(
        Name=f"{root}/big", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering"
    )
    assert big["Tier"] == "Advanced"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{root}/big"]}])
    assert meta["Parameters"][0]["Tier"] == "Advanced"


def test_advanced_cannot_go_back_to_standard(ssm: SSMClient) -> None:
    name = f"{_root()}/adv"
    ssm.put_parameter(Name=name, Value="x", Type="String", Tier="Advanced")
    error = error_of(ssm.put_parameter, Name=name, Value="y", Tier="Standard", Overwrite=True)
    assert error.code == "ValidationException"
    assert "can't downgrade" in error.message
    # Omitting the tier on overwrite keeps Advanced; Intelligent-Tiering never downgrades.
    assert ssm.put_parameter(Name=name, Value="y", Overwrite=True)["Tier"] == "Advanced"
    again = ssm.put_parameter(Name=name, Value="z", Overwrite=True, Tier="Intelligent-Tiering")
    assert again["Tier"] == "Advanced"


def test_data_types(ssm: SSMClient) -> None:
    """text by default; aws:ec2:image checks the AMI id format; unknown types refused."""
    root = _root()
    ssm.put_parameter(
        Name=f"{root}/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image"
    )
    got = ssm.get_parameter(Name=f"{root}/ami")["Parameter"]
    assert got["DataType"] == "aws:ec2:image"
    bad_ami = error_of(
        ssm.put_parameter, Name=f"{root}/ami2", Value="not-an-ami", Type="String",
        DataType="aws:ec2:image",
    )  # fmt: skip
    assert bad_ami.code == "ValidationException"
    unknown = error_of(
        ssm.put_parameter, Name=f"{root}/dt", Value="x", Type="String", DataType="binary"
    )
    assert unknown.code == "ValidationException"
    assert "data type is not supported: binary" in unknown.message


def test_data_type_cannot_change_to_or_from_an_aws_type(ssm: SSMClient) -> None:
    """AWS user guide, parameter data types: no change to or from aws:ec2:image (nor
    aws:ssm:integration); an overwrite that leaves DataType out keeps it."""
    root = _root()
    ami, plain = f"{root}/ami", f"{root}/plain"
    ssm.put_parameter(
        Name=ami, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image"
    )
    ssm.put_parameter(Name=plain, Value="hello", Type="String")
    away = error_of(ssm.put_parameter, Name=ami, Value="hello", Overwrite=True, DataType="text")
    assert away.code == "ValidationException"
    assert "aws:ec2:image" in away.message
    to = error_of(
        ssm.put_parameter, Name=plain, Value="ami-0123456789abcdef1", Overwrite=True,
        DataType="aws:ec2:image",
    )  # fmt: skip
    assert to.code == "ValidationException"
    kept = ssm.put_parameter(Name=ami, Value="ami-0123456789abcdef1", Overwrite=True)
    assert kept["Version"] == 2
    got = ssm.get_parameter(Name=ami)["Parameter"]
    assert (got["DataType"], got["Value"]) == ("aws:ec2:image", "ami-0123456789abcdef1")
    assert ssm.get_parameter(Name=plain)["Parameter"]["DataType"] == "text"


def test_allowed_pattern(ssm: SSMClient) -> None:
    """Mismatch: ParameterPatternMismatchException naming the pattern; bad regex:
    InvalidAllowedPatternException."""
    root = _root()
    ssm.put_parameter(Name=f"{root}/ok", Value="42", Type="String", AllowedPattern=r"^\d+$")
    error = error_of(
        ssm.put_parameter, Name=f"{root}/no", Value="4x2", Type="String", AllowedPattern=r"^\d+$"
    )
    assert error.code == "ParameterPatternMismatchException"
    assert error.message == r"Parameter value, cannot be validated against allowedPattern: ^\d+$"
    bad = error_of(
        ssm.put_parameter, Name=f"{root}/re", Value="x", Type="String", AllowedPattern="([a-"
    )
    assert bad.code == "InvalidAllowedPatternException"


def test_string_list_items_are_checked_against_the_pattern(ssm: SSMClient) -> None:
    root = _root()
    ssm.put_parameter(Name=f"{root}/l", Value="1,2,3", Type="StringList", AllowedPattern=r"\d")
    got = ssm.get_parameter(Name=f"{root}/l")["Parameter"]
    assert (got["Type"], got["Value"]) == ("StringList", "1,2,3")
    error = error_of(
        ssm.put_parameter, Name=f"{root}/m", Value="1,x", Type="StringList", AllowedPattern=r"\d"
    )
    assert error.code == "ParameterPatternMismatchException"


def test_values_may_not_nest_parameters(ssm: SSMClient) -> None:
    error = error_of(ssm.put_parameter, Name=f"{_root()}/n", Value="{{ssm:/x}}", Type="String")
    assert error.code == "ValidationException"
    assert "can't nest another parameter" in error.message


def test_empty_value_is_refused(ssm: SSMClient) -> None:
    error = error_of(ssm.put_parameter, Name=f"{_root()}/e", Value="", Type="String")
    assert error.code == "ValidationException"


def test_key_id_rules(ssm: SSMClient) -> None:
    """KeyId: only for SecureString; an unknown key is InvalidKeyId; default alias/aws/ssm."""
    root = _root()
    not_secure = error_of(
        ssm.put_parameter, Name=f"{root}/k1", Value="a", Type="String", KeyId="alias/aws/ssm"
    )
    assert not_secure.code == "ValidationException"
    unknown = error_of(
        ssm.put_parameter, Name=f"{root}/k2", Value="a", Type="SecureString", KeyId="alias/nope"
    )
    assert unknown.code == "InvalidKeyId"
    ssm.put_parameter(Name=f"{root}/k3", Value="a", Type="SecureString")
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{root}/k3"]}])
    assert meta["Parameters"][0]["KeyId"] == "alias/aws/ssm"
    explicit = ssm.put_parameter(
        Name=f"{root}/k4", Value="a", Type="SecureString", KeyId="alias/aws/ssm"
    )
    assert explicit["Version"] == 1


def test_unknown_type_is_refused_by_the_model(ssm: SSMClient) -> None:
    error = error_of(ssm.put_parameter, Name=f"{_root()}/u", Value="a", Type="Binary")
    assert error.code == "ValidationException"
    assert "enum value set" in error.message


def test_hundred_versions_then_the_oldest_is_dropped(ssm: SSMClient) -> None:
    """Parameter Store keeps the 100 newest versions; the 101st evicts version 1."""
    name = f"{_root()}/many"
    for i in range(101):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    history = ssm.get_paginator("get_parameter_history").paginate(Name=name)
    versions = [p["Version"] for page in history for p in page["Parameters"]]
    assert versions == list(range(2, 102))
    error = error_of(ssm.get_parameter, Name=f"{name}:1")
    assert error.code == "ParameterVersionNotFound"


def test_a_labelled_oldest_version_blocks_the_101st(ssm: SSMClient) -> None:
    """If the oldest version has a label: ParameterMaxVersionLimitExceeded, AWS's text."""
    name = f"{_root()}/held"
    for i in range(100):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["keep"])
    error = error_of(ssm.put_parameter, Name=name, Value="x", Overwrite=True)
    assert error.code == "ParameterMaxVersionLimitExceeded"
    assert f"new version of {name}" in error.message
    assert "Version 1, the oldest version, can't be deleted" in error.message
    ssm.label_parameter_version(Name=name, ParameterVersion=50, Labels=["keep"])
    assert ssm.put_parameter(Name=name, Value="x", Overwrite=True)["Version"] == 101


def test_concurrent_overwrites_make_distinct_versions(server: ServerProcess) -> None:
    """Concurrent PutParameter on one name: no duplicate versions and no 500."""
    name = f"{_root()}/race"
    clients = [server.client() for _ in range(8)]
    clients[0].put_parameter(Name=name, Value="0", Type="String")

    def put(i: int) -> int | str:
        try:
            out = clients[i % 8].put_parameter(
                Name=name, Value=str(i), Type="String", Overwrite=True
            )
            return int(out["Version"])
        except botocore.exceptions.ClientError as exc:
            return aws_error(exc).code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(put, range(40)))
    versions = [r for r in results if isinstance(r, int)]
    assert all(r == "TooManyUpdates" for r in results if isinstance(r, str))
    assert len(versions) == len(set(versions))
    history = ssm_versions(clients[0], name)
    assert history == sorted(set(history))
    assert len(history) == 1 + len(versions)


def test_concurrent_creates_of_one_name_give_one_winner(server: ServerProcess) -> None:
    name = f"{_root()}/first"
    clients = [server.client() for _ in range(6)]

    def put(i: int) -> str:
        try:
            clients[i].put_parameter(Name=name, Value=str(i), Type="String")
            return "ok"
        except botocore.exceptions.ClientError as exc:
            return aws_error(exc).code

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(put, range(6)))
    assert results.count("ok") == 1
    assert set(results) <= {"ok", "ParameterAlreadyExists", "TooManyUpdates"}


def ssm_versions(client: SSMClient, name: str) -> list[int]:
    pages = client.get_paginator("get_parameter_history").paginate(Name=name)
    return [p["Version"] for page in pages for p in page["Parameters"]]
