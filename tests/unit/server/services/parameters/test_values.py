"""Tiers, value limits, data types and AllowedPattern (PutParameter ``Tier``, ``Value``,
``DataType`` and ``AllowedPattern`` documentation)."""

from __future__ import annotations

import pytest

from openssm.errors import (
    InvalidAllowedPatternException,
    ParameterPatternMismatchException,
    ValidationException,
)
from openssm.server.services.parameters import values as pv
from openssm.server.services.parameters.values import Tier

SECRET = "canary-value-never-in-messages"


@pytest.mark.parametrize(
    ("requested", "current", "chars", "policies", "count", "expected"),
    [
        (None, None, 10, False, 0, Tier.STANDARD),  # the default tier setting is Standard
        (None, "Advanced", 10, False, 0, Tier.ADVANCED),  # an overwrite keeps its tier
        ("Advanced", None, 10, False, 0, Tier.ADVANCED),
        ("Advanced", "Standard", 10, False, 0, Tier.ADVANCED),  # upgrading is allowed
        ("Intelligent-Tiering", None, 4096, False, 0, Tier.STANDARD),
        ("Intelligent-Tiering", None, 4097, False, 0, Tier.ADVANCED),  # > 4 KB
        ("Intelligent-Tiering", None, 10, True, 0, Tier.ADVANCED),  # policies
        ("Intelligent-Tiering", None, 10, False, 10_000, Tier.ADVANCED),  # standard quota used
        ("Intelligent-Tiering", "Advanced", 10, False, 0, Tier.ADVANCED),  # never downgraded
    ],
)
def test_resolve_tier_follows_the_tier_rules(
    requested: str | None, current: str | None, chars: int, policies: bool, count: int,
    expected: Tier,
) -> None:  # fmt: skip
    """Intelligent-Tiering picks Advanced only when a value, a policy or the quota needs it."""
    got = pv.resolve_tier(
        requested, current=current, value_chars=chars, has_policies=policies, standard_count=count
    )
    assert got == expected


def test_resolve_tier_refuses_advanced_to_standard() -> None:
    """ "You can't revert an advanced parameter to a standard parameter.\""""
    with pytest.raises(ValidationException) as caught:
        pv.resolve_tier(
            "Standard", current="Advanced", value_chars=1, has_policies=False, standard_count=0
        )
    assert caught.value.message == pv.DOWNGRADE_MESSAGE


@pytest.mark.parametrize(
    ("value", "tier", "policies", "text"),
    [
        ("", Tier.STANDARD, False, "greater than or equal to 1"),
        ("x" * 4097, Tier.STANDARD, False, "maximum parameter value of 4096 characters"),
        ("x" * 8193, Tier.ADVANCED, False, "less than or equal to 8192"),
        ("x", Tier.STANDARD, True, "advanced-parameter tier"),
        ("a{{ssm:/other}}b", Tier.STANDARD, False, "can't nest another parameter"),
        ("{{\n}}", Tier.ADVANCED, False, "can't nest another parameter"),
    ],
    ids=["empty", "standard-4k", "advanced-8k", "standard-policies", "nested", "nested-multiline"],
)
def test_check_value_refuses_what_aws_refuses(
    value: str, tier: Tier, policies: bool, text: str
) -> None:
    """Standard holds 4,096 characters and no policies, Advanced 8,192; no {{…}} inside."""
    with pytest.raises(ValidationException) as caught:
        pv.check_value(value, tier=tier, has_policies=policies)
    assert text in caught.value.message
    assert value not in caught.value.message or not value


@pytest.mark.parametrize(
    ("value", "tier"),
    [("x" * 4096, Tier.STANDARD), ("x" * 8192, Tier.ADVANCED), ("{ {single} }", Tier.STANDARD)],
)
def test_check_value_accepts_values_within_limits(value: str, tier: Tier) -> None:
    pv.check_value(value, tier=tier, has_policies=False)


@pytest.mark.parametrize(
    ("data_type", "kind", "value", "ok"),
    [
        ("text", "String", "anything", True),
        ("text", "SecureString", "anything", True),
        ("aws:ec2:image", "String", "ami-0123456789abcdef0", True),
        ("aws:ec2:image", "String", "ami-12345678", True),
        ("aws:ec2:image", "String", "ami-xyz", False),
        ("aws:ec2:image", "SecureString", "ami-12345678", False),
        ("aws:ssm:integration", "SecureString", "{}", True),
        ("Text", "String", "x", False),  # data type names are all lower case
        ("aws:ec2:imag", "String", "x", False),
    ],
)
def test_check_data_type(data_type: str, kind: str, value: str, ok: bool) -> None:
    """text, aws:ec2:image (String holding an AMI id, format checked) or aws:ssm:integration."""
    if ok:
        assert pv.check_data_type(data_type, parameter_type=kind, value=value) == data_type
    else:
        with pytest.raises(ValidationException):
            pv.check_data_type(data_type, parameter_type=kind, value=value)


def test_check_pattern_names_the_pattern_never_the_value() -> None:
    """AWS: "Parameter value, cannot be validated against allowedPattern: <pattern>"."""
    with pytest.raises(ParameterPatternMismatchException) as caught:
        pv.check_pattern(SECRET, r"^\d+$", parameter_type="SecureString")
    assert (
        caught.value.message
        == r"Parameter value, cannot be validated against allowedPattern: ^\d+$"
    )
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "pattern", "kind", "ok"),
    [
        ("123", r"^\d+$", "String", True),
        ("123", r"\d+", "String", True),
        ("a123", r"\d+", "String", False),  # the whole value must match
        ("1,2,3", r"\d+", "StringList", True),  # each StringList item is checked
        ("1,x,3", r"\d+", "StringList", False),
        ("1,2,3", r"\d+", "String", False),
    ],
)
def test_check_pattern_matches_whole_values(value: str, pattern: str, kind: str, ok: bool) -> None:
    if ok:
        pv.check_pattern(value, pattern, parameter_type=kind)
    else:
        with pytest.raises(ParameterPatternMismatchException):
            pv.check_pattern(value, pattern, parameter_type=kind)


def test_compile_pattern_refuses_a_malformed_regex() -> None:
    with pytest.raises(InvalidAllowedPatternException):
        pv.compile_pattern("([a-z")
