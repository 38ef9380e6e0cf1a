"""IAM-style policy evaluation (SECURITY items 2-4).

The rules checked are IAM's policy evaluation logic for identity policies: an explicit
Deny overrides any Allow, an Allow is needed for access, and everything else is an
implicit deny. Action names match case-insensitively, resources case-sensitively.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openssm.server.api.authz import (
    Decision,
    Policy,
    PolicyError,
    Statement,
    evaluate,
    is_allowed,
    parse_policy,
)

ACCOUNT = "123456789012"
APP_DB = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db"
APP_KEY = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/app/key"
OTHER = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/other/x"
DOC = f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/AWS-RunShellScript"
GET = "ssm:GetParameter"
APP_ANY = "arn:aws:ssm:*:*:parameter/app/*"


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def policy(*statements: dict[str, Any]) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


NOT_SEND = {"Effect": "Allow", "NotAction": "ssm:SendCommand", "Resource": "*"}
DENY_NOT_GET = {"Effect": "Deny", "NotAction": "ssm:Get*", "Resource": "*"}
NOT_APP = {"Effect": "Allow", "Action": "ssm:*", "NotResource": APP_ANY}
DENY_NOT_TWO = {"Effect": "Deny", "Action": "ssm:*", "NotResource": [APP_DB, APP_KEY]}
# json.loads would silently keep the last "Effect" and turn this Deny into an Allow.
DUPLICATE_EFFECT = (
    '{"Statement": {"Effect": "Deny", "Effect": "Allow", "Action": "*", "Resource": "*"}}'
)


@pytest.mark.parametrize(
    ("statements", "action", "resource", "expected"),
    [
        pytest.param([allow(GET, APP_DB)], GET, APP_DB, "Allow", id="exact"),
        pytest.param([allow(GET, APP_DB)], GET + "s", APP_DB, "ImplicitDeny", id="not-a-prefix"),
        pytest.param([allow(GET, APP_DB)], GET, OTHER, "ImplicitDeny", id="other-resource"),
        pytest.param(
            [allow("ssm:Get*")], "ssm:GetParametersByPath", APP_DB, "Allow", id="get-star"
        ),
        pytest.param(
            [allow("ssm:Get*")], "ssm:PutParameter", APP_DB, "ImplicitDeny", id="get-star-miss"
        ),
        pytest.param([allow("ssm:*")], "ssm:SendCommand", DOC, "Allow", id="service-star"),
        pytest.param(
            [allow("ssm:*")], "ec2:RunInstances", DOC, "ImplicitDeny", id="service-star-other"
        ),
        pytest.param([allow("*")], "ec2:RunInstances", "*", "Allow", id="star-matches-all"),
        pytest.param([allow("ssm:GetParamete?")], GET, APP_DB, "Allow", id="question-mark"),
        pytest.param(
            [allow("ssm:GetParamete?")], GET + "s", APP_DB, "ImplicitDeny", id="question-mark-one"
        ),
        pytest.param([allow("ssm:getparameter")], GET, APP_DB, "Allow", id="action-any-case"),
        pytest.param(
            [allow("SSM:GETPARAMETER")], "ssm:getParameter", APP_DB, "Allow", id="action-any-case-2"
        ),
        pytest.param([allow(GET, APP_ANY)], GET, APP_KEY, "Allow", id="resource-star"),
        pytest.param([allow(GET, APP_ANY)], GET, OTHER, "ImplicitDeny", id="resource-star-miss"),
        pytest.param(
            [allow(GET, APP_ANY.replace("app", "APP"))],
            GET,
            APP_DB,
            "ImplicitDeny",
            id="resource-case",
        ),
        pytest.param(
            [allow(GET, APP_ANY[:-1] + "d?")], GET, APP_DB, "Allow", id="resource-question"
        ),
        pytest.param(
            [allow(GET, APP_DB[:-3] + ".db")], GET, APP_DB, "ImplicitDeny", id="dot-is-literal"
        ),
        pytest.param([allow(GET, APP_DB)], GET, "*", "ImplicitDeny", id="star-resource-needs-star"),
        pytest.param(
            [allow(["ssm:PutParameter", GET], [OTHER, APP_DB])], GET, APP_DB, "Allow", id="lists"
        ),
        pytest.param(
            [allow("ssm:*"), deny(GET, APP_DB)], GET, APP_DB, "ExplicitDeny", id="deny-wins"
        ),
        pytest.param(
            [deny(GET, APP_DB), allow("ssm:*")], GET, APP_DB, "ExplicitDeny", id="deny-wins-2"
        ),
        pytest.param([deny(GET, APP_DB)], GET, APP_DB, "ExplicitDeny", id="deny-alone"),
        pytest.param([allow("ssm:*"), deny("ssm:Delete*")], GET, APP_DB, "Allow", id="deny-other"),
        pytest.param([NOT_SEND], GET, APP_DB, "Allow", id="not-action"),
        pytest.param([NOT_SEND], "ssm:SendCommand", DOC, "ImplicitDeny", id="not-action-excludes"),
        pytest.param([NOT_SEND], "SSM:sendcommand", DOC, "ImplicitDeny", id="not-action-any-case"),
        pytest.param(
            [allow("*"), DENY_NOT_GET],
            "ssm:PutParameter",
            APP_DB,
            "ExplicitDeny",
            id="deny-not-action",
        ),
        pytest.param([allow("*"), DENY_NOT_GET], GET, APP_DB, "Allow", id="deny-not-action-spares"),
        pytest.param([NOT_APP], GET, OTHER, "Allow", id="not-resource"),
        pytest.param([NOT_APP], GET, APP_DB, "ImplicitDeny", id="not-resource-excludes"),
        pytest.param(
            [allow("*"), DENY_NOT_TWO], GET, OTHER, "ExplicitDeny", id="deny-not-resource"
        ),
        pytest.param(
            [allow("*"), DENY_NOT_TWO], GET, APP_KEY, "Allow", id="deny-not-resource-spares"
        ),
    ],
)
def test_evaluate(
    statements: list[dict[str, Any]], action: str, resource: str, expected: Decision
) -> None:
    assert evaluate([policy(*statements)], action, resource) == expected


def test_evaluate_denies_implicitly_without_policies() -> None:
    assert evaluate([], GET, APP_DB) == "ImplicitDeny"


def test_evaluate_lets_a_deny_in_one_policy_beat_an_allow_in_another() -> None:
    assert evaluate([policy(allow("*")), policy(deny("ssm:*"))], GET, APP_DB) == "ExplicitDeny"


@pytest.mark.timeout(5)
def test_evaluate_stays_fast_on_adversarial_resource_name() -> None:
    """Parameter names are caller-chosen (up to 2048 chars); a glob must not backtrack."""
    policies = [policy(allow("*", "arn:aws:ssm:*:*:parameter/*a*a*a*a*a*b"))]
    name = "arn:aws:ssm:us-east-1:123456789012:parameter/" + "a" * 2048

    assert evaluate(policies, GET, name) == "ImplicitDeny"
    assert evaluate(policies, GET, name + "b") == "Allow"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a*b*c", "abc", True),
        ("a*b*c", "aXbYbZc", True),
        ("a*b*c", "acb", False),
        ("a*b?c", "abbc", True),
        ("a*b?c", "abc", False),
        ("*a", "a", True),
        ("a*", "a", True),
        ("a**b", "ab", True),
        ("*ab*ab*", "abab", True),
        ("*ab*ab*", "aba", False),
        ("?*?", "x", False),
    ],
)
def test_evaluate_matches_wildcards_like_a_glob(pattern: str, value: str, expected: bool) -> None:
    policies = [policy(allow("*", f"arn:{pattern}"))]

    assert (evaluate(policies, GET, f"arn:{value}") == "Allow") is expected


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        pytest.param([APP_DB], True, id="one-allowed"),
        pytest.param([APP_DB, APP_KEY], True, id="all-allowed"),
        pytest.param([APP_DB, OTHER], False, id="one-not-allowed"),
        pytest.param([APP_DB, f"{APP_DB}/secret"], False, id="one-explicitly-denied"),
    ],
)
def test_is_allowed_requires_every_resource(resources: list[str], expected: bool) -> None:
    """A batch call (GetParameters) is allowed only if each named resource is."""
    policies = [
        policy(
            allow("ssm:GetParameter*", APP_ANY),
            deny("ssm:*", "arn:aws:ssm:*:*:parameter/app/db/secret"),
        )
    ]

    assert is_allowed(policies, "ssm:GetParameters", resources) is expected


def test_is_allowed_denies_with_no_policies() -> None:
    assert is_allowed([], GET, [APP_DB]) is False


def test_is_allowed_refuses_empty_resource_list() -> None:
    """An empty list must not be read as "nothing was denied"."""
    with pytest.raises(ValueError, match="must not be empty"):
        is_allowed([policy(allow("*"))], "ssm:DescribeInstanceInformation", [])


def test_parse_policy_accepts_json_text_single_statement_and_no_version() -> None:
    text = json.dumps({"Statement": {"Sid": "Read", **allow(GET, APP_DB)}})

    parsed = parse_policy(text)

    statement = Statement(effect="Allow", actions=(GET,), resources=(APP_DB,), sid="Read")
    assert parsed == Policy(statements=(statement,))
    assert evaluate([parsed], GET, APP_DB) == "Allow"


def test_parse_policy_accepts_2008_version() -> None:
    parse_policy({"Version": "2008-10-17", "Statement": [allow("ssm:*")]})


def changed(**changes: object) -> dict[str, Any]:
    """A one-statement policy whose statement differs from allow-all by ``changes``."""
    statement: dict[str, Any] = {**allow("*"), **changes}
    return {"Statement": [{k: v for k, v in statement.items() if v is not None}]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("{not json", "not valid JSON", id="bad-json"),
        pytest.param("[]", "must be a JSON object", id="json-array"),
        pytest.param({**changed(), "Version": "2020-01-01"}, "Version must be", id="bad-version"),
        pytest.param(
            {**changed(), "Version": ["2012-10-17"]}, "Version must be", id="version-list"
        ),
        pytest.param({**changed(), "Statements": []}, "unknown element", id="unknown-policy-key"),
        pytest.param({"Version": "2012-10-17"}, "Statement must be", id="no-statement"),
        pytest.param({"Statement": []}, "Statement must be", id="empty-statement-list"),
        pytest.param({"Statement": "Allow"}, "Statement must be", id="statement-string"),
        pytest.param({"Statement": ["x"]}, r"Statement\[0\]: must be a JSON object", id="item"),
        pytest.param(changed(Effect=None), r"Statement\[0\]: Effect must be", id="no-effect"),
        pytest.param(changed(Effect="allow"), "Effect must be 'Allow' or 'Deny'", id="effect-case"),
        pytest.param(changed(Action=None), "needs Action or NotAction", id="no-action"),
        pytest.param(
            changed(NotAction="ssm:Get*"), "Action or NotAction, not both", id="both-actions"
        ),
        pytest.param(changed(Resource=None), "needs Resource or NotResource", id="no-resource"),
        pytest.param(changed(NotResource=APP_DB), "or NotResource, not both", id="both-resources"),
        pytest.param(
            changed(Action=[]), "Action must be a string or a non-empty list", id="empty-list"
        ),
        pytest.param(
            changed(Action=["ssm:Get*", 3]), "Action must be a string or", id="not-string"
        ),
        pytest.param(changed(Action="GetParameter"), "or 'service:action'", id="no-service-prefix"),
        pytest.param(changed(Action="ssm:"), "or 'service:action'", id="empty-action-name"),
        pytest.param(changed(Resource="parameter/app"), "must be '\\*' or an ARN", id="not-an-arn"),
        pytest.param(
            changed(Resource=APP_ANY + "${aws:userid}"),
            r"policy variable \$\{aws:userid\} is not supported",
            id="unsupported-variable",
        ),
        pytest.param(changed(Condition={"Bool": {}}), "Condition is not supported", id="condition"),
        pytest.param(changed(Principal="*"), "Principal is not supported", id="principal"),
        pytest.param(changed(Actions="ssm:*"), "unknown element", id="unknown-statement-key"),
        pytest.param(changed(Sid=1), "Sid must be a string", id="sid-not-string"),
        pytest.param(DUPLICATE_EFFECT, "Duplicate key 'Effect'", id="duplicate-key"),
    ],
)
def test_parse_policy_refuses_malformed_document(
    document: str | dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document)


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


def test_statement_validates_when_built_directly() -> None:
    with pytest.raises(PolicyError, match="needs Resource or NotResource"):
        Statement(effect="Allow", actions=("ssm:*",))


SESSIONS_OF = "arn:aws:ssm:*:*:session/${aws:username}-*"


def _own_sessions_policy(variables: dict[str, str] | None) -> list[Policy]:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:TerminateSession", "Resource": SESSIONS_OF}
        ]
    }
    return [parse_policy(document, variables=variables)]


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        ("alice-0123456789abcdef0", "Allow"),
        ("bob-0123456789abcdef0", "ImplicitDeny"),
        # A user whose name begins another's does not reach the other's sessions.
        ("alice2-0123456789abcdef0", "ImplicitDeny"),
    ],
)
def test_aws_username_variable_is_the_callers_name(session: str, expected: str) -> None:
    policies = _own_sessions_policy({"aws:username": "alice"})
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/{session}"
    assert evaluate(policies, "ssm:TerminateSession", arn) == expected


def test_aws_username_variable_without_a_value_matches_nothing() -> None:
    policies = _own_sessions_policy(None)
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/-0123456789abcdef0"
    assert evaluate(policies, "ssm:TerminateSession", arn) == "ImplicitDeny"
