"""`openssm server`: run the control plane."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from openssm.errors import ConfigError


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", help="state directory (default: per-user or /var/lib/openssm/server)"
    )
    parser.add_argument(
        "--database-url", help="sqlite:///… or postgresql://… (default: SQLite in the data dir)"
    )
    parser.add_argument(
        "--account-id", help="12-digit account id of this server (env OPENSSM_ACCOUNT_ID)"
    )


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("server", help="run the openssm server")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8787; 0 picks one)")
    add_server_options(parser)
    parser.add_argument("--ready-file", help="write the server URL here once it accepts requests")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from openssm.config import load_server_settings
    from openssm.server.serve import run_server

    try:
        settings = load_server_settings(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            database_url=args.database_url,
            account_id=args.account_id,
            ready_file=args.ready_file,
            log_level=args.log_level,
        )
    except ConfigError as exc:
        print(f"openssm server: {exc}", file=sys.stderr)
        return 2
    return run_server(settings)
