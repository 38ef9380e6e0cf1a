"""`openssm` command line: server, agent and admin sub-commands.

The base install (`pip install openssm`) is the agent alone; the server's and
the human CLI's packages come with the extras `openssm[server]` and
`openssm[cli]`. Sub-command modules import nothing beyond the standard library
until their handler runs, so `openssm agent` works without the extras, and a
sub-command whose extra is missing says which one to install.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from openssm.errors import ConfigError

# What the extras bring: a sub-command missing one of these lacks its extra.
_EXTRA_PACKAGES = frozenset(
    {"alembic", "boto3", "botocore", "cryptography", "httptools", "psycopg", "sqlalchemy"}
    | {"aws_croniter", "starlette", "uvicorn", "uvloop", "yaml"}
)


@dataclass(frozen=True)
class SubCommands:
    """One module of openssm.cli and the sub-commands its ``add_parser`` adds."""

    module: str
    names: tuple[str, ...]
    extra: str | None  # the extra whose packages it needs; None for the base install


# In the order `openssm --help` lists them. A capability's human command is one line here.
SUB_COMMANDS = (
    SubCommands("server_cmd", ("server",), "server"),
    SubCommands("admin_cmd", ("admin",), "server"),
    SubCommands("agent_cmd", ("agent",), None),
    SubCommands("up_cmd", ("up",), "server"),
    SubCommands("run_cmd", ("run", "commands", "output"), "cli"),
    SubCommands("session_cmd", ("session",), "cli"),
    SubCommands("port_forward_cmd", ("port-forward",), "cli"),
    SubCommands("ssh_proxy_cmd", ("ssh-proxy",), "cli"),
    SubCommands("sessions_cmd", ("sessions",), "cli"),
    SubCommands("compliance_cmd", ("compliance",), "cli"),
    SubCommands("associations_cmd", ("associations",), "cli"),
    SubCommands("events_cmd", ("events",), "cli"),
    SubCommands("inventory_cmd", ("inventory",), "cli"),
    SubCommands("audit_cmd", ("audit",), "cli"),
)
_OWNER = {name: entry for entry in SUB_COMMANDS for name in entry.names}
# A setting is wrong: systemd units do not restart on this code, since a restart would not help.
EXIT_BAD_SETTINGS = 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every sub-command's parser, or, when `command` is given, only the parser that can run
    it: the agent process then never imports the other sub-commands' modules nor builds their
    options, which it would keep resident for nothing (about 0.3 MB)."""
    parser = argparse.ArgumentParser(prog="openssm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for entry in SUB_COMMANDS if command is None else (_OWNER[command],):
        importlib.import_module(f"openssm.cli.{entry.module}").add_parser(sub)
    return parser


def missing_extra(exc: ModuleNotFoundError, command: str) -> str | None:
    """The extra to install when `command` could not import what `exc` names, or None when
    no extra brings it (a bug, not a missing install)."""
    package = (exc.name or "").partition(".")[0]
    return _OWNER[command].extra if package in _EXTRA_PACKAGES else None


def describe(error: ConfigError) -> str:
    """The problems one to a line, ready for a terminal."""
    if len(error.problems) == 1:
        return error.problems[0]
    return "bad settings:\n" + "\n".join(f"  {problem}" for problem in error.problems)


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    command = words[0] if words and words[0] in _OWNER else None
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
