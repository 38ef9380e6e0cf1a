"""Parameter definitions and supplied values.

AWS rules checked (User Guide, "Data elements and parameters"): parameter
types String, StringList, Boolean, Integer, StringMap, MapList; attributes
default, allowedValues, allowedPattern, minItems/maxItems, minChars/maxChars,
displayType (textfield|textarea). SendCommand passes Parameters as a map of
name to a list of strings; a missing required or an unknown parameter, or a
value outside allowedValues/allowedPattern, is InvalidParameters.
"""

from __future__ import annotations

from typing import Any

import pytest

from openssm.documents.errors import DocumentContentError, DocumentParameterError
from openssm.documents.parameter_defs import parse_parameter_defs
from openssm.documents.parameters import (
    ALL_TYPES,
    ParameterDef,
    ParameterType,
    ParamValue,
    validate_parameters,
)


def defs(**specs: dict[str, Any]) -> tuple[ParameterDef, ...]:
    return parse_parameter_defs(specs, allowed_types=ALL_TYPES)


def one(spec: dict[str, Any], supplied: list[str] | None) -> ParamValue:
    values = validate_parameters(defs(p=spec), {} if supplied is None else {"p": supplied})
    return values["p"]


def refused(spec: dict[str, Any], supplied: list[str] | None) -> DocumentParameterError:
    with pytest.raises(DocumentParameterError) as info:
        one(spec, supplied)
    assert info.value.path == "p"
    assert info.value.aws_code == "InvalidParameters"
    return info.value


def bad_definition(spec: dict[str, Any]) -> DocumentContentError:
    with pytest.raises(DocumentContentError) as info:
        defs(p=spec)
    return info.value


# --- types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "supplied", "expected"),
    [
        ({"type": "String"}, ["hello world"], "hello world"),
        ({"type": "String"}, [""], ""),
        ({"type": "StringList"}, ["a", "b"], ["a", "b"]),
        ({"type": "StringList"}, [], []),
        ({"type": "Integer"}, ["42"], 42),
        ({"type": "Integer"}, ["-7"], -7),
        ({"type": "Boolean"}, ["true"], True),
        ({"type": "Boolean"}, ["FALSE"], False),
        ({"type": "StringMap"}, ['{"k": "v", "n": ["x"]}'], {"k": "v", "n": ["x"]}),
        ({"type": "MapList"}, ['[{"a": 1}, {"b": 2}]'], [{"a": 1}, {"b": 2}]),
        ({"type": "MapList"}, ['{"a": 1}', '{"b": 2}'], [{"a": 1}, {"b": 2}]),
    ],
)
def test_each_type_accepts_its_wire_form(
    spec: dict[str, Any], supplied: list[str], expected: ParamValue
) -> None:
    assert one(spec, supplied) == expected


@pytest.mark.parametrize(
    ("spec", "supplied", "needle"),
    [
        ({"type": "String"}, ["a", "b"], "takes exactly one value, got 2"),
        ({"type": "String"}, [], "takes exactly one value, got 0"),
        ({"type": "Integer"}, ["4.5"], "must be an Integer"),
        ({"type": "Integer"}, ["ten"], "must be an Integer"),
        ({"type": "Integer"}, [""], "must be an Integer"),
        ({"type": "Boolean"}, ["yes"], "must be a Boolean"),
        ({"type": "Boolean"}, ["1"], "must be a Boolean"),
        ({"type": "StringMap"}, ["[1]"], "must be a JSON object"),
        ({"type": "StringMap"}, ["{broken"], "must be a JSON object"),
        ({"type": "MapList"}, ["[1, 2]"], "JSON array of objects"),
    ],
)
def test_each_type_refuses_values_of_another_shape(
    spec: dict[str, Any], supplied: list[str], needle: str
) -> None:
    error = refused(spec, supplied)
    assert needle in error.message
    assert "parameter 'p'" in error.message


# --- constraints --------------------------------------------------------------------------


def test_allowed_values_good_and_bad() -> None:
    spec = {"type": "String", "allowedValues": ["Scan", "Install"]}
    assert one(spec, ["Install"]) == "Install"
    assert "must be one of: Scan, Install" in refused(spec, ["install"]).message


def test_allowed_values_apply_to_each_string_list_item() -> None:
    spec = {"type": "StringList", "allowedValues": ["a", "b"]}
    assert one(spec, ["a", "b", "a"]) == ["a", "b", "a"]
    assert "item 2 must be one of" in refused(spec, ["a", "c"]).message


def test_allowed_values_for_integers_compare_numbers_as_text() -> None:
    spec = {"type": "Integer", "allowedValues": [1, 3, 5]}
    assert one(spec, ["3"]) == 3
    refused(spec, ["4"])


def test_allowed_pattern_must_match_the_whole_value() -> None:
    """AWS checks allowedPattern with Java matches(): the entire value, not a substring."""
    spec = {"type": "String", "allowedPattern": "[a-z]+"}
    assert one(spec, ["abc"]) == "abc"
    error = refused(spec, ["abc; rm -rf /"])
    assert "does not match allowedPattern [a-z]+" in error.message


def test_allowed_pattern_is_a_java_regex() -> None:
    """Java's POSIX classes and a flag after the start work; \\w stays ASCII, as in Java."""
    spec = {"type": "String", "allowedPattern": r"^\p{Alpha}+-(?i)[a-z]+$"}
    assert one(spec, ["web-PROD"]) == "web-PROD"
    refused(spec, ["web1-prod"])
    refused({"type": "String", "allowedPattern": r"^\w+$"}, ["caf\u00e9"])


def test_java_pattern_without_a_python_meaning_is_refused_when_defined() -> None:
    with pytest.raises(DocumentContentError, match="&&"):
        defs(p={"type": "String", "allowedPattern": "^[a-z&&[^aeiou]]$"})


def test_allowed_pattern_applies_to_each_string_list_item() -> None:
    spec = {"type": "StringList", "allowedPattern": "^[0-9]+$"}
    assert one(spec, ["1", "22"]) == ["1", "22"]
    assert "item 2" in refused(spec, ["1", "$(id)"]).message


def test_error_messages_never_quote_the_value() -> None:
    """Values may carry resolved secrets; messages end up in logs and responses."""
    for spec in (
        {"type": "String", "allowedPattern": "^x$"},
        {"type": "String", "maxChars": 2},
        {"type": "Integer"},
    ):
        assert "canary-secret" not in refused(spec, ["canary-secret"]).message


@pytest.mark.parametrize(
    ("spec", "good", "bad", "needle"),
    [
        ({"type": "String", "minChars": 2}, ["ab"], ["a"], "at least 2 character"),
        ({"type": "String", "maxChars": 3}, ["abc"], ["abcd"], "at most 3 character"),
        (
            {"type": "StringList", "maxChars": 1},
            ["a", "b"],
            ["a", "bb"],
            "item 2 must have at most",
        ),
        ({"type": "StringList", "minItems": 1}, ["a"], [], "at least 1 item"),
        ({"type": "StringList", "maxItems": 2}, ["a", "b"], ["a", "b", "c"], "at most 2 item"),
        ({"type": "MapList", "maxItems": 1}, ['[{"a": 1}]'], ['[{"a": 1}, {"b": 2}]'], "at most 1"),
    ],
)
def test_length_and_count_limits(
    spec: dict[str, Any], good: list[str], bad: list[str], needle: str
) -> None:
    one(spec, good)
    assert needle in refused(spec, bad).message


# --- defaults, unknown and missing names --------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"type": "String", "default": "3600"}, "3600"),
        ({"type": "String", "default": ""}, ""),
        ({"type": "StringList", "default": ["a"]}, ["a"]),
        ({"type": "StringList", "default": []}, []),
        ({"type": "Integer", "default": 5}, 5),
        ({"type": "Boolean", "default": False}, False),
        ({"type": "StringMap", "default": {}}, {}),
        ({"type": "MapList", "default": [{"k": "v"}]}, [{"k": "v"}]),
    ],
)
def test_defaults_fill_missing_values_with_their_type(
    spec: dict[str, Any], expected: ParamValue
) -> None:
    assert one(spec, None) == expected


def test_supplied_value_wins_over_default() -> None:
    assert one({"type": "String", "default": "a"}, ["b"]) == "b"


def test_missing_required_parameter_is_named() -> None:
    error = refused({"type": "StringList"}, None)
    assert "parameter 'p' is required" in error.message


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(DocumentParameterError) as info:
        validate_parameters(defs(p={"type": "String", "default": ""}), {"q": ["x"]})
    assert info.value.message == "Invalid parameters: parameter 'q' is not defined in the document"
    assert info.value.path == "q"


def test_values_must_be_lists_of_strings() -> None:
    with pytest.raises(DocumentParameterError, match="list of strings"):
        validate_parameters(defs(p={"type": "String"}), {"p": "bare string"})


def test_validated_values_follow_definition_order() -> None:
    parsed = defs(b={"type": "String", "default": "1"}, a={"type": "String", "default": "2"})
    assert list(validate_parameters(parsed, {"a": ["x"]})) == ["b", "a"]


# --- definitions --------------------------------------------------------------------------


def test_definition_attributes_are_kept() -> None:
    (parsed,) = defs(
        p={
            "type": "StringList",
            "description": "Things",
            "default": ["x"],
            "allowedPattern": "^[a-z]$",
            "minItems": 1,
            "maxItems": 3,
            "displayType": "textarea",
        }
    )
    assert parsed.type is ParameterType.STRING_LIST
    assert (parsed.min_items, parsed.max_items, parsed.display_type) == (1, 3, "textarea")
    assert parsed.is_required is False
    assert parsed.wire_type == "StringList"
    assert parsed.default_text == '["x"]'


def test_describe_document_sees_only_string_and_string_list() -> None:
    """DescribeDocument's DocumentParameter.Type enum has only String and StringList."""
    parsed = defs(
        i={"type": "Integer", "default": 3},
        m={"type": "MapList"},
        b={"type": "Boolean", "default": True},
    )
    assert [(p.wire_type, p.default_text) for p in parsed] == [
        ("String", "3"),
        ("StringList", None),
        ("String", "true"),
    ]


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({}, "has no type"),
        ({"type": "Float"}, "unknown type 'Float'"),
        ({"type": "String", "allowedPatern": "x"}, "unknown attribute 'allowedPatern'"),
        ({"type": "String", "minItems": 1}, "type String cannot have 'minItems'"),
        ({"type": "Boolean", "allowedPattern": "x"}, "cannot have 'allowedPattern'"),
        ({"type": "String", "allowedPattern": "("}, "not a valid regular expression"),
        ({"type": "String", "allowedValues": []}, "non-empty list"),
        ({"type": "String", "allowedValues": [{"a": 1}]}, "only hold strings"),
        ({"type": "String", "minChars": -1}, "zero or more"),
        ({"type": "String", "minChars": 5, "maxChars": 2}, "minChars greater than maxChars"),
        ({"type": "String", "displayType": "dropdown"}, "textfield or textarea"),
        ({"type": "String", "description": 7}, "description must be a string"),
        ({"type": "Integer", "default": "5"}, "default that is not of type Integer"),
        ({"type": "Boolean", "default": "true"}, "default that is not of type Boolean"),
        ({"type": "StringList", "default": "a"}, "default that is not of type StringList"),
        ({"type": "String", "default": "x", "allowedValues": ["a"]}, "default of parameter 'p'"),
        ({"type": "String", "default": "{{ssm-secure:/pw}}"}, "ssm-secure"),
    ],
)
def test_bad_definitions_are_content_errors(spec: dict[str, Any], needle: str) -> None:
    error = bad_definition(spec)
    assert needle in error.message
    assert error.path.startswith("parameters.p")


def test_default_with_ssm_reference_is_checked_later() -> None:
    (parsed,) = defs(
        p={"type": "String", "default": "{{ssm:/app/x}}", "allowedPattern": "^[0-9]+$"}
    )
    assert parsed.has_default


@pytest.mark.parametrize("name", ["has-dash", "has space", "", "x" * 129, "a.b"])
def test_bad_parameter_names_are_refused(name: str) -> None:
    with pytest.raises(DocumentContentError, match="may only use"):
        parse_parameter_defs({name: {"type": "String"}}, allowed_types=ALL_TYPES)


def test_parameters_block_must_be_a_map() -> None:
    with pytest.raises(DocumentContentError) as info:
        parse_parameter_defs(["commands"], allowed_types=ALL_TYPES)
    assert info.value.path == "parameters"


# --- audit against AWS's documentation -----------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "good", "bad", "needle"),
    [
        ({"type": "StringMap", "maxChars": 9}, ['{"a": "b"}'], ['{"a": "bc"}'], "at most 9"),
        ({"type": "StringMap", "minChars": 9}, ['{"a":"b"}'], ['{"a":""}'], "at least 9"),
    ],
)
def test_string_map_char_limits_apply_to_its_compact_json_text(
    spec: dict[str, Any], good: list[str], bad: list[str], needle: str
) -> None:
    """AWS's StringMap examples carry maxChars (AWS-ConfigureAWSPackage: 4096). The limit is
    measured on the value as compact JSON, so the caller's spacing does not count."""
    assert one(spec, good) == {"a": "b"}
    assert needle in refused(spec, bad).message


def test_string_map_default_is_held_to_its_char_limit() -> None:
    assert one({"type": "StringMap", "maxChars": 9, "default": {"a": "b"}}, None) == {"a": "b"}
    error = bad_definition({"type": "StringMap", "maxChars": 8, "default": {"a": "b"}})
    assert "at most 8" in error.message


@pytest.mark.parametrize("ptype", ["String", "StringList", "Integer", "StringMap"])
def test_interpolation_type_env_var_is_accepted(ptype: str) -> None:
    (parsed,) = defs(p={"type": ptype, "interpolationType": "ENV_VAR"})
    assert parsed.is_required


@pytest.mark.parametrize("value", ["env_var", "SHELL", "", 1])
def test_interpolation_type_other_than_env_var_is_refused(value: object) -> None:
    error = bad_definition({"type": "String", "interpolationType": value})
    assert "interpolationType must be ENV_VAR" in error.message
    assert error.path == "parameters.p.interpolationType"


@pytest.mark.parametrize(
    ("ptype", "reference"),
    [
        ("StringList", "{{ssm:RunCommand:2}}"),
        ("StringList", "{{ ssm:/app/cmds }}"),
        ("Integer", "{{ssm:/app/port}}"),
        ("Boolean", "{{ssm:/app/flag}}"),
        ("StringMap", "{{ssm:/app/map}}"),
        ("MapList", "{{ssm:/app/maps}}"),
    ],
)
def test_default_that_is_a_whole_reference_skips_the_type_check(ptype: str, reference: str) -> None:
    """AWS's own 1.2 example gives a StringList the default ``{{ssm:RunCommand:2}}``."""
    (parsed,) = defs(p={"type": ptype, "default": reference})
    assert parsed.has_default
    assert parsed.default_text == reference


@pytest.mark.parametrize(
    "default",
    ["{{ssm:/app/cmds}} and more", "{{ssm-secure:/app/cmds}}"],
    ids=["partial", "secure"],
)
def test_default_that_is_not_a_whole_plain_reference_keeps_its_checks(default: str) -> None:
    bad_definition({"type": "StringList", "default": default})
