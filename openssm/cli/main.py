"""`openssm` command line: server, agent and admin sub-commands.

Sub-command modules are imported lazily so that `openssm agent` never loads
the server's dependencies.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openssm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    from openssm.cli import admin_cmd, agent_cmd, server_cmd, up_cmd

    server_cmd.add_parser(sub)
    admin_cmd.add_parser(sub)
    agent_cmd.add_parser(sub)
    up_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    try:
        result: int = handler(args)
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
