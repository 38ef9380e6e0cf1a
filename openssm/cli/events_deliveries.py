"""`openssm events deliveries`: each target's deliveries on the server's host — waiting (being
retried), delivered in the last week, dead-lettered — and the last error, so an operator sees
a receiver that refuses events without reading the server's log."""

from __future__ import annotations

import argparse
import dataclasses
import json


def show(args: argparse.Namespace) -> int:
    from openssm.cli.admin_cmd import open_store
    from openssm.server.services.events import status

    with open_store(args) as server:
        states = server.store.read_sync(
            lambda conn: status.target_states(conn, account_id=server.account, region=args.region)
        )
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in states], indent=2))
        return 0
    from rich.table import Table

    from openssm.cli.tables import table_console

    table = Table("rule or topic", "target", "destination", "waiting", "delivered", "dead", "error")
    for s in states:
        table.add_row(
            s.rule,
            s.target_id,
            s.destination,
            str(s.pending),
            str(s.delivered),
            str(s.dead),
            s.last_error,
        )
    table_console().print(table)
    return 0
