"""`openssm agent register|run`: join a server, then stay connected to it.

Only openssm.agent and the standard library are imported here, lazily, so the
agent process never loads the server's dependencies or boto3.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from openssm.cli.flags import add_setting_flags, given_settings
from openssm.config import AgentSettings


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "agent", help="the agent that runs on each managed host"
    )
    verbs = parser.add_subparsers(dest="verb", required=True)

    register = verbs.add_parser("register", help="register this host with an activation")
    register.add_argument(
        "--server", required=True, help="server URL, e.g. https://ssm.example:8787"
    )
    register.add_argument("--activation-id", required=True)
    register.add_argument("--activation-code", required=True)
    register.add_argument(
        "--name", help="instance name (default: the activation's DefaultInstanceName)"
    )
    add_setting_flags(register, AgentSettings, only=("state_dir",))
    register.add_argument(
        "--force", action="store_true", help="register again even if this host is registered"
    )
    register.add_argument(
        "--ca-file",
        type=Path,
        help="PEM file of the private CA that signed the server's certificate; kept in the "
        "state dir, so `openssm agent run` trusts it too (default: the system's CAs)",
    )
    register.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept an http:// server that is not on this host: the activation code and "
        "SecureString values then cross the network in clear",
    )
    register.set_defaults(handler=_register)

    run = verbs.add_parser("run", help="connect to the server and serve until stopped")
    add_setting_flags(run, AgentSettings)
    run.set_defaults(handler=_run)


def _register(args: argparse.Namespace) -> int:
    from openssm.agent.registration import register
    from openssm.config import load_agent_settings
    from openssm.errors import AgentError

    settings = load_agent_settings(given_settings(args, AgentSettings, only=("state_dir",)))
    try:
        registration = register(
            server_url=args.server,
            activation_id=args.activation_id,
            activation_code=args.activation_code,
            name=args.name,
            state_dir=settings.state_dir,
            force=args.force,
            ca_file=args.ca_file,
            allow_insecure_http=args.allow_insecure_http,
        )
    except (AgentError, OSError) as exc:
        print(f"openssm agent register: {exc}", file=sys.stderr)
        return 1
    print(registration.instance_id)
    return 0


def _run(args: argparse.Namespace) -> int:
    from openssm.agent.daemon import run_agent
    from openssm.config import load_agent_settings

    return run_agent(load_agent_settings(given_settings(args, AgentSettings)))
