"""allowedPattern regexes that backtrack exponentially are recognised; everyday ones are not.

The "everyday" list holds patterns from AWS's own documents (AWS-UpdateSSMAgent,
AWS-ConfigureAWSPackage, the port-forwarding sessions) and common shapes: delimited lists,
dotted versions, URLs, enumerations.
"""

from __future__ import annotations

import time

import pytest

from openssm.documents.errors import DocumentParameterError
from openssm.documents.parameters import ParameterDef, ParameterType, check_value
from openssm.documents.patterns import backtracking_risk

EXPONENTIAL = [
    "^(a+)+$",
    "^([a-z0-9]+)*@x$",
    "^(\\w+\\s?)+$",
    "^(ab|a.)*$",
    "^(a|a)*$",
    "^(.*a){20}$",
    "(a|aa)+",
    "^(a*)*b",
    "^(a+|b)+$",
    "(a?){30}a{30}",
    "(x+x+)+y",
]

EVERYDAY = [
    "^(|[0-9]+(\\.[0-9]+){1,3})$",
    "^([a-zA-Z0-9_\\-]+(,[a-zA-Z0-9_\\-]+)*)?$",
    "^(\\d+\\.){3}\\d+$",
    "^([0-9]{1,3}\\.){3}[0-9]{1,3}$",
    "(^$)|^https://.+$|^s3://[^/]+/.+$",
    "^(Install|Uninstall)$",
    "(?i)^(yes|no)$",
    "^((?!--).)*$",
    "^(foo|bar)*$",
    "(ab|a)*",
    "a*+",
    "(?>a+)+",
    "^([a-z]+ )*[a-z]+$",
    "^[^;&|`$]*$",
    "^([1-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$",
    "^(arn:[a-z0-9-]+:ssm:[a-z0-9-]*:[0-9]*:package/)?[a-zA-Z0-9_\\-.]{3,128}$",
]


@pytest.mark.parametrize("pattern", EXPONENTIAL)
def test_exponential_patterns_are_recognised(pattern: str) -> None:
    assert backtracking_risk(pattern) is not None


@pytest.mark.parametrize("pattern", EVERYDAY)
def test_everyday_patterns_pass(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


def test_a_stored_risky_pattern_is_refused_before_matching() -> None:
    # A version written before the check existed still must not stall a render.
    defn = ParameterDef(name="p", type=ParameterType.STRING, allowed_pattern="^(a+)+$")
    started = time.monotonic()
    with pytest.raises(DocumentParameterError) as info:
        check_value(defn, "a" * 40 + "!")
    assert time.monotonic() - started < 1
    assert "backtrack" in info.value.message
    assert "aaaa" not in info.value.message
