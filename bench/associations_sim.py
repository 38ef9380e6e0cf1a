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
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from types_boto3_ssm.client import SSMClient

from bench.commands_sim import (
    DOCUMENT,
    TAG_KEY,
    SimFleet,
    add_fleet_arguments,
    run_fleet,
    tag_fleet,
)
from bench.proc_cpu import cpu_times


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


async def measure(fleet: SimFleet, args: argparse.Namespace) -> None:
    ssm, agents, size = fleet.ssm, fleet.agents, len(fleet.agents)
    started = time.monotonic()
    await asyncio.to_thread(tag_fleet, ssm, agents, [size], args.register_concurrency)
    print(f"tagged {size} agents in {time.monotonic() - started:.1f}s")
    await asyncio.sleep(args.settle_s)
    before, own_before = cpu_times(fleet.server_pid), cpu_times(os.getpid())
    done = await asyncio.to_thread(
        reach, ssm, size, args.poll_s, args.timeout_s, args.sync_compliance
    )
    used, own = cpu_times(fleet.server_pid) - before, cpu_times(os.getpid()) - own_before
    print(
        f"association over {size} targets: every target had a compliance result in "
        f"{done.took_s:.2f}s (CreateAssociation {1000 * done.created_s:.0f} ms; first "
        f"{done.first_s:.2f}s, half {done.half_s:.2f}s); hosts {done.counts}; "
        f"server CPU {used.own:.2f}s = {1000 * used.own / size:.2f} ms per target; "
        f"simulator CPU {own.own:.2f}s"
    )
    compliant, non_compliant = await asyncio.to_thread(compliant_hosts, ssm)
    print(f"ListComplianceSummaries, Association: {compliant} compliant, {non_compliant} not")
    answered = sum(r.invocations for r in fleet.runners.values())
    print(f"simulated agents answered {answered} invocations")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fleet_arguments(parser)
    parser.add_argument("--poll-s", type=float, default=0.1, help="DescribeAssociation interval")
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--settle-s", type=float, default=5.0, help="quiet before creating it")
    parser.add_argument(
        "--sync-compliance",
        choices=("AUTO", "MANUAL"),
        default="AUTO",
        help="MANUAL leaves compliance out, to see what writing it costs",
    )
    args = parser.parse_args()
    run_fleet(args, prefix="openssm-associations-sim-", measure=lambda f: measure(f, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
