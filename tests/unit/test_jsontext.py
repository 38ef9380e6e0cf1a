"""jsontext: JSON from outside parsed with a nesting limit, refused before the parser recurses."""

from __future__ import annotations

import json

import pytest

from openssm.errors import OpenSSMError
from openssm.jsontext import MAX_DEPTH, JsonTooDeep, loads, nesting_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[[["', 0),
        ("[]", 1),
        ("[[], [], {}]", 2),
        ('[{"a": [1, {"b": {}}]}]', 5),
        ('["\\"[[[", []]', 2),  # an escaped quote does not end the string
        ('["\\\\", [[]]]', 3),  # an escaped backslash does not escape the quote after it
        ('"unterminated [[[[', 0),
        ("]]]][[", 0),  # the parser stops at the first "]": what follows is never reached
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_text_as_deep_as_the_limit_parses() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert nesting_depth(text) == MAX_DEPTH
    assert isinstance(loads(text), list)


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"a":' * 1_000 + "1" + "}" * 1_000,
        "[" * 200_000,  # never closed: the parser would recurse before it found out
        '["' + "[" * 1_000 + '", ' + "[" * 1_000,
    ],
    ids=["one-past", "objects", "unclosed", "after-a-string"],
)
def test_deeper_text_is_refused_before_parsing(text: str) -> None:
    with pytest.raises(JsonTooDeep, match=f"deeper than {MAX_DEPTH} levels"):
        loads(text)


def test_the_limit_is_the_callers() -> None:
    assert loads("[[[]]]", max_depth=3) == [[[]]]
    with pytest.raises(JsonTooDeep):
        loads("[[[]]]", max_depth=2)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"Content": "[" * 10_000, "Policies": "{" * 10_000})
    assert loads(text)["Content"] == "[" * 10_000


def test_too_deep_is_a_value_error_of_the_one_tree() -> None:
    """Callers that already refuse malformed JSON (``except ValueError``) refuse this too."""
    assert issubclass(JsonTooDeep, ValueError)
    assert issubclass(JsonTooDeep, OpenSSMError)


def test_bytes_decode_as_json_loads_decodes_them() -> None:
    assert loads(b'{"a": [1]}') == {"a": [1]}
    assert loads('{"a": 1}'.encode("utf-16")) == {"a": 1}
    with pytest.raises(JsonTooDeep):
        loads(b"[" * 5_000)
    with pytest.raises(UnicodeDecodeError):
        loads(b"\xff\xfe\xfd")


def test_hooks_reach_the_parser() -> None:
    def pairs(items: list[tuple[str, object]]) -> list[tuple[str, object]]:
        return items

    def constant(name: str) -> str:
        return name

    assert loads('{"a": 1, "a": 2}', object_pairs_hook=pairs) == [("a", 1), ("a", 2)]
    assert loads("[NaN]", parse_constant=constant) == ["NaN"]
