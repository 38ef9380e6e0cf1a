"""Content text ⇄ data, and the document hash.

AWS keeps Content as submitted, reports ``Hash`` as the SHA-256 of it with
``HashType`` ``Sha256``, and GetDocument converts between JSON and YAML when
asked for another DocumentFormat.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from openssm.documents.content import (
    HASH_TYPE,
    MAX_DEPTH,
    DocumentFormat,
    convert_content,
    document_hash,
    parse_content,
    serialize_content,
)
from openssm.documents.errors import DocumentContentError

SAMPLE = {
    "schemaVersion": "2.2",
    "description": "Ünïcode survives",
    "parameters": {"n": {"type": "Integer", "default": 3}},
    "mainSteps": [
        {
            "action": "aws:runShellScript",
            "name": "run",
            "inputs": {"runCommand": ["set -e\necho one\n", "echo 'two: {{ n }}'"]},
        }
    ],
}


@pytest.mark.parametrize("fmt", [DocumentFormat.JSON, DocumentFormat.YAML])
def test_serialize_then_parse_round_trips(fmt: DocumentFormat) -> None:
    text = serialize_content(SAMPLE, fmt)
    assert parse_content(text, fmt) == SAMPLE


def test_yaml_writes_multi_line_strings_as_blocks() -> None:
    text = serialize_content(SAMPLE, "YAML")
    assert "- |\n" in text
    assert "Ünïcode" in text


def test_json_to_yaml_to_json_keeps_the_data() -> None:
    json_text = json.dumps(SAMPLE)
    yaml_text = convert_content(json_text, "JSON", "YAML")
    assert parse_content(convert_content(yaml_text, "YAML", "JSON"), "JSON") == SAMPLE


def test_convert_to_the_same_format_returns_the_text_untouched() -> None:
    """GetDocument in the stored format returns Content byte for byte."""
    text = '{ "schemaVersion":"2.2",\n  "mainSteps": [] }'
    assert convert_content(text, "JSON", DocumentFormat.JSON) is text


def test_hash_is_sha256_of_the_text_as_stored() -> None:
    text = '{"schemaVersion": "2.2"}'
    assert HASH_TYPE == "Sha256"
    assert document_hash(text) == hashlib.sha256(text.encode()).hexdigest()


def test_hash_is_stable_and_sensitive_to_formatting() -> None:
    """AWS hashes the submitted text, so reformatting changes the hash."""
    a = '{"schemaVersion": "2.2"}'
    assert document_hash(a) == document_hash(str(a))
    assert document_hash(a) != document_hash('{"schemaVersion":"2.2"}')


def test_hash_of_non_ascii_uses_utf8() -> None:
    assert document_hash("é") == hashlib.sha256("é".encode()).hexdigest()


def test_yaml_timestamps_stay_strings() -> None:
    assert parse_content("since: 2024-01-31\n", "YAML") == {"since": "2024-01-31"}


def test_unquoted_yaml_numbers_keep_their_yaml_type() -> None:
    assert parse_content("a: 10\nb: '10'\n", "YAML") == {"a": 10, "b": "10"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: [1\n", "line 2"),
        ("a: 1\n  b: 2\n", "line 2"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("base: &b {x: 1}\ncopy: *b\n", "aliases"),
        ("- 1\n- 2\n", "must be a YAML object"),
        ("", "must be a YAML object"),
        ("1: one\n", "mapping key 1"),
        ("blob: !!binary aGk=\n", "JSON cannot represent"),
        ("x: .inf\n", "not a finite number"),
    ],
)
def test_bad_yaml_is_refused_with_the_fault(text: str, needle: str) -> None:
    with pytest.raises(DocumentContentError) as info:
        parse_content(text, "YAML")
    assert needle in info.value.message
    assert info.value.message.startswith("Invalid document content: ")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"a": 1,\n "b": }', "line 2, column 7"),
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": NaN}', "NaN"),
        ("[1, 2]", "must be a JSON object"),
        ("[" * 5000 + "]" * 5000, "nesting"),
    ],
)
def test_bad_json_is_refused_with_the_fault(text: str, needle: str) -> None:
    with pytest.raises(DocumentContentError) as info:
        parse_content(text, "JSON")
    assert needle in info.value.message


def test_deep_nesting_within_the_parser_limit_is_still_refused() -> None:
    text = '{"a": ' + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "}"
    with pytest.raises(DocumentContentError, match="nesting deeper"):
        parse_content(text, "JSON")


def test_text_format_is_not_parsed() -> None:
    with pytest.raises(DocumentContentError, match="TEXT"):
        parse_content("echo hi", DocumentFormat.TEXT)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(DocumentContentError, match="unknown DocumentFormat"):
        parse_content("{}", "XML")


@pytest.mark.parametrize(
    ("text", "fmt", "needle"),
    [
        ('{"a": ' + "9" * 5000 + "}", DocumentFormat.JSON, "too many digits"),
        ("a: " + "9" * 5000 + "\n", DocumentFormat.YAML, "too many digits"),
        ('{"a": {"b": ["\\ud800"]}}', DocumentFormat.JSON, "a.b[0] contains a lone UTF-16"),
        ('a: "\\udfff"\n', DocumentFormat.YAML, "a contains a lone UTF-16"),
        ('{"\\ud800": 1}', DocumentFormat.JSON, "a mapping key at the top level"),
        ('{"a": "x\\u0000y"}', DocumentFormat.JSON, "a contains the NUL character"),
        ('a: "\\0"\n', DocumentFormat.YAML, "a contains the NUL character"),
    ],
)
def test_text_that_cannot_be_stored_or_run_is_refused(
    text: str, fmt: DocumentFormat, needle: str
) -> None:
    with pytest.raises(DocumentContentError) as info:
        parse_content(text, fmt)
    assert needle in info.value.message
    # The message itself must be encodable: it goes into a JSON error response and logs.
    info.value.message.encode("utf-8")


@pytest.mark.parametrize(
    "text",
    ["a\x85b", "x\x85", "line\x85\nnext\n", "a\u2028b", "a\u2029b", "a\r\nb", "\x85"],
)
def test_yaml_conversion_keeps_yaml_1_1_line_breaks(text: str) -> None:
    # YAML 1.1 folds an unescaped NEL (U+0085) in a plain or block scalar into a space or
    # newline, so GetDocument's JSON→YAML conversion must escape it, not write it raw.
    data = {"schemaVersion": "2.2", "s": text, text: 1}
    as_yaml = convert_content(json.dumps(data), DocumentFormat.JSON, DocumentFormat.YAML)
    assert parse_content(as_yaml, DocumentFormat.YAML) == data
