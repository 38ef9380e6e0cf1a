"""What one full inventory collection costs the agent on this host: CPU time (the agent's own
and its commands') and the agent's extra peak RSS.

    python bench/inventory_collect.py [--runs 5]

Each run is a fresh Python process that imports what the agent imports for inventory, reads
its RSS, collects everything AWS-GatherSoftwareInventory enables by default (plus a files
search over /etc) and encodes the frames it would send, then reads its peak RSS (VmHWM).
Extra RSS is the peak minus the RSS before collecting. Prints each run and the median;
asserts nothing. Targets (issue 13): under 2 s of CPU, under 30 MB extra RSS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

_PROBE = r"""
import asyncio, datetime as dt, json, pathlib, resource, tempfile, time
from openssm.agent.inventory.collect import Host, collect
from openssm.agent.inventory.reporter import batches, _report
from openssm.protocol.frames import InventoryFrame, encode

def vm(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0

before_rss = vm("VmRSS")
cpu0, wall0 = time.process_time(), time.perf_counter()
inputs = {"files": json.dumps([{"Path": "/etc", "Pattern": ["*.conf"], "Recursive": True}])}
with tempfile.TemporaryDirectory() as custom:
    host = Host(custom_folder=pathlib.Path(custom))
    collection = asyncio.run(collect(inputs, host, dt.datetime.now(dt.UTC)))
reports = [_report(i, with_content=True) for i in collection.items]
frame_chars = sum(len(encode(InventoryFrame(report_id="x", items=b))) for b in batches(reports))
print(json.dumps({
    "agent_cpu_s": time.process_time() - cpu0,
    "commands_cpu_s": collection.cost.commands_cpu_s,
    "wall_s": time.perf_counter() - wall0,
    "extra_rss_bytes": vm("VmHWM") - before_rss,
    "rss_before_bytes": before_rss,
    "entries": {i.type_name: len(i.content) for i in collection.items},
    "frame_chars": frame_chars,
    "problems": collection.problems,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = []
    for n in range(args.runs):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
        )
        run = json.loads(done.stdout)
        runs.append(run)
        cpu = run["agent_cpu_s"] + run["commands_cpu_s"]
        print(
            f"run {n + 1}: CPU {cpu:.2f} s (agent {run['agent_cpu_s']:.2f} s, commands "
            f"{run['commands_cpu_s']:.2f} s), wall {run['wall_s']:.2f} s, extra RSS "
            f"{run['extra_rss_bytes'] / 1e6:.1f} MB over {run['rss_before_bytes'] / 1e6:.1f} MB"
        )
    last = runs[-1]
    print(f"collected: {last['entries']}; frames {last['frame_chars'] / 1e3:.0f} k characters")
    if last["problems"]:
        print(f"not collected: {last['problems']}")
    cpu = statistics.median(r["agent_cpu_s"] + r["commands_cpu_s"] for r in runs)
    rss = statistics.median(r["extra_rss_bytes"] for r in runs)
    print(
        f"median of {len(runs)}: CPU {cpu:.2f} s (target < 2 s), "
        f"extra RSS {rss / 1e6:.1f} MB (target < 30 MB)"
    )


if __name__ == "__main__":
    main()
