"""``{{ name }}`` interpolation and ``{{ssm:…}}`` references.

AWS rules checked: a placeholder may have spaces inside the braces
(``{{ name }}`` or ``{{name}}``); ``{{ssm:name}}`` in a parameter value is
replaced by the Parameter Store value, optionally with a ``:version`` or
``:label`` selector. SECURITY items 12 and 13: values are data, substituted
exactly once, never re-expanded and never split into script.
"""

from __future__ import annotations

from typing import Any

import pytest

from openssm.documents.errors import DocumentParameterError
from openssm.documents.placeholders import (
    Reference,
    ReferenceTable,
    find_parameter_references,
    interpolate,
    placeholder_names,
    resolve_references,
)

STORE = {"/app/version": "1.2.3", "/app/tricky": "{{ other }} {{ssm:/app/version}}", "plain": "p"}
SECRETS = {"/db/password": "s3cret"}


def test_whole_string_placeholder_keeps_the_value_type() -> None:
    values: dict[str, Any] = {"n": 5, "flag": True, "items": ["a", "b"], "m": {"k": "v"}}
    template = {"n": "{{ n }}", "flag": "{{flag}}", "items": "{{ items }}", "m": "{{ m }}"}
    assert interpolate(template, values) == values


def test_spaces_inside_braces_are_optional() -> None:
    values = {"x": "X"}
    assert interpolate(["{{x}}", "{{ x }}", "{{   x }}", "a{{x}}b"], values) == [
        "X",
        "X",
        "X",
        "aXb",
    ]


def test_string_list_placeholder_element_is_spliced_into_its_list() -> None:
    template = {"runCommand": ["set -e", "{{ commands }}", "echo done"]}
    out = interpolate(template, {"commands": ["apt-get update", "apt-get install -y jq"]})
    assert out == {"runCommand": ["set -e", "apt-get update", "apt-get install -y jq", "echo done"]}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (["a", "b", "c"], "pkgs=a,b,c"),
        (True, "pkgs=true"),
        (7, "pkgs=7"),
        ({"k": "v"}, 'pkgs={"k":"v"}'),
        ([{"k": 1}], 'pkgs=[{"k":1}]'),
    ],
)
def test_embedded_placeholder_becomes_text(value: object, text: str) -> None:
    assert interpolate("pkgs={{ pkgs }}", {"pkgs": value}) == text


def test_unknown_names_stay_as_written() -> None:
    """Docker and Jinja templates inside scripts are not document parameters."""
    script = "docker inspect -f '{{ .State.Running }}' web && echo {{ item }} {{x}}"
    assert (
        interpolate(script, {"x": "X"})
        == "docker inspect -f '{{ .State.Running }}' web && echo {{ item }} X"
    )


def test_value_containing_a_placeholder_is_not_expanded_again() -> None:
    """SECURITY 13: a value holding {{ x }} is never expanded a second time."""
    values = {"a": "{{ b }}", "b": "SHOULD-NOT-APPEAR", "c": "{{ssm:/app/version}}"}
    out = interpolate(
        ["{{ a }}", "x {{ a }} y", "{{ c }}"], values, references=ReferenceTable(STORE.get, None)
    )
    assert out == ["{{ b }}", "x {{ b }} y", "{{ssm:/app/version}}"]


def test_shell_metacharacters_in_values_stay_literal_data() -> None:
    """SECURITY 12: the value goes in verbatim; nothing is added, quoted or split."""
    evil = "; rm -rf / $(reboot) `id` -o ProxyCommand=x"
    out = interpolate(
        {"runCommand": ["echo '{{ name }}'"], "workingDirectory": "{{ name }}"}, {"name": evil}
    )
    assert out == {"runCommand": [f"echo '{evil}'"], "workingDirectory": evil}


def test_mapping_keys_are_not_interpolated() -> None:
    assert interpolate({"{{ k }}": "{{ k }}"}, {"k": "v"}) == {"{{ k }}": "v"}


def test_interpolation_copies_values() -> None:
    items = ["a"]
    out = interpolate({"x": "{{ items }}"}, {"items": items})
    out["x"].append("b")
    assert items == ["a"]


def test_non_string_leaves_pass_through() -> None:
    assert interpolate({"n": 3, "b": False, "z": None}, {}) == {"n": 3, "b": False, "z": None}


def test_placeholder_names_lists_parameters_only() -> None:
    assert placeholder_names({"a": ["{{ x }} {{ssm:/y}}", "{{z}}"]}) == {"x", "z"}


# --- references ---------------------------------------------------------------------------


def test_find_references_in_values_and_documents() -> None:
    found = find_parameter_references(
        {
            "a": ["{{ssm:/app/version}}", "x {{ ssm-secure:/db/password }} y"],
            "b": ["{{ssm:name:3}}"],
        }
    )
    assert found == {
        Reference("/app/version"),
        Reference("/db/password", is_secure=True),
        Reference("name:3"),
    }


def test_reference_text_round_trips() -> None:
    assert Reference("/db/password", is_secure=True).text == "{{ssm-secure:/db/password}}"
    assert find_parameter_references(Reference("/a/b:label").text) == {Reference("/a/b:label")}


def test_resolve_references_replaces_plain_references() -> None:
    out = resolve_references({"v": ["release {{ssm:/app/version}}", "{{ ssm:plain }}"]}, STORE.get)
    assert out == {"v": ["release 1.2.3", "p"]}


def test_resolved_value_is_not_scanned_again() -> None:
    """SECURITY 13 for references: Parameter Store text is data too."""
    out = resolve_references({"v": ["{{ssm:/app/tricky}}"]}, STORE.get)
    assert out == {"v": ["{{ other }} {{ssm:/app/version}}"]}


def test_secure_references_stay_literal_without_a_secure_resolver() -> None:
    values = {"v": ["pw={{ssm-secure:/db/password}}"]}
    assert resolve_references(values, STORE.get) == values
    assert resolve_references(values, STORE.get, secure_resolver=SECRETS.get) == {
        "v": ["pw=s3cret"]
    }


def test_missing_reference_is_named() -> None:
    with pytest.raises(DocumentParameterError) as info:
        resolve_references({"v": ["ok", "{{ssm:/app/missing}}"]}, STORE.get)
    assert "'/app/missing'" in info.value.message
    assert "{{ssm:/app/missing}}" in info.value.message
    assert info.value.path == "v[1]"


def test_missing_secure_reference_is_named() -> None:
    with pytest.raises(DocumentParameterError, match="/db/nope"):
        resolve_references(
            {"v": ["{{ssm-secure:/db/nope}}"]}, STORE.get, secure_resolver=SECRETS.get
        )


def test_each_reference_is_looked_up_once() -> None:
    calls: list[str] = []

    def resolver(name: str) -> str | None:
        calls.append(name)
        return "v"

    resolve_references(
        {"a": ["{{ssm:/x}}", "{{ssm:/x}}"], "b": ["{{ssm:/x}} {{ssm:/y}}"]}, resolver
    )
    assert calls == ["/x", "/y"]


@pytest.mark.parametrize("text", ["{{ssm:}}", "{{ssm:/has space}}", "{{ssm:a:b:c}}", "{ssm:/x}"])
def test_malformed_references_are_left_alone(text: str) -> None:
    assert find_parameter_references(text) == set()
    assert resolve_references({"v": [text]}, STORE.get) == {"v": [text]}
