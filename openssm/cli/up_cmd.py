"""`openssm up`: a server and an agent on this host, a working fleet of one.

The work is in openssm.cli.local_fleet, imported only when `up` runs, so that
other sub-commands (the agent above all) never load it or boto3.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from openssm.cli.flags import add_setting_flags, given_settings
from openssm.config import LOG_LEVELS, AgentSettings, ServerSettings

# `up` sets these itself: it waits on its own ready file, and one log level covers both processes.
SERVER_SETTINGS_UP_OWNS = ("ready_file", "log_level")
AGENT_PREFIX = "agent-"


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "up", help="start a server and an agent on this host (a fleet of one)"
    )
    add_setting_flags(parser, ServerSettings, skip=SERVER_SETTINGS_UP_OWNS)
    add_setting_flags(parser, AgentSettings, only=("state_dir",), prefix=AGENT_PREFIX)
    parser.add_argument(
        "--ca-file",
        type=Path,
        help="with --tls-cert: the private CA that signed it, for this host's agent and the "
        "activation call",
    )
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="warning")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from openssm.cli.local_fleet import run

    return run(
        server_flags=given_settings(args, ServerSettings, skip=SERVER_SETTINGS_UP_OWNS),
        agent_flags=given_settings(args, AgentSettings, only=("state_dir",), prefix=AGENT_PREFIX),
        log_level=args.log_level,
        ca_file=args.ca_file,
    )
