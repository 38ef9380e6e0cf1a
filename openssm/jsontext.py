"""JSON text from outside the process, parsed with a limit on how deep it nests.

CPython's parser recurses once per ``[`` or ``{``, so text nested about a thousand deep
(``[[[[…``, a few kilobytes) raises RecursionError instead of a decoding error; so would any
recursive walk over what it returns. Every parse of text a client, an agent or a server
answer supplies goes through ``loads``, which measures the nesting first and refuses text
deeper than ``max_depth`` with ``JsonTooDeep``, a ValueError like every other reason the text
is not acceptable JSON.

The measure runs at C speed: text with no more openers than the limit cannot be too deep and
is not scanned at all; otherwise strings are cut out (by a pattern that never backtracks, so
an unterminated string costs one pass), the brackets left become +1/-1, and the deepest
running sum is the nesting.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from openssm.errors import OpenSSMError

# Deeper than any SSM request or policy needs (their shapes nest under ten), far shallower
# than the interpreter's recursion limit, so no caller's walk over the result can overflow.
MAX_DEPTH = 64

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]++")
# Openers become 0x01 and closers 0xff: read as signed bytes, +1 and -1.
_STEPS = str.maketrans({"[": "\x01", "{": "\x01", "]": "\xff", "}": "\xff"})


class JsonTooDeep(OpenSSMError, ValueError):
    """The text nests arrays and objects deeper than the parser is allowed to go."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nests deeper than {max_depth} levels")
        self.max_depth = max_depth


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (0 for a scalar), strings skipped."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    steps = array("b")
    steps.frombytes(brackets.translate(_STEPS).encode("latin-1"))
    return max(accumulate(steps, initial=0))


def loads(
    text: str | bytes,
    *,
    max_depth: int = MAX_DEPTH,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """``json.loads`` for untrusted text: JsonTooDeep past ``max_depth``, never RecursionError.

    Bytes are decoded as ``json.loads`` decodes them (UTF-8, -16 or -32, found from the
    first bytes); undecodable bytes raise UnicodeDecodeError, a ValueError too.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise JsonTooDeep(max_depth)
    return json.loads(text, object_pairs_hook=object_pairs_hook, parse_constant=parse_constant)
