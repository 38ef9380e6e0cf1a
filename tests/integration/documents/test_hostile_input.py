"""Hostile Content and version numbers: each a 4xx naming the fault, never InternalServerError.

Found by probing with boto3 (on both databases): integer literals longer than Python's
int-conversion limit, lone UTF-16 surrogates and NUL characters inside document strings, and
version numbers wider than a 64-bit database integer. After a refused call the document is
unchanged, and ``allowedPattern`` regexes that backtrack exponentially are refused when the
document is written, before any value is matched against them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE, unique

_STEP = {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["ls"]}}


def _document(**extra: Any) -> dict[str, Any]:
    return {"schemaVersion": "2.2", "mainSteps": [_STEP], **extra}


@pytest.mark.parametrize(
    ("content", "document_format", "needle"),
    [
        # 5,000 digits: past CPython's int-conversion limit (4,300), a ValueError in the parser.
        ('{"schemaVersion": "2.2", "description": ' + "9" * 5000 + "}", "JSON", "digits"),
        ("schemaVersion: '2.2'\ndescription: " + "9" * 5000 + "\n", "YAML", "digits"),
        # A lone surrogate decodes in JSON and YAML but can't be stored or hashed as UTF-8.
        (
            '{"schemaVersion": "2.2", "description": "\\ud800", "mainSteps": '
            + json.dumps([_STEP])
            + "}",
            "JSON",
            "description",
        ),
        (
            'schemaVersion: "2.2"\ndescription: "\\ud800"\nmainSteps:\n'
            "- action: aws:runShellScript\n  name: run\n  inputs: {runCommand: [ls]}\n",
            "YAML",
            "description",
        ),
        (
            '{"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", '
            '"name": "run", "inputs": {"runCommand": ["\\udfff"]}}]}',
            "JSON",
            "mainSteps[0].inputs.runCommand[0]",
        ),
        # PostgreSQL text can't hold NUL, and no script or argument can carry one.
        (json.dumps(_document(description="a\x00b")), "JSON", "description"),
    ],
    ids=[
        "json-long-int",
        "yaml-long-int",
        "json-surrogate",
        "yaml-surrogate",
        "deep-surrogate",
        "nul",
    ],
)
def test_unrepresentable_content_is_invalid_document_content(
    ssm: SSMClient, content: str, document_format: str, needle: str
) -> None:
    found = error_of(
        ssm.create_document, Name=unique(), Content=content, DocumentFormat=document_format
    )
    assert found.code == "InvalidDocumentContent"
    assert needle in found.message


@pytest.mark.parametrize("document_format", ["JSON", "YAML"])
def test_content_with_a_raw_lone_surrogate_is_refused_naming_the_member(
    ssm: SSMClient, document_format: str
) -> None:
    # botocore sends the surrogate as a \\ud800 escape in the request body; the server's
    # Content string then holds it raw, so the request's validation refuses it, as it does
    # for any string member.
    content = json.dumps(_document(description="x"))[:-1] + ', "z": "\ud800"}'
    found = error_of(
        ssm.create_document, Name=unique(), Content=content, DocumentFormat=document_format
    )
    assert found.code == "ValidationException"
    assert "'content'" in found.message
    assert "surrogate" in found.message


def test_unrepresentable_update_leaves_the_document_as_it_was(ssm: SSMClient) -> None:
    name = unique()
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE))
    bad = (
        '{"schemaVersion": "2.2", "description": "\\udc00", "mainSteps": '
        + json.dumps([_STEP])
        + "}"
    )
    assert error_of(ssm.update_document, Name=name, Content=bad).code == "InvalidDocumentContent"
    described = ssm.describe_document(Name=name)["Document"]
    assert described["LatestVersion"] == "1"
    assert [
        v["DocumentVersion"] for v in ssm.list_document_versions(Name=name)["DocumentVersions"]
    ] == ["1"]


@pytest.mark.parametrize("version", ["9" * 25, str(2**63)])
def test_version_numbers_past_64_bits_are_invalid_document_version(
    ssm: SSMClient, version: str
) -> None:
    name = unique()
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE))
    for call, kwargs in (
        (ssm.get_document, {}),
        (ssm.describe_document, {}),
        (ssm.delete_document, {}),
        (ssm.update_document_default_version, {}),
        (ssm.update_document, {"Content": json.dumps({**SIMPLE, "description": "x"})}),
    ):
        found = error_of(call, Name=name, DocumentVersion=version, **kwargs)
        assert found.code == "InvalidDocumentVersion", (call, found)
    assert ssm.describe_document(Name=name)["Document"]["DefaultVersion"] == "1"


@pytest.mark.parametrize(
    "pattern",
    [
        "^(a+)+$",
        "^([a-z0-9]+)*@x$",
        "^(\\w+\\s?)+$",
        "^(ab|a.)*$",
        "^(a|a)*$",
        "^(.*a){20}$",
    ],
)
def test_exponentially_backtracking_allowed_pattern_is_refused_at_once(
    ssm: SSMClient, pattern: str
) -> None:
    content = _document(
        parameters={"p": {"type": "String", "allowedPattern": pattern, "default": "a" * 40 + "!"}}
    )
    started = time.monotonic()
    found = error_of(ssm.create_document, Name=unique(), Content=json.dumps(content))
    assert time.monotonic() - started < 5
    assert found.code == "InvalidDocumentContent"
    assert "parameters.p.allowedPattern" in found.message


@pytest.mark.parametrize(
    ("pattern", "fault"),
    [
        ("^abc\\", "lone backslash"),
        ("^a{99999999999999999999}$", "repetition count"),
        ("(" * 600 + ")" * 600, "nested too deeply"),
    ],
)
@pytest.mark.usefixtures("no_traceback")
def test_allowed_pattern_re_cannot_compile_is_refused_by_name(
    ssm: SSMClient, pattern: str, fault: str
) -> None:
    """Before, each of these was an InternalServerError."""
    content = _document(parameters={"p": {"type": "String", "allowedPattern": pattern}})
    found = error_of(ssm.create_document, Name=unique(), Content=json.dumps(content))
    assert found.code == "InvalidDocumentContent"
    assert "parameters.p.allowedPattern" in found.message
    assert fault in found.message


@pytest.mark.parametrize(
    "pattern",
    [
        # Real AWS documents' patterns: repeats nested, but each turn starts with a delimiter.
        "^(|[0-9]+(\\.[0-9]+){1,3})$",
        "^([a-zA-Z0-9_\\-]+(,[a-zA-Z0-9_\\-]+)*)?$",
        "^(\\d+\\.){3}\\d+$",
        "(^$)|^https://.+$|^s3://[^/]+/.+$",
        "^(Install|Uninstall)$",
        "^((?!--).)*$",
        "^(foo|bar)*$",
    ],
)
def test_everyday_allowed_patterns_are_accepted(ssm: SSMClient, pattern: str) -> None:
    content = _document(parameters={"p": {"type": "String", "allowedPattern": pattern}})
    created = ssm.create_document(Name=unique(), Content=json.dumps(content))
    assert created["DocumentDescription"]["Status"] == "Active"
