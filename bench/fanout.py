"""`echo hi` on N real agents on this machine: Run Command's fan-out beside Salt's.

Starts a fresh server (SQLite), registers N real agents through one activation (`openssm
agent register`, as an operator would), runs them as `openssm agent run` subprocesses until
the server shows them Online, then times SendCommand (AWS-RunShellScript, `echo hi`,
MaxConcurrency 100%) until the command's Status is Success. The fleet grows from one size to
the next (10, then 40 more, then 150 more), so each size is a fresh command on exactly N.

For each N it prints the wall time of the first (cold) command and the median of the warm
ones, and the CPU per target of the server and agents together (from /proc), with and without
the shells the agents spawned, beside Salt 3008's figures on this 2-core machine. The CPU
figure covers at least --cpu-targets target runs (at N=10, 60 warm commands rather than
--repeat): /proc counts in 10 ms ticks and a shared machine has bursts, so a figure from a
few commands moved by a millisecond per target from run to run. The spread of that figure
over six equal slices of the warm commands is printed beside it. It also reports an agent's
RSS idle and while it runs a command. Asserts nothing.

Targets (issue 10): N=50 under 0.5 s, N=200 under 2 s, under 5 ms of CPU per target beyond
the shell's own spawn; an agent under 30 MB RSS idle and under 40 MB running a command.

    python bench/fanout.py                  # N = 10, 50, 200
    python bench/fanout.py --agents 10 --cpu-targets 1200
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from types_boto3_ssm.client import SSMClient

from bench.deployed import AS_DEPLOYED
from bench.proc_cpu import CpuTimes, total_cpu
from tests.agents import AgentProcess, create_activation, register_cli
from tests.support import ServerProcess, wait_until

MB = 1024 * 1024
# Salt 3008, `salt '*' cmd.run 'echo hi'` with local minions on this 2-core machine (issue 10).
SALT_WALL_S = {50: 2.9, 200: 23.8}
SALT_CPU_PER_TARGET_MS = 100.0
_ENDED = frozenset({"Success", "Failed", "Cancelled", "TimedOut"})
_QUIET = AS_DEPLOYED


def register_agents(
    server: ServerProcess, ssm: SSMClient, root: Path, first: int, count: int, threads: int
) -> list[AgentProcess]:
    activation_id, code = create_activation(ssm, limit=count)

    def register(index: int) -> AgentProcess:
        state_dir = root / f"agent-{index}"
        done = register_cli(server.url, state_dir, activation_id, code)
        if done.returncode != 0:
            raise RuntimeError(f"registration failed: {done.stderr}")
        return AgentProcess(state_dir=state_dir, instance_id=done.stdout.strip(), env=_QUIET)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(register, range(first, first + count)))


def count_online(ssm: SSMClient) -> int:
    pages = ssm.get_paginator("describe_instance_information").paginate(
        Filters=[{"Key": "PingStatus", "Values": ["Online"]}],
        PaginationConfig={"PageSize": 50},
    )
    return sum(len(page["InstanceInformationList"]) for page in pages)


@dataclass(frozen=True, slots=True)
class Run:
    command_id: str
    sent_at: float  # wall clock, to compare with the agents' step times
    took_s: float  # SendCommand until the command's Status ended


def run_everywhere(ssm: SSMClient, command: str, expected: int, poll_s: float) -> Run:
    """SendCommand to every node, then ListCommands until its Status ended (Success).
    Each poll costs the server CPU too, counted in its figure."""
    sent_at = time.time()
    started = time.perf_counter()
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
        Parameters={"commands": [command]},
        MaxConcurrency="100%",
        MaxErrors="0",
    )["Command"]["CommandId"]
    found = ssm.list_commands(CommandId=command_id)["Commands"][0]
    while found["Status"] not in _ENDED:
        time.sleep(poll_s)
        found = ssm.list_commands(CommandId=command_id)["Commands"][0]
    took = time.perf_counter() - started
    if found["Status"] != "Success" or found["TargetCount"] != expected:
        raise RuntimeError(
            f"{command!r} ended {found['Status']} on {found['CompletedCount']} of "
            f"{found['TargetCount']} targets (expected {expected} Success)"
        )
    return Run(command_id, sent_at, took)


def where_time_went(ssm: SSMClient, run: Run) -> str:
    """When the scripts started and ended on the agents, after SendCommand was called."""
    starts: list[float] = []
    ends: list[float] = []
    pages = ssm.get_paginator("list_command_invocations").paginate(
        CommandId=run.command_id, Details=True
    )
    for page in pages:
        for invocation in page["CommandInvocations"]:
            for plugin in invocation.get("CommandPlugins", []):
                starts.append(plugin["ResponseStartDateTime"].timestamp() - run.sent_at)
                ends.append(plugin["ResponseFinishDateTime"].timestamp() - run.sent_at)
    return (
        f"scripts started +{1000 * min(starts):.0f}..+{1000 * max(starts):.0f} ms, "
        f"the last ended +{1000 * max(ends):.0f} ms, Success seen +{1000 * run.took_s:.0f} ms"
    )


class RssSampler:
    """Samples the agents' RSS every few milliseconds in a thread; keeps each one's peak."""

    def __init__(self, pids: list[int], interval_s: float = 0.005) -> None:
        self._processes = [psutil.Process(pid) for pid in pids]
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for process in self._processes:
                self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(self._interval_s)


SLICES = 6


@dataclass(frozen=True, slots=True)
class Measured:
    cold: Run
    warm: list[Run]
    server: CpuTimes  # over all the warm runs
    agents: CpuTimes
    # CPU per target beyond the shell in each of SLICES equal slices of the warm runs.
    slices: list[float]


def measure(
    ssm: SSMClient, server_pid: int, agents: list[AgentProcess], warm_runs: int, poll_s: float
) -> Measured:
    """One cold run, then ``warm_runs`` warm ones with the CPU read after each."""
    n = len(agents)
    cold = run_everywhere(ssm, "echo hi", n, poll_s)
    pids = [a.pid for a in agents]
    readings = [(total_cpu([server_pid]), total_cpu(pids))]
    warm: list[Run] = []
    for _ in range(warm_runs):
        warm.append(run_everywhere(ssm, "echo hi", n, poll_s))
        readings.append((total_cpu([server_pid]), total_cpu(pids)))
    bounds = [round(i * warm_runs / SLICES) for i in range(SLICES + 1)]
    slices = [
        _beyond_shell(readings[start], readings[end], n * (end - start))
        for start, end in itertools.pairwise(bounds)
        if end > start
    ]
    return Measured(
        cold=cold,
        warm=warm,
        server=readings[-1][0] - readings[0][0],
        agents=readings[-1][1] - readings[0][1],
        slices=slices,
    )


def _beyond_shell(
    before: tuple[CpuTimes, CpuTimes], after: tuple[CpuTimes, CpuTimes], runs: int
) -> float:
    return ((after[0] - before[0]).own + (after[1] - before[1]).own) / runs


def report_rss(ssm: SSMClient, agents: list[AgentProcess], poll_s: float) -> None:
    idle = [psutil.Process(a.pid).memory_info().rss / MB for a in agents]
    print(
        f"agent RSS idle: median {statistics.median(idle):.1f} MB, max {max(idle):.1f} MB "
        "(target < 30 MB)"
    )
    with RssSampler([a.pid for a in agents]) as sampler:
        run_everywhere(ssm, "echo hi; sleep 0.5", len(agents), poll_s)
    print(f"agent RSS running a command: peak {sampler.peak / MB:.1f} MB (target < 40 MB)")


def report(n: int, measured: Measured) -> None:
    warm, server_cpu, agents_cpu = measured.warm, measured.server, measured.agents
    runs = n * len(warm)
    median = statistics.median(r.took_s for r in warm)
    beyond_shell = (server_cpu.own + agents_cpu.own) / runs
    with_shell = beyond_shell + agents_cpu.children / runs
    salt = SALT_WALL_S.get(n)
    print(
        f"N={n}: echo hi on all in {median:.3f}s "
        f"(median of {len(warm)}; cold {measured.cold.took_s:.3f}s)"
        + (f"; Salt {salt:.1f}s" if salt else "")
    )
    print(
        f"  CPU per target over {runs} target runs: {1000 * with_shell:.1f} ms with the "
        f"shell, {1000 * beyond_shell:.1f} ms beyond it "
        f"(server {1000 * server_cpu.own / runs:.1f}, "
        f"agent {1000 * agents_cpu.own / runs:.1f}, "
        f"shell {1000 * agents_cpu.children / runs:.1f}); "
        f"Salt ~{SALT_CPU_PER_TARGET_MS:.0f} ms"
    )
    if len(measured.slices) > 1:
        low, high = min(measured.slices), max(measured.slices)
        print(
            f"  beyond the shell in {len(measured.slices)} slices of the warm runs: "
            f"{1000 * low:.1f}..{1000 * high:.1f} ms "
            f"(median {1000 * statistics.median(measured.slices):.1f})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agents", type=int, action="append", help="fleet size N (default 10, 50 and 200)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per size, at least")
    parser.add_argument(
        "--cpu-targets",
        type=int,
        default=600,
        help="target runs the CPU figure covers, at least (more warm runs at small N)",
    )
    parser.add_argument("--register-threads", type=int, default=8)
    parser.add_argument("--poll-s", type=float, default=0.01, help="status polling interval")
    args = parser.parse_args()
    sizes = sorted(set(args.agents or [10, 50, 200]))

    with tempfile.TemporaryDirectory(prefix="openssm-fanout-") as tmp:
        root = Path(tmp)
        server = ServerProcess(data_dir=root / "server", env=_QUIET)
        server.start()
        agents: list[AgentProcess] = []
        try:
            ssm = server.client()
            print(f"server: {server.url} (pid {server.pid})")
            for n in sizes:
                new = register_agents(
                    server, ssm, root, len(agents), n - len(agents), args.register_threads
                )
                for agent in new:
                    agent.start()
                agents.extend(new)
                wait_until(lambda n=n: count_online(ssm) >= n, timeout_s=120, interval_s=0.5)  # type: ignore[misc]
                time.sleep(1.0)  # let the agents' start-up work settle
                warm_runs = max(args.repeat, math.ceil(args.cpu_targets / n))
                measured = measure(ssm, server.pid, agents, warm_runs, args.poll_s)
                report(n, measured)
                print(f"  last run: {where_time_went(ssm, measured.warm[-1])}")
            report_rss(ssm, agents, args.poll_s)
        finally:
            for agent in agents:
                agent.kill(15)
            for agent in agents:
                agent.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
