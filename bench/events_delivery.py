"""Event delivery end to end: events per second from the outbox to a local webhook receiver,
and how long a receiver that was down takes to get its backlog once it is back; prints figures.

Starts a server (SQLite in a temp dir), a rule with one signed webhook target pointing at a
receiver on loopback in this process, then:

1. throughput: writes --events "Parameter Store Change" events straight into the server's
   outbox (one transaction, as a busy API would over a few seconds) spread over --resources
   parameters, and times from the write until the receiver has the first and every one
   (the first waits for the relay's next pass, OPENSSM_EVENTS_INTERVAL_S, 1 s by default);
   once with the events spread over many resources, once all for one resource (delivered
   one after another, in order);
2. backlog: the receiver answers 503 for --down-s seconds while --backlog events are written,
   then comes back; prints how long after that it had them all (the retry backoff is capped
   at OPENSSM_EVENTS_RETRY_CAP_S, 30 s by default).

Also prints the server's CPU seconds per thousand events delivered. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.deployed import AS_DEPLOYED
from bench.proc_cpu import cpu_times
from openssm import arns
from openssm.server.events.outbox import SSM_SOURCE, Scope, write_events
from openssm.server.services.parameters.writes import CHANGE_EVENT
from openssm.server.store.engine import Store, create_engine
from tests.integration.events.receiver import Receiver, receiver
from tests.integration.events.support import events_client, webhook_rule
from tests.support import TEST_ACCOUNT_ID, TEST_REGION, ServerProcess


def write(store: Store, count: int, resources: int, tag: str) -> None:
    """``count`` parameter-change events over ``resources`` parameters, in one transaction."""
    scope = Scope(account_id=TEST_ACCOUNT_ID, region=TEST_REGION, now=dt.datetime.now(dt.UTC))
    events = []
    for n in range(count):
        name = f"/bench/{tag}/p{n % resources}"
        arn = arns.service_arn("ssm", TEST_REGION, TEST_ACCOUNT_ID, f"parameter{name}")
        detail = {"name": name, "type": "String", "operation": "Update", "n": n}
        events.append(([arn], detail))
    store.write_sync(lambda conn: write_events(conn, scope, SSM_SOURCE, CHANGE_EVENT, events))


def wait_for(rx: Receiver, total: int, timeout_s: float) -> tuple[float, float]:
    """Seconds until the receiver had accepted one more event than before, and until it had
    ``total`` in all."""
    started = time.monotonic()
    before = len(rx.accepted())
    first = None
    while (got := len(rx.accepted())) < total:
        if first is None and got > before:
            first = time.monotonic() - started
        if time.monotonic() - started > timeout_s:
            raise SystemExit(f"only {got} of {total} events arrived")
        time.sleep(0.005)
    took = time.monotonic() - started
    return (took if first is None else first), took


def in_order(rx: Receiver, first: int) -> bool:
    """Whether each resource's events from the ``first``-th on arrived in the order written."""
    last: dict[str, int] = {}
    for body in rx.bodies()[first:]:
        detail = body["detail"]
        if detail["n"] < last.get(detail["name"], -1):
            return False
        last[detail["name"]] = detail["n"]
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--down-s", type=float, default=60.0)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="openssm-bench-")) / "server"
    server = ServerProcess(data_dir=data_dir, env=AS_DEPLOYED)
    server.start()
    store = Store(create_engine(f"sqlite:///{data_dir / 'openssm.db'}"))
    assert server.process is not None
    pid = server.process.pid
    try:
        with receiver() as rx:
            pattern = {"source": ["aws.ssm"], "detail": {"name": [{"prefix": "/bench/"}]}}
            webhook_rule(events_client(server), "bench", rx.url, pattern=pattern)
            delivered = 0
            spread = (f"{args.resources:,} resources", args.resources)
            for label, resources in (spread, ("one resource", 1)):
                cpu = cpu_times(pid)
                write(store, args.events, resources, f"t{resources}")
                first, took = wait_for(rx, delivered + args.events, timeout_s=600)
                used = (cpu_times(pid) - cpu).own
                ordered = in_order(rx, delivered)
                delivered += args.events
                print(
                    f"throughput, {label}: {args.events:,} events, first after "
                    f"{first:.2f} s (the relay's interval), all after {took:.2f} s: "
                    f"{args.events / (took - first):,.0f} events/s once started; "
                    f"{used / args.events * 1000:.2f} server CPU s per 1,000 events; "
                    f"in order per resource: {ordered}"
                )
            rx.down = True
            write(store, args.backlog, args.resources, "backlog")
            time.sleep(args.down_s)
            refused = rx.refused
            rx.down = False
            _, took = wait_for(rx, delivered + args.backlog, timeout_s=600)
            print(
                f"backlog: {args.backlog:,} events over {args.resources} resources, receiver "
                f"down {args.down_s:.0f} s ({refused:,} refused attempts); all delivered "
                f"{took:.1f} s after it came back, in order per resource: "
                f"{in_order(rx, delivered)}"
            )
            print(json.dumps({"receiver_posts": len(rx.accepted()), "refused": rx.refused}))
    finally:
        store.close()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
