"""Refusing ``allowedPattern`` regexes that backtrack exponentially.

Python's ``re`` (like Java's, which AWS uses) backtracks, and has no time limit:
``^(a+)+$`` against forty ``a`` and a ``!`` runs for hours, holding the GIL, so
one CreateDocument or SendCommand would stall the whole server. The document
author writes the pattern and any caller supplies the value, so the server
refuses such a pattern when the document is written (and again before matching,
for documents stored earlier).

The test is static and conservative in the usual places, from the parse tree:
a repeat that can run more than once (``*``, ``+``, ``{2,}``…, not possessive)
is ambiguous when one turn of it can match the same text in two ways, or two
turns can split the text differently. That is the case when its body

- holds another repeat and no character the body must match is outside every
  such inner repeat's characters (``(a+)+``, ``(\\w+\\s?)+``, ``(.*a){20}``); a
  mandatory delimiter the inner repeat can't eat, as in ``(\\.[0-9]+){1,3}`` or
  ``(,[a-z]+)*``, fixes where each turn starts, so those stay allowed;
- or holds alternatives that can begin with the same character (``(ab|a.)*``),
  or that can both match nothing (``(a|a)*``, parsed as ``a(?:|)``).

Polynomial backtracking (``\\d*\\d*\\d*x``) is not detected; it stays slow but
bounded by the value's length.

``compile_allowed_pattern`` is the one way parameters and documents turn an
allowedPattern into a regex: read as Java reads it, compiled, and checked here.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openssm import java_regex

# ``re._parser`` is CPython's own regex parser (``sre_parse`` before 3.11, now deprecated).
# It has no type stubs, so it is held as Any and only read here.
_parser: Any = importlib.import_module("re._parser")

# Characters the analysis reasons about: ASCII plus samples of other classes (Latin-1 letter,
# Greek, CJK, no-break space, line separator), enough to tell \w, \s, \d and ranges apart.
_UNIVERSE = frozenset(range(0x80)) | frozenset({0xA0, 0xE9, 0x3B1, 0x2028, 0x4E00})
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT"}
_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}

Item = tuple[Any, Any]


@dataclass(frozen=True, slots=True)
class _First:
    """What a piece of pattern can start with, and whether it can match nothing."""

    chars: frozenset[int]
    nullable: bool


@functools.lru_cache(maxsize=256)
def compile_allowed_pattern(pattern: str) -> re.Pattern[str]:
    """An allowedPattern (parameters' and documents' alike) compiled as AWS reads it.

    AWS runs it as a Java regex: Java-only syntax (``\\p{Alpha}``, ``(?i)`` after the
    start, ``\\Q…\\E``…) is rewritten by ``openssm.java_regex``, and ``re.ASCII`` keeps
    ``\\d \\w \\s \\b`` and case folding ASCII, as they are in Java. ValueError says why
    a pattern can't be used: it does not compile, or it can backtrack exponentially.
    """
    try:
        regex = java_regex.compile_java(pattern, re.ASCII)
    except ValueError as exc:
        raise ValueError(f"it is not a valid regular expression: {exc}") from None
    if (risk := backtracking_risk(regex.pattern)) is not None:
        raise ValueError(f"it can backtrack exponentially, which would stall the server: {risk}")
    return regex


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` can backtrack exponentially, or None. The pattern must compile."""
    try:
        parsed = _parser.parse(pattern)
        flags = int(parsed.state.flags)
        analysis = _Analysis(
            ignore_case=bool(flags & re.IGNORECASE), dotall=bool(flags & re.DOTALL)
        )
        return analysis.scan(list(parsed))
    except RecursionError:
        # Refused rather than passed unchecked: a pattern is never that deep by need.
        return "its groups are nested too deeply to check"


class _Analysis:
    def __init__(self, *, ignore_case: bool, dotall: bool) -> None:
        self.ignore_case = ignore_case
        self.dotall = dotall

    # --- finding ambiguous repeats ------------------------------------------------------

    def scan(self, items: Sequence[Item]) -> str | None:
        for op, av in items:
            name = str(op)
            if name in _REPEATS:
                _low, high, body = av
                if high > 1:
                    reason = self._ambiguous(list(body))
                    if reason is not None:
                        return reason
            for child in _children(name, av):
                reason = self.scan(child)
                if reason is not None:
                    return reason
        return None

    def _ambiguous(self, body: list[Item]) -> str | None:
        top = _unwrap(body)
        variable = [(op, av) for op, av in _walk(top, opaque=True) if self._is_variable(op, av)]
        if variable:
            eaten = self._all_chars(variable)
            if not any(
                chars is not None and not chars & eaten
                for chars in (self._single(op, av) for op, av in top)
            ):
                return (
                    "a repeated group holds another repeat with nothing between the turns "
                    "that the inner repeat can't also match, as in (a+)+"
                )
        for op, av in top:
            if str(op) == "BRANCH":
                firsts = [self._first(list(alt)) for alt in av[1]]
                for index, first in enumerate(firsts):
                    # Two alternatives that can both match nothing are just as ambiguous:
                    # the parser factors (a|a) into a(?:|), with two empty alternatives.
                    if any(
                        first.chars & other.chars or (first.nullable and other.nullable)
                        for other in firsts[index + 1 :]
                    ):
                        return (
                            "a repeated group holds alternatives that can begin with the same "
                            "character, as in (ab|a.)*"
                        )
        return None

    def _is_variable(self, op: Any, av: Any) -> bool:
        """A piece whose length varies: a repeat like ``+``/``?``/``{1,3}``, or ``(|x)``."""
        name = str(op)
        if name in _REPEATS:
            return bool(av[0] != av[1])
        if name == "BRANCH":
            return any(self._first(list(alt)).nullable for alt in av[1])
        return False

    # --- character sets ------------------------------------------------------------------

    def _single(self, op: Any, av: Any) -> frozenset[int] | None:
        """The characters a one-character item matches; None for anything else."""
        name = str(op)
        if name == "LITERAL":
            return self._cased({av})
        if name == "NOT_LITERAL":
            return _UNIVERSE - self._cased({av})
        if name == "ANY":
            return _UNIVERSE if self.dotall else _UNIVERSE - {0x0A}
        if name == "IN":
            return self._in(av)
        return None

    def _in(self, members: Iterable[Item]) -> frozenset[int]:
        negate = False
        found: set[int] = set()
        for op, av in members:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                found |= self._cased({av})
            elif name == "RANGE":
                low, high = av
                found |= self._cased({c for c in _UNIVERSE if low <= c <= high})
            elif name == "CATEGORY":
                regex = _CATEGORIES.get(str(av))
                found |= (
                    {c for c in _UNIVERSE if re.fullmatch(regex, chr(c))}
                    if regex is not None
                    else set(_UNIVERSE)
                )
            else:
                found |= _UNIVERSE
        chars = frozenset(found) & _UNIVERSE
        return _UNIVERSE - chars if negate else chars

    def _cased(self, chars: set[int]) -> frozenset[int]:
        if not self.ignore_case:
            return frozenset(chars)
        out = set(chars)
        for c in chars:
            out |= {ord(x) for x in (chr(c).lower(), chr(c).upper()) if len(x) == 1}
        return frozenset(out)

    def _all_chars(self, items: Sequence[Item]) -> frozenset[int]:
        """Every character ``items`` can consume anywhere (all of them when unsure)."""
        out: set[int] = set()
        for op, av in _walk(list(items)):
            name = str(op)
            chars = self._single(op, av)
            if chars is not None:
                out |= chars
            elif name in ("GROUPREF", "GROUPREF_EXISTS"):
                return _UNIVERSE
        return frozenset(out)

    def _first(self, items: Sequence[Item]) -> _First:
        chars: set[int] = set()
        for op, av in items:
            item = self._first_of(op, av)
            chars |= item.chars
            if not item.nullable:
                return _First(frozenset(chars), False)
        return _First(frozenset(chars), True)

    def _first_of(self, op: Any, av: Any) -> _First:
        name = str(op)
        single = self._single(op, av)
        if single is not None:
            return _First(single, False)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return _First(frozenset(), True)
        if name == "SUBPATTERN":
            return self._first(list(av[3]))
        if name == "ATOMIC_GROUP":
            return self._first(list(av))
        if name == "BRANCH":
            alts = [self._first(list(alt)) for alt in av[1]]
            return _First(
                frozenset().union(*(a.chars for a in alts)), any(a.nullable for a in alts)
            )
        if name in _REPEATS or name == "POSSESSIVE_REPEAT":
            low, _high, body = av
            inner = self._first(list(body))
            return _First(inner.chars, low == 0 or inner.nullable)
        return _First(_UNIVERSE, True)


def _unwrap(body: list[Item]) -> list[Item]:
    """A body that is one group is that group's items (``(a+)+`` has body ``(a+)``)."""
    while len(body) == 1 and str(body[0][0]) == "SUBPATTERN":
        body = list(body[0][1][3])
    return body


def _children(name: str, av: Any) -> list[list[Item]]:
    if name in _REPEATS or name == "POSSESSIVE_REPEAT":
        return [list(av[2])]
    if name == "SUBPATTERN":
        return [list(av[3])]
    if name == "BRANCH":
        return [list(alt) for alt in av[1]]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1])]
    if name == "ATOMIC_GROUP":
        return [list(av)]
    if name == "GROUPREF_EXISTS":
        return [list(part) for part in av[1:] if part is not None]
    return []


def _walk(items: list[Item], *, opaque: bool = False) -> list[Item]:
    """Every item of ``items``, nested ones included, in order.

    With ``opaque``, atomic groups and possessive repeats are not entered: they never give
    back what they matched, so nothing inside them can be split another way.
    """
    out: list[Item] = []
    for op, av in items:
        out.append((op, av))
        name = str(op)
        if opaque and name in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT"):
            continue
        for child in _children(name, av):
            out.extend(_walk(child, opaque=opaque))
    return out
