"""Parameter values, types, tiers and data types: AWS's rules, as pure functions.

Owns what PutParameter may store: which tier a value lands in, the size limits of each tier,
the data types, ``AllowedPattern`` and the ban on nested ``{{…}}`` references. A value that
may be a SecureString is never put into a message here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

from openssm.documents.patterns import compile_allowed_pattern
from openssm.errors import (
    InvalidAllowedPatternException,
    ParameterPatternMismatchException,
    ValidationException,
)


class ParameterType(StrEnum):
    STRING = "String"
    STRING_LIST = "StringList"
    SECURE_STRING = "SecureString"


class Tier(StrEnum):
    STANDARD = "Standard"
    ADVANCED = "Advanced"
    INTELLIGENT = "Intelligent-Tiering"


class DataType(StrEnum):
    TEXT = "text"
    EC2_IMAGE = "aws:ec2:image"
    SSM_INTEGRATION = "aws:ssm:integration"


STANDARD_MAX_CHARS = 4096
ADVANCED_MAX_CHARS = 8192
STANDARD_LIMIT = 10_000
ADVANCED_LIMIT = 100_000

_AMI = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_NESTED = re.compile(r"\{\{.*?\}\}", re.DOTALL)

DOWNGRADE_MESSAGE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
    "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
    "advanced parameter and recreate it as a standard parameter."
)
STANDARD_SIZE_MESSAGE = (
    f"Standard tier parameters support a maximum parameter value of {STANDARD_MAX_CHARS} "
    "characters. To create a larger parameter value, upgrade the parameter to use the "
    "advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
STANDARD_POLICIES_MESSAGE = (
    "Parameter policies are supported only for parameters in the advanced-parameter tier. "
    "Use Tier Advanced or Intelligent-Tiering to attach policies."
)
NESTED_MESSAGE = 'Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.'


def resolve_tier(
    requested: str | None,
    *,
    current: str | None,
    value_chars: int,
    has_policies: bool,
    standard_count: int,
) -> Tier:
    """The tier a PutParameter lands in (PutParameter ``Tier`` documentation).

    - An explicit Standard or Advanced is used as asked, but an Advanced parameter can never
      go back to Standard.
    - Intelligent-Tiering picks Advanced only when it is needed: a value over 4 KB, policies,
      or the account already at 10,000 standard parameters; an Advanced parameter stays so.
    - No tier: AWS applies the default-tier service setting, initially Standard. On an
      overwrite we keep the parameter's tier, so an update never fails for omitting it.
    """
    if requested is None:
        if current is not None:
            return Tier(current)
        requested = Tier.STANDARD
    if requested == Tier.INTELLIGENT:
        needs_advanced = (
            current == Tier.ADVANCED
            or value_chars > STANDARD_MAX_CHARS
            or has_policies
            or (current is None and standard_count >= STANDARD_LIMIT)
        )
        return Tier.ADVANCED if needs_advanced else Tier.STANDARD
    if requested == Tier.STANDARD and current == Tier.ADVANCED:
        raise ValidationException(DOWNGRADE_MESSAGE)
    return Tier(requested)


def check_value(value: str, *, tier: Tier, has_policies: bool) -> None:
    """Size limits per tier, no policies on Standard, and no nested ``{{…}}``.

    Sizes are counted in characters: Standard 4,096, Advanced 8,192. The value itself is never
    quoted in a message (it may be a SecureString).
    """
    if not value:
        raise ValidationException(
            "1 validation error detected: Value '***' at 'value' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if tier == Tier.STANDARD:
        if len(value) > STANDARD_MAX_CHARS:
            raise ValidationException(STANDARD_SIZE_MESSAGE)
        if has_policies:
            raise ValidationException(STANDARD_POLICIES_MESSAGE)
    elif len(value) > ADVANCED_MAX_CHARS:
        raise ValidationException(
            "1 validation error detected: Value '***' at 'value' failed to satisfy constraint: "
            f"Member must have length less than or equal to {ADVANCED_MAX_CHARS}"
        )
    if _NESTED.search(value):
        raise ValidationException(NESTED_MESSAGE)


def check_no_nul(member: str, text: str | None) -> None:
    """A NUL (U+0000) can't be stored: PostgreSQL text refuses it, so every store refuses it
    up front (a SecureString too, so one rule holds for every type). Never quotes the text."""
    if text is not None and "\x00" in text:
        raise ValidationException(
            f"The parameter {member} contains the NUL character (U+0000), which Parameter "
            "Store can't keep. Remove it, or encode the data (for example as base64)."
        )


def check_data_type(
    data_type: str, *, parameter_type: str, value: str, current: str | None = None
) -> DataType:
    """``text`` (the default), ``aws:ec2:image`` or ``aws:ssm:integration``.

    ``aws:ec2:image`` is for String parameters holding an AMI id; AWS also checks the image
    exists, asynchronously, which a self-hosted server cannot, so only the format is checked.
    A parameter can't be changed to or from the two ``aws:`` data types (``current`` is the
    data type of the version being overwritten).
    """
    try:
        kind = DataType(data_type)
    except ValueError:
        raise ValidationException(
            f"The following data type is not supported: {data_type} (Data type names are "
            "all lowercase.)"
        ) from None
    if current is not None and current != kind:
        # Of three data types, any change is to or from one of the two aws: ones.
        special = kind if kind != DataType.TEXT else current
        raise ValidationException(
            f"A parameter can't be changed to or from the {special} data type; it is "
            f"{current}. Delete it and create it again with data type {kind}."
        )
    if kind == DataType.EC2_IMAGE:
        if parameter_type != ParameterType.STRING:
            raise ValidationException(
                "The aws:ec2:image data type is supported only for parameters of type String."
            )
        if not _AMI.fullmatch(value):
            raise ValidationException(
                f"Parameter value, {value}, is not a valid AMI id for the aws:ec2:image data "
                "type. An AMI id looks like ami-0123456789abcdef0."
            )
    return kind


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile an ``AllowedPattern`` (``patterns.compile_allowed_pattern``); one that does
    not compile, or that backtracks exponentially, is InvalidAllowedPatternException.

    Refused here rather than at match time, so a parameter stored with such a pattern
    before the check can still be overwritten once its pattern is replaced.
    """
    try:
        return compile_allowed_pattern(pattern)
    except ValueError as exc:
        raise InvalidAllowedPatternException(
            f"The allowed pattern {pattern} can't be used: {exc}."
        ) from None


def check_pattern(value: str, pattern: str, *, parameter_type: str) -> None:
    """The value (each item of a StringList) must match ``AllowedPattern`` in full.

    The message names the pattern, never the value: AWS's text is "Parameter value, cannot be
    validated against allowedPattern: <pattern>".
    """
    regex = compile_pattern(pattern)
    items = value.split(",") if parameter_type == ParameterType.STRING_LIST else [value]
    matches: Callable[[str], re.Match[str] | None] = regex.fullmatch
    if not all(matches(item) for item in items):
        raise ParameterPatternMismatchException(
            f"Parameter value, cannot be validated against allowedPattern: {pattern}"
        )
