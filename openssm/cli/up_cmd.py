"""`openssm up`: a server and an agent on this host, a working fleet of one.

The work is in openssm.cli.local_fleet, imported only when `up` runs, so that
other sub-commands (the agent above all) never load it or boto3.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "up", help="start a server and an agent on this host (a fleet of one)"
    )
    parser.add_argument("--host", help="server address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="server port (default 8787)")
    parser.add_argument("--data-dir", help="server data directory")
    parser.add_argument("--agent-state-dir", help="agent state directory")
    parser.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], default="warning"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from openssm.cli.local_fleet import run

    return run(args)
