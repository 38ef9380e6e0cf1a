"""Parameter names, paths, selectors and labels (PutParameter "Naming Constraints",
GetParametersByPath ``Path``, LabelParameterVersion label requirements)."""

from __future__ import annotations

import pytest

from openssm.errors import (
    AccessDeniedException,
    ApiError,
    HierarchyLevelLimitExceededException,
    ValidationException,
)
from openssm.server.services.parameters import names

REGION = "us-east-1"
ACCOUNT = "123456789012"
# The ARN before the name counts toward the 1011 characters.
LONGEST = 1011 - len(f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/")


def _check(name: str) -> str:
    return names.check_new_name(name, region=REGION, account_id=ACCOUNT)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain", "plain"),
        ("/a/b/c", "/a/b/c"),
        ("with.dots-and_underscores9", "with.dots-and_underscores9"),
        ("  /padded  ", "/padded"),  # outer spaces are removed, as AWS does
        ("/" + "/".join(f"L{i}" for i in range(1, 15)) + "/name", None),  # 15 levels
        ("a" * LONGEST, None),
        ("/app/aws/ssm", None),  # only the first level may not start with aws / ssm
    ],
    ids=["plain", "path", "symbols", "outer-spaces", "15-levels", "longest", "aws-deeper"],
)
def test_check_new_name_accepts_names_aws_accepts(name: str, expected: str | None) -> None:
    """Names of a-zA-Z0-9_.- with / between levels, up to 15 levels and 1011 ARN chars."""
    assert _check(name) == (expected or name)


@pytest.mark.parametrize(
    ("name", "error", "text"),
    [
        ("aws-thing", ValidationException, names.PREFIX_MESSAGE),
        ("SSMthing", ValidationException, names.PREFIX_MESSAGE),
        ("/awsome", ValidationException, names.PREFIX_MESSAGE),
        ("/awsome/x", ValidationException, names.NAME_MESSAGE),
        ("/ssm/thing", ValidationException, names.NAME_MESSAGE),
        ("/AwS/x", AccessDeniedException, "No access to reserved parameter name: /AwS/x."),
        ("has space", ValidationException, names.NAME_MESSAGE),
        ("bad*char", ValidationException, names.NAME_MESSAGE),
        ("/a//b", ValidationException, names.NAME_MESSAGE),
        ("/a/", ValidationException, names.NAME_MESSAGE),
        ("/", ValidationException, names.NAME_MESSAGE),
        ("a/b", ValidationException, names.QUALIFIED_MESSAGE),
        (
            "/" + "/".join(f"L{i}" for i in range(1, 16)) + "/name",
            HierarchyLevelLimitExceededException,
            names.LEVELS_MESSAGE,
        ),
        ("a" * (LONGEST + 1), ValidationException, f"less than or equal to {LONGEST}"),
    ],
    ids=[
        "aws-prefix", "ssm-prefix-any-case", "aws-in-word", "aws-in-word-path", "ssm-path",
        "aws-reserved-path", "inner-space", "bad-char", "empty-level", "trailing-slash", "root",
        "not-fully-qualified", "16-levels", "too-long",
    ],
)  # fmt: skip
def test_check_new_name_refuses_with_aws_error(name: str, error: type[ApiError], text: str) -> None:
    """Each broken naming constraint answers the AWS exception and wording."""
    with pytest.raises(error) as caught:
        _check(name)
    assert text in caught.value.message


@pytest.mark.parametrize(
    ("name", "key", "parent"),
    [("a", "/a", "/"), ("/a", "/a", "/"), ("/a/b", "/a/b", "/a"), ("/a/b/c", "/a/b/c", "/a/b")],
)
def test_key_of_makes_name_and_slash_name_one_parameter(name: str, key: str, parent: str) -> None:
    """`name` and `/name` are the same parameter (same ARN) in AWS."""
    assert names.key_of(name) == key
    assert names.parent_of(key) == parent


@pytest.mark.parametrize(
    ("path", "key"),
    [("/", "/"), ("/a", "/a"), ("/a/b/", "/a/b"), ("/aws/service", "/aws/service")],
)
def test_check_path_returns_the_level_key(path: str, key: str) -> None:
    """Paths start with /; reading AWS's public /aws hierarchy is allowed."""
    assert names.check_path(path) == key


@pytest.mark.parametrize("path", ["a/b", "noslash", "/a b", "/a/*"])
def test_check_path_refuses_malformed_paths(path: str) -> None:
    with pytest.raises(ValidationException) as caught:
        names.check_path(path)
    assert "Valid example: /get/parameters2-/by1./path0_." in caught.value.message


def test_check_path_refuses_more_than_15_levels() -> None:
    with pytest.raises(HierarchyLevelLimitExceededException):
        names.check_path("/" + "/".join(f"L{i}" for i in range(16)))


@pytest.mark.parametrize(
    ("label", "valid"),
    [
        ("prod", True),
        ("Prod.v1-rc_2", True),
        ("a" * 100, True),
        ("a" * 101, False),
        ("1st", False),  # can't begin with a number
        ("awsLabel", False),  # nor with aws / ssm, any case
        ("SSM-label", False),
        ("with/slash", False),
        ("with space", False),
        ("ümlaut", False),
        ("", False),
    ],
)
def test_is_valid_label_follows_label_requirements(label: str, valid: bool) -> None:
    """LabelParameterVersion: ≤100 chars of letters, digits . - _; no leading digit/aws/ssm."""
    assert names.is_valid_label(label) is valid


@pytest.mark.parametrize(
    ("text", "key", "selector", "version"),
    [
        ("/a/b", "/a/b", None, None),
        ("/a/b:3", "/a/b", ":3", 3),
        ("/a/b:prod", "/a/b", ":prod", None),
        ("plain:7", "/plain", ":7", 7),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b", "/a/b", None, None),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b:prod", "/a/b", ":prod", None),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain", "/plain", None, None),
        ("arn:aws:ssm:eu-west-1:123456789012:parameter/a", None, None, None),  # other region
        ("arn:aws:ssm:us-east-1:999999999999:parameter/a", None, None, None),  # other account
        ("arn:aws:ssm:us-east-1:123456789012:document/a", None, None, None),
        ("a/b", None, None, None),  # not fully qualified: names nothing
        ("/a:", None, None, None),
    ],
)
def test_parse_ref_reads_names_selectors_and_arns(
    text: str, key: str | None, selector: str | None, version: int | None
) -> None:
    """GetParameter(s) take `name`, `name:version`, `name:label` or the parameter's ARN."""
    ref = names.parse_ref(text, region=REGION, account_id=ACCOUNT)
    assert ref.key == key
    if key is not None:
        assert (ref.selector.wire if ref.selector else None) == selector
        assert (ref.selector.version if ref.selector else None) == version


def test_parse_ref_without_selectors_names_nothing_for_a_selector() -> None:
    """DeleteParameter and the tag operations take the bare name only."""
    ref = names.parse_ref("/a:1", region=REGION, account_id=ACCOUNT, allow_selector=False)
    assert ref.key is None


def test_parse_ref_refuses_inner_spaces() -> None:
    """ "If the specified name … contains spaces between characters, the request fails with a
    ValidationException" (GetParameter)."""
    with pytest.raises(ValidationException):
        names.parse_ref("/a b", region=REGION, account_id=ACCOUNT)


@pytest.mark.parametrize(
    ("text", "arn"),
    [
        ("/a/b:3", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b"),
        ("plain", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/plain"),
        (
            f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b:prod",
            f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b",
        ),
    ],
)
def test_resource_arn_strips_selectors_for_iam(text: str, arn: str) -> None:
    assert names.resource_arn(text, region=REGION, account_id=ACCOUNT) == arn
