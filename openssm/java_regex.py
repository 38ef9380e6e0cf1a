"""Java regular expressions, rewritten for Python's ``re``.

AWS evaluates the patterns of its API model and a parameter's ``AllowedPattern`` as Java
regexes. Most of the syntax is shared; this module rewrites what is not, so a pattern written
for AWS means the same here:

- ``\\p{Alpha}`` and the other POSIX classes (ASCII, as in Java by default), and the Unicode
  general categories (``\\p{L}``, ``\\pL``, ``\\p{IsLu}``…), spelled out as the code point
  ranges of this Python's Unicode database, since ``re`` has no category syntax;
- ``\\h`` (horizontal space), ``\\z`` and ``\\Z`` (ends), ``\\Q…\\E`` (quoted text);
- named groups ``(?<name>…)`` and their back-references ``\\k<name>``;
- inline flags such as ``(?i)`` after the start, which Java applies up to the end of the
  enclosing group and Python refuses: they become scoped groups ``(?i:…)``, split at each
  ``|`` so the alternation keeps its shape.

What has no faithful rewrite (class intersection ``&&``, nested classes, a category inside a
character class where ``re`` can't express it, Java-only flags) raises ValueError naming it,
so a caller can refuse the pattern rather than match it differently. Callers compile the result
with ``re.ASCII`` where Java's ``\\w \\d \\s \\b`` and case folding must stay ASCII.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Mapping

# (outside a class, inside a class); None inside means it can't be written in a class.
Escapes = Mapping[str, tuple[str, str | None]]

_POSIX_BODIES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": r"\x00-\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": r"!-/:-@\[-`{-~",
    "Graph": "!-~",
    "Print": r"\x20-\x7e",
    "Blank": r" \t",
    "Cntrl": r"\x00-\x1f\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": r" \t\n\x0b\f\r",
}
_H = "\t\u0020\u00a0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000"

DEFAULT_ESCAPES: dict[str, tuple[str, str | None]] = {
    **{f"\\p{{{name}}}": (f"[{body}]", body) for name, body in _POSIX_BODIES.items()},
    **{f"\\P{{{name}}}": (f"[^{body}]", None) for name, body in _POSIX_BODIES.items()},
    r"\h": (f"[{_H}]", _H),
    r"\H": (f"[^{_H}]", None),
}

# Java's inline flags that mean the same in Python.
_PYTHON_FLAGS = frozenset("imsx")
_FLAG_GROUP = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)")
_NAMED_GROUP = re.compile(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>")


def translate(pattern: str, escapes: Escapes | None = None) -> str:
    """``pattern`` (Java syntax) in Python ``re`` syntax; ValueError for what has none.

    ``escapes`` maps escapes such as ``\\w`` or ``\\p{L}`` to their Python spelling; it is
    consulted before the built-in table, so a caller can pin its own meaning.
    """
    return _Translator(pattern, {**DEFAULT_ESCAPES, **(escapes or {})}).run()


def compile_java(pattern: str, flags: int = re.ASCII) -> re.Pattern[str]:
    """``pattern`` (Java syntax) compiled; ValueError naming the fault for any pattern that
    has no Python form or that ``re`` can't compile (bad syntax, a repetition count past its
    limit, groups nested past the recursion limit)."""
    try:
        return re.compile(translate(pattern), flags)
    except re.error as exc:
        raise ValueError(exc.msg) from None
    except OverflowError:
        raise ValueError("a repetition count is too large") from None
    except RecursionError:
        raise ValueError("its groups are nested too deeply") from None


class _Translator:
    def __init__(self, pattern: str, escapes: Escapes) -> None:
        self.pattern = pattern
        self.escapes = escapes
        self.out: list[str] = []
        self.in_class = False
        # Per open group: the scoped flag groups opened inside it by a mid-pattern (?flags).
        self.flag_groups: list[list[str]] = [[]]

    def run(self) -> str:
        pattern = self.pattern
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\":
                i = self._escape(i)
            elif self.in_class:
                i = self._class_char(i)
            elif ch == "[":
                self.in_class = True
                self.out.append(ch)
                i += 1
                # A ']' (after an optional '^') right after '[' is a literal in both languages.
                for literal in ("^", "]"):
                    if pattern[i : i + 1] == literal:
                        self.out.append(literal)
                        i += 1
            elif ch == "(":
                i = self._open(i)
            elif ch == ")":
                # Close the group's scoped flag groups first (an unbalanced ')' is left to re).
                opened = self.flag_groups.pop() if len(self.flag_groups) > 1 else []
                self.out.append(")" * len(opened) + ")")
                i += 1
            elif ch == "|":
                opened = self.flag_groups[-1]
                self.out.append(")" * len(opened) + "|" + "".join(opened))
                i += 1
            else:
                self.out.append(ch)
                i += 1
        self.out.append(")" * len(self.flag_groups[0]))
        return "".join(self.out)

    def _class_char(self, i: int) -> int:
        pattern = self.pattern
        ch = pattern[i]
        if ch == "]":
            self.in_class = False
        elif ch == "[":
            raise ValueError("a character class inside another ([a[b]]) is not supported")
        elif pattern.startswith("&&", i):
            raise ValueError("character class intersection (&&) is not supported")
        self.out.append(ch)
        return i + 1

    def _escape(self, i: int) -> int:
        pattern = self.pattern
        letter = pattern[i + 1 : i + 2]
        end = i + 2
        if not letter:
            raise ValueError("the pattern ends with a lone backslash")
        if letter in ("p", "P"):
            if pattern[end : end + 1] == "{":
                close = pattern.find("}", end)
                if close < 0:
                    raise ValueError(f"unclosed property class {pattern[i:]}")
                name = pattern[end + 1 : close]
                end = close + 1
            else:
                name = pattern[end : end + 1]
                end += 1
            token = f"\\{letter}{{{name}}}"
        elif letter == "Q":
            close = pattern.find("\\E", end)
            quoted = pattern[end:] if close < 0 else pattern[end:close]
            self.out.append(re.escape(quoted))
            return len(pattern) if close < 0 else close + 2
        elif letter == "k" and not self.in_class:
            named = re.compile(r"\\k<([a-zA-Z][a-zA-Z0-9]*)>").match(pattern, i)
            if named is None:
                raise ValueError(r"\k must name a group, as in \k<name>")
            self.out.append(f"(?P={named.group(1)})")
            return named.end()
        elif letter == "z" and not self.in_class:
            self.out.append(r"\Z")
            return end
        elif letter == "Z" and not self.in_class:
            self.out.append(r"(?=\n?\Z)")  # Java: at the end, or before a final line break
            return end
        else:
            token = pattern[i:end]
        spelled = self.escapes.get(token) or _category_escape(token)
        if spelled is None:
            if token[1] in "pP":
                raise ValueError(f"the class {token} is not supported")
            self.out.append(token)
            return end
        outside, inside = spelled
        if self.in_class and inside is None:
            raise ValueError(f"{token} is not supported inside a character class")
        self.out.append(inside if self.in_class and inside is not None else outside)
        return end

    def _open(self, i: int) -> int:
        pattern = self.pattern
        flags = _FLAG_GROUP.match(pattern, i)
        if flags is not None:
            on, off = flags.group(1), flags.group(2) or ""
            unknown = set(on + off) - _PYTHON_FLAGS
            if unknown:
                raise ValueError(f"the inline flag(s) {''.join(sorted(unknown))} are not supported")
            if i == 0 and not off:
                self.out.append(flags.group(0))  # at the very start Python takes it as it is
            elif on or off:
                scoped = f"(?{on}-{off}:" if off else f"(?{on}:"
                self.out.append(scoped)
                self.flag_groups[-1].append(scoped)
            return flags.end()
        named = _NAMED_GROUP.match(pattern, i)
        self.flag_groups.append([])
        if named is not None:
            self.out.append(f"(?P<{named.group(1)}>")
            return named.end()
        self.out.append("(")
        return i + 1


_CATEGORY_NAME = re.compile(r"\\([pP])\{(?:Is)?([A-Z][a-z]?)\}")


def _category_escape(token: str) -> tuple[str, str | None] | None:
    """``\\p{Lu}``-style tokens: (outside, inside) spellings, or None if not a category."""
    found = _CATEGORY_NAME.fullmatch(token)
    if found is None:
        return None
    body = _category_ranges(found.group(2))
    if body is None:
        return None
    if found.group(1) == "P":
        return f"[^{body}]", None
    return f"[{body}]", body


@functools.lru_cache(maxsize=64)
def _category_ranges(name: str) -> str | None:
    """The code points whose general category is ``name`` (or starts with it, for ``L``), as a
    class body of escaped ranges; None for a name that is no category. Built once per name, in
    a few tenths of a second."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith(name):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    if not ranges:
        return None
    return "".join(
        _escaped(low) if low == high else f"{_escaped(low)}-{_escaped(high)}"
        for low, high in ranges
    )


def _escaped(code: int) -> str:
    return f"\\U{code:08x}"
