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

# What the extras bring: a sub-command missing one of these lacks its extra.
_EXTRA_PACKAGES = frozenset(
    {"alembic", "boto3", "botocore", "cryptography", "httptools", "psycopg", "sqlalchemy"}
    | {"aws_croniter", "starlette", "uvicorn", "uvloop", "yaml"}
)
# The extra each sub-command needs; `openssm agent` needs none.
_EXTRA_OF_COMMAND = {
    "server": "server",
    "admin": "server",
    "up": "server",
    "run": "cli",
    "commands": "cli",
    "output": "cli",
    "session": "cli",
    "port-forward": "cli",
    "ssh-proxy": "cli",
    "sessions": "cli",
    "compliance": "cli",
    "associations": "cli",
    "events": "cli",
    "inventory": "cli",
    "audit": "cli",
}
_COMMANDS = frozenset({"agent", *_EXTRA_OF_COMMAND})
# A setting is wrong: systemd units do not restart on this code, since a restart would not help.
EXIT_BAD_SETTINGS = 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every sub-command's parser, or, when `command` is given, only the parser that can run
    it: the agent process then never imports the other sub-commands' modules nor builds their
    options, which it would keep resident for nothing (about 0.3 MB)."""
    parser = argparse.ArgumentParser(prog="openssm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    if command in (None, "server"):
        from openssm.cli import server_cmd

        server_cmd.add_parser(sub)
    if command in (None, "admin"):
        from openssm.cli import admin_cmd

        admin_cmd.add_parser(sub)
    if command in (None, "agent"):
        from openssm.cli import agent_cmd

        agent_cmd.add_parser(sub)
    if command in (None, "up"):
        from openssm.cli import up_cmd

        up_cmd.add_parser(sub)
    if command in (None, "run", "commands", "output"):
        from openssm.cli import run_cmd

        run_cmd.add_parser(sub)
    if command in (None, "session", "port-forward", "ssh-proxy", "sessions"):
        from openssm.cli import port_forward_cmd, session_cmd, sessions_cmd, ssh_proxy_cmd

        session_cmd.add_parser(sub)
        port_forward_cmd.add_parser(sub)
        ssh_proxy_cmd.add_parser(sub)
        sessions_cmd.add_parser(sub)
    if command in (None, "compliance"):
        from openssm.cli import compliance_cmd

        compliance_cmd.add_parser(sub)
    if command in (None, "associations"):
        from openssm.cli import associations_cmd

        associations_cmd.add_parser(sub)
    if command in (None, "events"):
        from openssm.cli import events_cmd

        events_cmd.add_parser(sub)
    if command in (None, "inventory"):
        from openssm.cli import inventory_cmd

        inventory_cmd.add_parser(sub)
    if command in (None, "audit"):
        from openssm.cli import audit_cmd

        audit_cmd.add_parser(sub)
    return parser


def missing_extra(exc: ModuleNotFoundError, command: str) -> str | None:
    """The extra to install when `command` could not import what `exc` names, or None when
    no extra brings it (a bug, not a missing install)."""
    package = (exc.name or "").partition(".")[0]
    return _EXTRA_OF_COMMAND.get(command) if package in _EXTRA_PACKAGES else None


def describe(error: ConfigError) -> str:
    """The problems one to a line, ready for a terminal."""
    if len(error.problems) == 1:
        return error.problems[0]
    return "bad settings:\n" + "\n".join(f"  {problem}" for problem in error.problems)


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    command = words[0] if words and words[0] in _COMMANDS else None
    args = build_parser(command).parse_args(words)
    handler = args.handler
    try:
        result: int = handler(args)
    except ConfigError as exc:
        print(f"openssm {args.command}: {describe(exc)}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        extra = missing_extra(exc, args.command)
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
