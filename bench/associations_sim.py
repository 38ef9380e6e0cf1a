"""State Manager against simulated agents: how long until an association has reached a fleet?

The agents are bench/commands_sim.py's (bench/fleet_sim.py's real registrations, channels and
heartbeats, many in one process, each answering an invocation at once with Success), so every
figure is the server's own cost. One association targets every agent by tag; the script
prints, asserting nothing:

- CreateAssociation's own time;
- the time from CreateAssociation until every target has a compliance result (its
  Association item, written with the host's result; read from the association's overview,
  then checked against ListComplianceSummaries);
- the server's CPU seconds per target over that time, from /proc.

    python bench/associations_sim.py                   # 10,000 agents
    python bench/associations_sim.py --agents 1000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import uvloop
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from types_boto3_ssm.client import SSMClient

from bench.commands_sim import DOCUMENT, TAG_KEY, InstantRunner, tag_fleet
from bench.fleet_sim import (
    SimAgent,
    connect_fleet,
    connected,
    raise_open_file_limit,
    register_all,
    ssm_client,
    start_server,
)
from bench.proc_cpu import cpu_times
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET


@dataclass
class Reached:
    created_s: float = 0.0  # CreateAssociation's own time
    took_s: float = 0.0  # until every target had a result
    first_s: float = 0.0  # until the first target had one
    half_s: float = 0.0
    counts: dict[str, int] | None = None


def reach(ssm: SSMClient, size: int, poll_s: float, timeout_s: float, sync: str) -> Reached:
    """Create the association over ``size`` tagged agents and wait until each has a result."""
    result = Reached()
    started = time.perf_counter()
    association_id = ssm.create_association(
        Name=DOCUMENT,
        Targets=[{"Key": f"tag:{TAG_KEY}", "Values": [str(size)]}],
        Parameters={"commands": ["echo hi"]},
        AssociationName=f"bench-{size}",
        SyncCompliance=sync,  # type: ignore[arg-type]  # AUTO or MANUAL, from the flag
    )["AssociationDescription"]["AssociationId"]
    result.created_s = time.perf_counter() - started
    while time.perf_counter() - started < timeout_s:
        overview = ssm.describe_association(AssociationId=association_id)["AssociationDescription"][
            "Overview"
        ]
        counts = dict(overview.get("AssociationStatusAggregatedCount") or {})
        done = counts.get("Success", 0) + counts.get("Failed", 0)
        now = time.perf_counter() - started
        if done and not result.first_s:
            result.first_s = now
        if done * 2 >= size and not result.half_s:
            result.half_s = now
        if done >= size:
            result.took_s = now
            result.counts = counts
            return result
        time.sleep(poll_s)
    result.took_s = float("nan")
    return result


def compliant_hosts(ssm: SSMClient) -> tuple[int, int]:
    """(compliant, non-compliant) hosts of type Association, as ListComplianceSummaries says."""
    summaries = ssm.list_compliance_summaries(
        Filters=[{"Key": "ComplianceType", "Values": ["Association"], "Type": "EQUAL"}]
    )["ComplianceSummaryItems"]
    for item in summaries:
        if item.get("ComplianceType") == "Association":
            return (
                item["CompliantSummary"]["CompliantCount"],
                item["NonCompliantSummary"]["NonCompliantCount"],
            )
    return 0, 0


async def measure(
    url: str, agents: list[SimAgent], *, ssm: SSMClient, server_pid: int, args: argparse.Namespace
) -> None:
    stop = asyncio.Event()
    runners = {a.index: InstantRunner() for a in agents}
    started = time.monotonic()
    tasks = await connect_fleet(
        url, agents, batch=args.connect_batch, stop=stop, commands=lambda a: runners[a.index]
    )
    print(f"connected {connected(agents)}/{len(agents)} in {time.monotonic() - started:.1f}s")
    size = len(agents)
    try:
        started = time.monotonic()
        await asyncio.to_thread(tag_fleet, ssm, agents, [size], args.register_concurrency)
        print(f"tagged {size} agents in {time.monotonic() - started:.1f}s")
        await asyncio.sleep(args.settle_s)
        before, own_before = cpu_times(server_pid), cpu_times(os.getpid())
        done = await asyncio.to_thread(
            reach, ssm, size, args.poll_s, args.timeout_s, args.sync_compliance
        )
        used, own = cpu_times(server_pid) - before, cpu_times(os.getpid()) - own_before
        print(
            f"association over {size} targets: every target had a compliance result in "
            f"{done.took_s:.2f}s (CreateAssociation {1000 * done.created_s:.0f} ms; first "
            f"{done.first_s:.2f}s, half {done.half_s:.2f}s); hosts {done.counts}; "
            f"server CPU {used.own:.2f}s = {1000 * used.own / size:.2f} ms per target; "
            f"simulator CPU {own.own:.2f}s"
        )
        compliant, non_compliant = await asyncio.to_thread(compliant_hosts, ssm)
        print(f"ListComplianceSummaries, Association: {compliant} compliant, {non_compliant} not")
        answered = sum(r.invocations for r in runners.values())
        print(f"simulated agents answered {answered} invocations")
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--poll-s", type=float, default=0.1, help="DescribeAssociation interval")
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--settle-s", type=float, default=5.0, help="quiet before creating it")
    parser.add_argument(
        "--sync-compliance",
        choices=("AUTO", "MANUAL"),
        default="AUTO",
        help="MANUAL leaves compliance out, to see what writing it costs",
    )
    parser.add_argument("--heartbeat-s", type=float, default=30.0)
    parser.add_argument("--register-concurrency", type=int, default=32)
    parser.add_argument("--connect-batch", type=int, default=250)
    args = parser.parse_args()

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    limit = raise_open_file_limit()
    if limit < args.agents + 100:
        print(f"warning: {args.agents} connections need more than {limit} open files")
    with tempfile.TemporaryDirectory(prefix="openssm-associations-sim-") as tmp:
        server = start_server(Path(tmp) / "server", heartbeat_s=args.heartbeat_s)
        try:
            print(f"server: {server.url} (pid {server.pid})")
            ssm = ssm_client(server.url, ADMIN_KEY_ID, ADMIN_SECRET)
            agents = [
                SimAgent(index=i, key=Ed25519PrivateKey.generate()) for i in range(args.agents)
            ]
            started = time.monotonic()
            failures = register_all(server.url, ssm, agents, args.register_concurrency)
            print(
                f"registered {len(agents) - failures}/{len(agents)} agents "
                f"in {time.monotonic() - started:.1f}s"
            )
            agents = [a for a in agents if a.instance_id]
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(measure(server.url, agents, ssm=ssm, server_pid=server.pid, args=args))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
