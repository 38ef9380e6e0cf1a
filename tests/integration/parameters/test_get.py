"""GetParameter, GetParameters and GetParameterHistory over the wire.

Rules: GetParameter(s) take `name`, `name:version`, `name:label` or the ARN; `Selector`
carries the suffix; an unknown version is ParameterVersionNotFound with AWS's text;
GetParameters lists misses in InvalidParameters and sorts results by name; SecureString
values are ciphertext unless WithDecryption (ssm-api.md §2.6).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.support import TEST_ACCOUNT_ID, TEST_REGION


def _root() -> str:
    return f"/get{uuid.uuid4().hex[:10]}"


def test_get_parameter_returns_every_member(ssm: SSMClient) -> None:
    name = f"{_root()}/db/host"
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    ssm.put_parameter(Name=name, Value="db.local", Type="String")
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert got["Name"] == name
    assert (got["Type"], got["Value"], got["Version"], got["DataType"]) == (
        "String", "db.local", 1, "text",
    )  # fmt: skip
    assert got["ARN"] == f"arn:aws:ssm:{TEST_REGION}:{TEST_ACCOUNT_ID}:parameter{name}"
    assert before <= got["LastModifiedDate"] <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    assert "Selector" not in got


def test_get_missing_parameter_is_parameter_not_found(ssm: SSMClient) -> None:
    error = error_of(ssm.get_parameter, Name=f"{_root()}/missing")
    assert error.code == "ParameterNotFound"


def test_version_selector(ssm: SSMClient) -> None:
    name = f"{_root()}/sel"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    got = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (got["Name"], got["Value"], got["Version"], got["Selector"]) == (name, "one", 1, ":1")
    error = error_of(ssm.get_parameter, Name=f"{name}:7")
    assert error.code == "ParameterVersionNotFound"
    assert error.message == (
        f"Systems Manager could not find version 7 of {name}. Verify the version and try again."
    )


def test_label_selector(ssm: SSMClient) -> None:
    name = f"{_root()}/lab"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    got = ssm.get_parameter(Name=f"{name}:stable")["Parameter"]
    assert (got["Value"], got["Version"], got["Selector"]) == ("one", 1, ":stable")
    assert error_of(ssm.get_parameter, Name=f"{name}:nolabel").code == "ParameterNotFound"


def test_get_by_arn(ssm: SSMClient) -> None:
    """GetParameter takes the parameter's ARN, with a selector too."""
    name = f"{_root()}/byarn"
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    arn = f"arn:aws:ssm:{TEST_REGION}:{TEST_ACCOUNT_ID}:parameter{name}"
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "v2"
    assert ssm.get_parameter(Name=f"{arn}:1")["Parameter"]["Value"] == "v1"
    foreign = f"arn:aws:ssm:{TEST_REGION}:999999999999:parameter{name}"
    assert error_of(ssm.get_parameter, Name=foreign).code == "ParameterNotFound"


def test_outer_spaces_are_ignored_inner_spaces_refused(ssm: SSMClient) -> None:
    name = f"{_root()}/sp"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    assert ssm.get_parameter(Name=f"  {name} ")["Parameter"]["Value"] == "v"
    assert error_of(ssm.get_parameter, Name=f"{name} x").code == "ValidationException"


def test_secure_string_is_ciphertext_unless_decrypted(ssm: SSMClient) -> None:
    name = f"{_root()}/secret"
    ssm.put_parameter(Name=name, Value="hunter2", Type="SecureString")
    sealed = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert sealed != "hunter2"
    assert b"hunter2" not in base64.b64decode(sealed)
    clear = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (clear["Value"], clear["Type"]) == ("hunter2", "SecureString")
    # Each value gets its own data key: the same plaintext seals differently.
    ssm.put_parameter(Name=name, Value="hunter2", Overwrite=True)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] != sealed
    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == (
        "hunter2"
    )


def test_with_decryption_is_ignored_for_plain_strings(ssm: SSMClient) -> None:
    name = f"{_root()}/plain"
    ssm.put_parameter(Name=name, Value="a,b", Type="StringList")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "a,b"


def test_get_parameters_lists_found_sorted_and_misses_separately(ssm: SSMClient) -> None:
    root = _root()
    for leaf in ("b", "a", "c"):
        ssm.put_parameter(Name=f"{root}/{leaf}", Value=leaf.upper(), Type="String")
    ssm.put_parameter(Name=f"{root}/a", Value="A2", Overwrite=True)
    ssm.label_parameter_version(Name=f"{root}/a", ParameterVersion=1, Labels=["first"])
    out = ssm.get_parameters(
        Names=[f"{root}/c", f"{root}/missing", f"{root}/a:first", f"{root}/b", f"{root}/a:9"]
    )
    found = [(p["Name"], p["Value"], p.get("Selector")) for p in out["Parameters"]]
    assert found == [
        (f"{root}/a", "A", ":first"),
        (f"{root}/b", "B", None),
        (f"{root}/c", "C", None),
    ]
    assert out["InvalidParameters"] == [f"{root}/missing", f"{root}/a:9"]


def test_get_parameters_answers_each_parameter_once_however_spelled(ssm: SSMClient) -> None:
    root = _root()
    ssm.put_parameter(Name=f"{root}/a", Value="1", Type="String")
    ssm.put_parameter(Name=f"{root}/a", Value="2", Type="String", Overwrite=True)
    out = ssm.get_parameters(Names=[f"{root}/a", f" {root}/a ", f"{root}/a", f"{root}/a:1"])
    found = [(p["Name"], p["Value"], p.get("Selector")) for p in out["Parameters"]]
    assert found == [(f"{root}/a", "2", None), (f"{root}/a", "1", ":1")]
    assert out["InvalidParameters"] == []


def test_get_parameters_decrypts_on_request(ssm: SSMClient) -> None:
    root = _root()
    ssm.put_parameter(Name=f"{root}/s", Value="topsecret", Type="SecureString")
    out = ssm.get_parameters(Names=[f"{root}/s"], WithDecryption=True)
    assert out["Parameters"][0]["Value"] == "topsecret"
    assert ssm.get_parameters(Names=[f"{root}/s"])["Parameters"][0]["Value"] != "topsecret"


def test_get_parameters_refuses_more_than_ten_names(ssm: SSMClient) -> None:
    error = error_of(ssm.get_parameters, Names=[f"/n{i}" for i in range(11)])
    assert error.code == "ValidationException"
    assert "Member must have length less than or equal to 10" in error.message


def test_history_lists_every_version_with_labels_and_users(ssm: SSMClient) -> None:
    name = f"{_root()}/hist"
    ssm.put_parameter(Name=name, Value="s1", Type="SecureString", Description="first")
    ssm.put_parameter(Name=name, Value="s2", Overwrite=True, Description="second")
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["b", "a"])
    plain = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [p["Version"] for p in plain] == [1, 2]
    assert [p["Labels"] for p in plain] == [[], ["a", "b"]]
    assert [p["Description"] for p in plain] == ["first", "second"]
    assert all(p["Value"] not in ("s1", "s2") for p in plain)
    assert {p["KeyId"] for p in plain} == {"alias/aws/ssm"}
    assert {p["LastModifiedUser"] for p in plain} == {f"arn:aws:iam::{TEST_ACCOUNT_ID}:user/admin"}
    clear = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in clear] == ["s1", "s2"]


def test_history_pages_with_next_token(ssm: SSMClient) -> None:
    name = f"{_root()}/hp"
    for i in range(7):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    first = ssm.get_parameter_history(Name=name, MaxResults=3)
    assert [p["Version"] for p in first["Parameters"]] == [1, 2, 3]
    second = ssm.get_parameter_history(Name=name, MaxResults=3, NextToken=first["NextToken"])
    assert [p["Version"] for p in second["Parameters"]] == [4, 5, 6]
    third = ssm.get_parameter_history(Name=name, MaxResults=3, NextToken=second["NextToken"])
    assert [p["Version"] for p in third["Parameters"]] == [7]
    assert "NextToken" not in third
    bad = error_of(ssm.get_parameter_history, Name=name, NextToken=first["NextToken"][:-2] + "xx")
    assert bad.code == "InvalidNextToken"


def test_history_of_missing_parameter_is_not_found(ssm: SSMClient) -> None:
    assert error_of(ssm.get_parameter_history, Name=f"{_root()}/none").code == "ParameterNotFound"


def test_history_max_results_over_50_is_refused(ssm: SSMClient) -> None:
    error = error_of(ssm.get_parameter_history, Name="/x", MaxResults=51)
    assert error.code == "ValidationException"
