"""`openssm` command line: server, agent and admin sub-commands.

The base install (`pip install openssm`) is the agent alone; the server's and
the human CLI's packages come with the extras `openssm[server]` and
`openssm[cli]`. Sub-command modules import nothing beyond the standard library
until their handler runs, so `openssm agent` works without the extras, and a
sub-command whose extra is missing says which one to install.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from openssm.errors import ConfigError

# The extra that brings each third-party package a sub-command may import.
_EXTRA_OF_PACKAGE = {
    "alembic": "server",
    "boto3": "server",
    "botocore": "server",
    "cryptography": "server",
    "httptools": "server",
    "psycopg": "server",
    "sqlalchemy": "server",
    "starlette": "server",
    "uvicorn": "server",
    "uvloop": "server",
    "yaml": "server",
}
# A setting is wrong: systemd units do not restart on this code, since a restart would not help.
EXIT_BAD_SETTINGS = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openssm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    from openssm.cli import admin_cmd, agent_cmd, run_cmd, server_cmd, up_cmd

    server_cmd.add_parser(sub)
    admin_cmd.add_parser(sub)
    agent_cmd.add_parser(sub)
    up_cmd.add_parser(sub)
    run_cmd.add_parser(sub)
    return parser


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra that provides the package `exc` could not find, or None if no extra does."""
    package = (exc.name or "").partition(".")[0]
    return _EXTRA_OF_PACKAGE.get(package)


def describe(error: ConfigError) -> str:
    """The problems one to a line, ready for a terminal."""
    if len(error.problems) == 1:
        return error.problems[0]
    return "bad settings:\n" + "\n".join(f"  {problem}" for problem in error.problems)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    try:
        result: int = handler(args)
    except ConfigError as exc:
        print(f"openssm {args.command}: {describe(exc)}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise
        print(
            f"openssm {args.command}: needs the {extra} extra, which is not installed here "
            f"(no module {exc.name!r}); install it with: pip install 'openssm[{extra}]'",
            file=sys.stderr,
        )
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
