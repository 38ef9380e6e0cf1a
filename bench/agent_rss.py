"""A real agent's idle footprint: RSS, PSS and CPU% over --seconds while it heartbeats.

Starts a fresh server (SQLite, temp data dir, the default 30 s heartbeat unless
--heartbeat-s), registers one agent through a real activation, runs
`python -m openssm agent run` until the server shows it Online, lets it settle,
then samples it. Target (issue 3): under 40 MB RSS and about 0% CPU. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.agents import AgentProcess, create_activation, register_cli, wait_ping_status
from tests.support import ServerProcess

MB = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="sampling window")
    parser.add_argument("--settle-s", type=float, default=5.0, help="wait before sampling")
    parser.add_argument("--heartbeat-s", type=float, default=30.0, help="server heartbeat interval")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openssm-agent-rss-") as tmp:
        root = Path(tmp)
        env = {
            "OPENSSM_HEARTBEAT_INTERVAL_S": str(args.heartbeat_s),
            "OPENSSM_CONNECTION_LOST_AFTER_S": str(max(120.0, args.heartbeat_s * 4)),
            "OPENSSM_LOG_LEVEL": "warning",
        }
        server = ServerProcess(data_dir=root / "server", env=env)
        server.start()
        agent: AgentProcess | None = None
        try:
            ssm = server.client()
            activation_id, code = create_activation(ssm)
            done = register_cli(server.url, root / "agent", activation_id, code)
            if done.returncode != 0:
                print(f"registration failed: {done.stderr}", file=sys.stderr)
                return 1
            agent = AgentProcess(
                state_dir=root / "agent",
                instance_id=done.stdout.strip(),
                env={"OPENSSM_LOG_LEVEL": "info"},
            )
            agent.start()
            wait_ping_status(ssm, [agent.instance_id], "Online", timeout_s=30)
            time.sleep(args.settle_s)
            process = psutil.Process(agent.pid)
            before = process.cpu_times()
            started = time.monotonic()
            peak_rss = 0
            while time.monotonic() - started < args.seconds:
                peak_rss = max(peak_rss, process.memory_info().rss)
                time.sleep(1.0)
            after = process.cpu_times()
            elapsed = time.monotonic() - started
            cpu_s = (after.user + after.system) - (before.user + before.system)
            full = process.memory_full_info()
            print(f"agent {agent.instance_id} idle for {elapsed:.0f}s")
            print(f"  heartbeat interval: {args.heartbeat_s:g}s")
            print(f"  RSS: {full.rss / MB:.1f} MB (peak {peak_rss / MB:.1f} MB; target < 40 MB)")
            print(f"  PSS: {full.pss / MB:.1f} MB, USS: {full.uss / MB:.1f} MB")
            print(f"  threads: {process.num_threads()}, open files/sockets: {process.num_fds()}")
            print(f"  CPU: {cpu_s:.3f}s over {elapsed:.0f}s = {100 * cpu_s / elapsed:.3f}%")
        finally:
            if agent is not None:
                agent.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
