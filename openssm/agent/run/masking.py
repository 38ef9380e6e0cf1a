"""Secret values in a stream of text become ``***``, even when one is split across chunks. Pure.

Text arrives in pieces, so a secret may begin at the end of one piece and end in the next.
``SecretMasker.feed`` therefore hands back only text that can no longer be part of a
secret: it holds back the longest end of what it has seen that is still the beginning of
some secret (usually nothing, since output rarely ends in the first letters of a secret),
and masks it with what follows. ``flush`` releases the rest at the end of the stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"


class SecretMasker:
    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in self._secrets)) if self._secrets else None
        )
        self._longest = len(self._secrets[0]) if self._secrets else 0
        self._first_letters = frozenset(s[0] for s in self._secrets)
        self._pending = ""

    @property
    def held(self) -> int:
        """Characters fed but not yet handed back."""
        return len(self._pending)

    def feed(self, text: str) -> str:
        """Masked text that is safe to emit now; the rest waits for the next call."""
        if self._pattern is None:
            return text
        pending = self._pending + text
        safe_end = len(pending) - self._partial_secret_at_end(pending)
        out: list[str] = []
        position = 0
        for match in self._pattern.finditer(pending):
            if match.start() >= safe_end:
                break
            out.append(pending[position : match.start()])
            out.append(MASK)
            position = match.end()
        if position < safe_end:
            out.append(pending[position:safe_end])
            position = safe_end
        self._pending = pending[position:]
        return "".join(out)

    def flush(self) -> str:
        """Everything held back, masked: the stream has ended."""
        rest, self._pending = self._pending, ""
        return self.mask(rest)

    def mask(self, text: str) -> str:
        """``text`` with every secret replaced; for whole strings (messages, details)."""
        return text if self._pattern is None else self._pattern.sub(MASK, text)

    def _partial_secret_at_end(self, text: str) -> int:
        """Length of the longest end of ``text`` that is a proper beginning of a secret."""
        end = len(text)
        for start in range(max(0, end - self._longest + 1), end):
            if text[start] not in self._first_letters:
                continue
            tail = text[start:]
            if any(len(s) > len(tail) and s.startswith(tail) for s in self._secrets):
                return end - start
        return 0


_NO_SECRETS = SecretMasker(())


def masker_for(secrets: Iterable[str]) -> SecretMasker:
    """A masker of ``secrets``. Without any, one masker serves every stream: it holds nothing
    back, so it keeps no state (most commands have no secrets, and each step wanted three)."""
    secrets = tuple(secrets)
    return SecretMasker(secrets) if any(secrets) else _NO_SECRETS
