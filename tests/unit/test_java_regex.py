"""openssm.java_regex: Java patterns mean the same once rewritten for Python's re."""

from __future__ import annotations

import re

import pytest

from openssm.java_regex import translate


def _matches(pattern: str, text: str) -> bool:
    return re.compile(translate(pattern), re.ASCII).fullmatch(text) is not None


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (r"\p{Alpha}+", "abcXYZ", True),
        (r"\p{Alpha}+", "caf\u00e9", False),  # POSIX classes are ASCII in Java
        (r"[\p{Alnum}_-]+", "a-1_b", True),
        (r"[\p{Alnum}_-]+", "a.b", False),
        (r"\p{Punct}", "~", True),
        (r"\P{Digit}+", "ab", True),
        (r"\P{Digit}+", "a1", False),
        (r"\p{XDigit}{4}", "0aF9", True),
        (r"\p{L}+", "caf\u00e9", True),  # categories are Unicode, under re.ASCII too
        (r"\p{L}+", "\u00bd", False),  # one half is a number (No), not a letter
        (r"[\p{Lu}0-9]+", "A\u03a99", True),
        (r"[\p{Lu}0-9]+", "a", False),
        (r"\p{IsLl}+", "\u03b1b", True),
        (r"\P{L}+", "1 !", True),
        (r"\pL+", "\u03b1\u03b2", True),
        (r"\p{N}+", "\u0663\u00bd", True),
        (r"\p{N}+", "a", False),
        (r"\p{Nd}", "\u0663", True),
        (r"ab(?i)cd", "abCD", True),
        (r"ab(?i)cd", "ABcd", False),  # the flag applies only after it
        (r"ab(?i)cd|ef", "EF", True),  # ...and to the rest of the alternation, as in Java
        (r"(x(?i)y|z)w", "Zw", True),
        (r"(x(?i)y|z)w", "zW", False),  # the group ends the flag's reach
        (r"\Qa.b*\E", "a.b*", True),
        (r"\Qa.b*\E", "axbb", False),
        (r"(?<year>\d{4})-\k<year>", "2024-2024", True),
        (r"(?<year>\d{4})-\k<year>", "2024-2025", False),
        (r"\h+", " \t", True),
        (r"a\z", "a", True),
        (r"[]a]+", "]a", True),
    ],
)
def test_java_meaning_is_kept(pattern: str, text: str, expected: bool) -> None:
    assert _matches(pattern, text) is expected


def test_java_end_anchor_allows_one_final_line_break() -> None:
    regex = re.compile(translate(r"a\Z"))
    assert regex.search("a\n") is not None
    assert re.compile(translate(r"a\z")).search("a\n") is None


def test_a_flag_group_at_the_start_stays_global() -> None:
    assert translate(r"(?i)abc") == "(?i)abc"


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("[a-z&&[^aeiou]]", "&&"),
        ("[a[b]]", "inside another"),
        (r"[\P{L}]", r"\P{L}"),
        ("a(?u)b", "flag"),
        (r"\p{IsGreek}", r"\p{IsGreek}"),
        (r"\p{Alpha", "unclosed"),
    ],
)
def test_what_python_cannot_express_is_refused_by_name(pattern: str, named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        translate(pattern)


def test_caller_escapes_take_precedence() -> None:
    assert translate(r"\w+", {r"\w": ("[0-9A-Za-z_]", "0-9A-Za-z_")}) == "[0-9A-Za-z_]+"
