"""Fail when a module passes the hard cap of 600 lines; print the five largest."""

from __future__ import annotations

import sys
from pathlib import Path

HARD_CAP = 600


def main() -> int:
    sizes = sorted(
        ((len(p.read_text().splitlines()), p) for p in Path("openssm").rglob("*.py")),
        reverse=True,
    )
    for lines, path in sizes[:5]:
        print(f"{lines:5d} {path}")
    too_big = [p for n, p in sizes if n > HARD_CAP]
    for path in too_big:
        print(f"{path} is over {HARD_CAP} lines: split it by the nouns it owns", file=sys.stderr)
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
