"""`openssm server`: run the control plane."""

from __future__ import annotations

import argparse
from typing import Any

from openssm.cli.flags import add_setting_flags, given_settings
from openssm.config import ServerSettings

# The settings `openssm admin` needs to open the server's store.
STORE_SETTINGS = ("data_dir", "database_url", "account_id")


def add_server_options(parser: argparse.ArgumentParser) -> None:
    add_setting_flags(parser, ServerSettings, only=STORE_SETTINGS)


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("server", help="run the openssm server")
    add_setting_flags(parser, ServerSettings)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from openssm.config import load_server_settings
    from openssm.server.serve import run_server

    return run_server(load_server_settings(given_settings(args, ServerSettings)))
