"""Parameter Store input at the edges: odd selectors, NUL characters, out-of-range policies.

Whatever a caller sends, the answer is a client error AWS would name (or a normal result),
never an InternalServerError, and a refused call leaves nothing behind. Rules (ssm-api.md §2.6,
§2.14): a selector is a version (ASCII digits) or else a label; names, labels and filter
values never hold a NUL, so they name nothing; a value, description or pattern with a NUL
cannot be stored on PostgreSQL and is refused on every store alike.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of


def _root() -> str:
    return f"/edge{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("selector", ["\u00b2", "\u0663", "\uff11"])
def test_non_ascii_digit_selector_is_a_label_not_a_version(ssm: SSMClient, selector: str) -> None:
    """Only ASCII digits make a version: superscript two, Arabic-Indic three and fullwidth one
    are labels (that don't exist), not versions."""
    name = f"{_root()}/sel"
    for value in ("one", "two", "three"):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    error = error_of(ssm.get_parameter, Name=f"{name}:{selector}")
    assert (error.code, error.status) == ("ParameterNotFound", 400)
    out = ssm.get_parameters(Names=[f"{name}:{selector}", name])
    assert out["InvalidParameters"] == [f"{name}:{selector}"]
    assert [p["Value"] for p in out["Parameters"]] == ["three"]


@pytest.mark.parametrize("version", ["9223372036854775808", "99999999999999999999"])
def test_version_selector_beyond_64_bits_is_version_not_found(ssm: SSMClient, version: str) -> None:
    name = f"{_root()}/big"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    error = error_of(ssm.get_parameter, Name=f"{name}:{version}")
    assert (error.code, error.status) == ("ParameterVersionNotFound", 400)
    assert error.message == (
        f"Systems Manager could not find version {version} of {name}. "
        "Verify the version and try again."
    )
    out = ssm.get_parameters(Names=[f"{name}:{version}"])
    assert (out["Parameters"], out["InvalidParameters"]) == ([], [f"{name}:{version}"])


def test_names_with_nul_name_nothing(ssm: SSMClient) -> None:
    name = f"{_root()}/nul"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.label_parameter_version(Name=name, Labels=["stable"])
    for bad in (f"{name}\x00", f"{name}:stable\x00", f"{name}:\x00"):
        assert error_of(ssm.get_parameter, Name=bad).code == "ParameterNotFound"
        assert ssm.get_parameters(Names=[bad])["InvalidParameters"] == [bad]
    assert error_of(ssm.get_parameter_history, Name=f"{name}\x00").code == "ParameterNotFound"
    assert error_of(ssm.delete_parameter, Name=f"{name}\x00").code == "ParameterNotFound"
    out = ssm.delete_parameters(Names=[f"{name}\x00"])
    assert (out["DeletedParameters"], out["InvalidParameters"]) == ([], [f"{name}\x00"])
    assert error_of(ssm.label_parameter_version, Name=f"{name}\x00", Labels=["x"]).code == (
        "ParameterNotFound"
    )
    tags = error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=f"{name}\x00")
    assert tags.code == "InvalidResourceId"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v"


@pytest.mark.parametrize(
    "extra",
    [
        {"Value": "a\x00b"},
        {"Value": "a\x00b", "Type": "SecureString"},
        {"Description": "d\x00"},
        {"AllowedPattern": "a\x00?b"},
    ],
)
def test_nul_in_stored_text_is_refused_and_nothing_is_stored(
    ssm: SSMClient, extra: dict[str, str]
) -> None:
    name = f"{_root()}/nulput"
    request = {"Name": name, "Value": "ab", "Type": "String", **extra}
    error = error_of(ssm.put_parameter, **request)
    assert (error.code, error.status) == ("ValidationException", 400)
    assert "NUL" in error.message
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"


@pytest.mark.parametrize(
    "filters",
    [
        [{"Key": "Name", "Values": ["/a\x00"]}],
        [{"Key": "Name", "Option": "BeginsWith", "Values": ["/a\x00"]}],
        [{"Key": "Path", "Option": "Recursive", "Values": ["/a\x00"]}],
        [{"Key": "KeyId", "Values": ["k\x00"]}],
    ],
)
def test_nul_in_describe_filter_value_is_invalid_filter_value(
    ssm: SSMClient, filters: list[dict[str, Any]]
) -> None:
    error = error_of(ssm.describe_parameters, ParameterFilters=filters)
    assert (error.code, error.status) == ("InvalidFilterValue", 400)


def test_nul_in_legacy_filter_and_by_path_filter_is_invalid_filter_value(ssm: SSMClient) -> None:
    legacy = error_of(ssm.describe_parameters, Filters=[{"Key": "Name", "Values": ["/a\x00"]}])
    assert legacy.code == "InvalidFilterValue"
    by_path = error_of(
        ssm.get_parameters_by_path,
        Path="/",
        ParameterFilters=[{"Key": "Label", "Values": ["l\x00"]}],
    )
    assert by_path.code == "InvalidFilterValue"


def _policy(kind: str, **attributes: Any) -> dict[str, Any]:
    return {"Type": kind, "Version": "1.0", "Attributes": attributes}


_EXPIRATION = _policy("Expiration", Timestamp="2035-01-01T00:00:00.000Z")


@pytest.mark.parametrize(
    "policies",
    [
        [_policy("NoChangeNotification", After="3000000", Unit="Days")],
        [_policy("NoChangeNotification", After="99999999999999999999", Unit="Hours")],
        [_policy("NoChangeNotification", After="\u00b2", Unit="Days")],
        [_policy("NoChangeNotification", After="\u0663", Unit="Days")],
        [_policy("NoChangeNotification", After="1", Unit=["Days"])],
        [_policy("NoChangeNotification", After="1", Unit={"Days": 1})],
        [_EXPIRATION, _policy("ExpirationNotification", Before="99999999999", Unit="Days")],
        [_policy("Expiration", Timestamp="9999-12-31T23:59:59-05:00")],
    ],
)
def test_out_of_range_policy_attributes_are_refused(
    ssm: SSMClient, policies: list[dict[str, Any]]
) -> None:
    name = f"{_root()}/pol"
    error = error_of(
        ssm.put_parameter,
        Name=name,
        Value="v",
        Type="String",
        Tier="Advanced",
        Policies=json.dumps(policies),
    )
    assert (error.code, error.status) == ("InvalidPolicyAttributeException", 400)
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"


def test_longest_allowed_policy_period_is_accepted(ssm: SSMClient) -> None:
    name = f"{_root()}/longest"
    policies = [_policy("NoChangeNotification", After="36500", Unit="Days")]
    ssm.put_parameter(
        Name=name, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies)
    )
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    assert [p["PolicyType"] for p in described["Parameters"][0]["Policies"]] == [
        "NoChangeNotification"
    ]


@pytest.mark.parametrize(
    ("pattern", "value"),
    [(r"^\d+$", "\u0661\u0662"), (r"^\w+$", "caf\u00e9"), (r"(?i)^[a-z]+$", "\u017f")],
)
def test_allowed_pattern_classes_are_ascii_as_in_java(
    ssm: SSMClient, pattern: str, value: str
) -> None:
    """AWS evaluates AllowedPattern as a Java regex, whose \\d, \\w, \\s and case folding are
    ASCII-only: Arabic-Indic digits are not \\d, "é" is not \\w."""
    name = f"{_root()}/ascii"
    error = error_of(
        ssm.put_parameter, Name=name, Value=value, Type="String", AllowedPattern=pattern
    )
    assert error.code == "ParameterPatternMismatchException"
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^(\\w+\\s?)+$", "^(a|aa)+$"])
def test_exponentially_backtracking_allowed_pattern_is_refused_at_once(
    ssm: SSMClient, pattern: str
) -> None:
    """Matched as given, forty ``a`` and a ``!`` would hold the server's only thread for hours;
    the pattern is refused before any value meets it, and nothing is stored."""
    name = f"{_root()}/redos"
    error = error_of(
        ssm.put_parameter, Name=name, Value="a" * 40 + "!", Type="String", AllowedPattern=pattern
    )
    assert error.code == "InvalidAllowedPatternException"
    assert "backtrack" in error.message
    assert pattern in error.message
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"


def test_delimited_repeats_stay_allowed(ssm: SSMClient) -> None:
    """Patterns whose repeated parts start with a delimiter are linear, and common: kept."""
    root = _root()
    for index, (pattern, value) in enumerate(
        [
            (r"^(/[a-zA-Z0-9_.-]+)+$", "/app/db/host"),
            (r"^[0-9]+(\.[0-9]+){3}$", "10.0.0.1"),
            (r"^([a-z]+,)*[a-z]+$", "red,green,blue"),
        ]
    ):
        name = f"{root}/ok{index}"
        ssm.put_parameter(Name=name, Value=value, Type="String", AllowedPattern=pattern)
        assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == value


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"^\p{Alpha}+$", "abcXYZ", "abc1"),
        (r"^[\p{Alnum}_-]{3,}$", "db-1_x", "db.1"),
        (r"^prod-(?i)[a-z]+$", "prod-WEB", "PROD-web"),
        (r"^\Q1.2\E\.\d+$", "1.2.7", "1x2.7"),
        (r"^\p{Lu}\p{Ll}+$", "\u00c9mile", "emile"),
    ],
)
def test_java_only_pattern_syntax_works_as_on_aws(
    ssm: SSMClient, pattern: str, good: str, bad: str
) -> None:
    """AllowedPattern is a Java regex on AWS: POSIX and Unicode property classes, a flag group
    after the start and quoted text all mean what they mean in Java."""
    name = f"{_root()}/java"
    ssm.put_parameter(Name=name, Value=good, Type="String", AllowedPattern=pattern)
    error = error_of(
        ssm.put_parameter,
        Name=name,
        Value=bad,
        Type="String",
        AllowedPattern=pattern,
        Overwrite=True,
    )
    assert error.code == "ParameterPatternMismatchException"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == good


def test_java_syntax_without_a_python_meaning_is_refused_by_name(ssm: SSMClient) -> None:
    name = f"{_root()}/java"
    error = error_of(
        ssm.put_parameter, Name=name, Value="b", Type="String", AllowedPattern="^[a-z&&[^aeiou]]$"
    )
    assert error.code == "InvalidAllowedPatternException"
    assert "&&" in error.message


@pytest.mark.parametrize(
    ("pattern", "fault"),
    [
        ("\\", "lone backslash"),
        ("^abc\\", "lone backslash"),
        ("[a\\", "lone backslash"),
        ("^a{99999999999999999999}$", "repetition count"),
        ("(" * 500 + ")" * 500, "nested too deeply"),
    ],
)
@pytest.mark.usefixtures("no_traceback")
def test_a_pattern_re_cannot_compile_is_refused_by_name(
    ssm: SSMClient, pattern: str, fault: str
) -> None:
    """Before, each of these was an InternalServerError (and botocore retried it)."""
    name = f"{_root()}/uncompilable"
    error = error_of(ssm.put_parameter, Name=name, Value="a", Type="String", AllowedPattern=pattern)
    assert error.code == "InvalidAllowedPatternException"
    assert fault in error.message
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"
