"""Run Command against simulated agents: how fast does the server itself move a command?

The agents are bench/fleet_sim.py's (real registrations, real channels and heartbeats, many
in one process); each answers an ``invocation`` frame at once with a Success ``result``, as
an agent whose command takes no time would, so every figure is the server's own cost.
Prints, asserting nothing:

- the single-target round trip, SendCommand until GetCommandInvocation shows Success
  (p50/p99 over --runs);
- SendCommand by tag to each --fanout size (tags set with AddTagsToResource first),
  MaxConcurrency 100%, until the command's Status is Success: wall time, and the server's
  CPU seconds per target from /proc.

Targets (issue 10): 10,000 simulated targets under 5 s, under 5 ms of server CPU per target.

    python bench/commands_sim.py                         # 10,000 agents; 1,000 and 10,000
    python bench/commands_sim.py --agents 1000 --fanout 1000 --runs 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from types_boto3_ssm.client import SSMClient

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
from openssm.protocol import frames
from openssm.protocol.frames import Frame, InvocationFrame, ResultFrame
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET

DOCUMENT = "AWS-RunShellScript"
TAG_KEY = "fanout"
_ENDED = frozenset({"Success", "Failed", "Cancelled", "TimedOut"})
Send = Callable[[Frame], Awaitable[None]]


class InstantRunner:
    """A simulated agent's Run Command side: every invocation succeeds the moment it arrives."""

    def __init__(self) -> None:
        self._send: Send | None = None
        self.invocations = 0
        self.acks = 0

    async def attach(self, send: Send) -> None:
        self._send = send

    def detach(self) -> None:
        self._send = None

    async def handle(self, frame: Frame) -> bool:
        if isinstance(frame, InvocationFrame):
            self.invocations += 1
            if self._send is not None:
                await self._send(success(frame))
        elif isinstance(frame, frames.ResultAckFrame):
            self.acks += 1
        elif not isinstance(frame, frames.CancelFrame):
            return False
        return True

    async def stop(self) -> None:
        return None


def success(frame: InvocationFrame) -> ResultFrame:
    """What an agent reports after ``echo hi`` ran: the whole output fits in the result."""
    now = time.time()
    steps = [
        frames.StepResult(
            index=index,
            name=step.name,
            action=step.action,
            status="Success",
            status_details="Success",
            response_code=0,
            started_at=now,
            ended_at=now,
            stdout="hi\n",
            stderr="",
            plugin_id=step.plugin_id,
            stdout_size=len("hi\n"),
        )
        for index, step in enumerate(frame.plan.steps)
    ]
    return ResultFrame(
        command_id=frame.command_id, details="Success", response_code=0, ended_at=now, steps=steps
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def tag_fleet(ssm: SSMClient, agents: list[SimAgent], sizes: list[int], threads: int) -> None:
    """Tag ``fanout=<n>`` on the first n agents for each size n (one tag key, several values
    are not possible on one node, so each node gets the smallest size it belongs to and a
    command to size n targets every value up to n)."""

    def tag(agent: SimAgent) -> None:
        size = min(n for n in sizes if agent.index < n)
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance",
            ResourceId=agent.instance_id,
            Tags=[{"Key": TAG_KEY, "Value": str(size)}],
        )

    tagged = [a for a in agents if a.index < max(sizes)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(tag, tagged))


def send_echo(ssm: SSMClient, **target: object) -> str:
    answer = ssm.send_command(
        DocumentName=DOCUMENT,
        Parameters={"commands": ["echo hi"]},
        MaxConcurrency="100%",
        MaxErrors="0",
        **target,  # type: ignore[arg-type]  # InstanceIds or Targets
    )
    return answer["Command"]["CommandId"]


def round_trip(ssm: SSMClient, instance_id: str, poll_s: float) -> float:
    """Seconds from SendCommand until GetCommandInvocation shows the invocation Success."""
    started = time.perf_counter()
    command_id = send_echo(ssm, InstanceIds=[instance_id])
    while True:
        try:
            status = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)[
                "Status"
            ]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "InvocationDoesNotExist":
                raise
            status = "Pending"
        if status == "Success":
            return time.perf_counter() - started
        if status in _ENDED:
            raise RuntimeError(f"command {command_id} ended {status}")
        time.sleep(poll_s)


@dataclass
class FanOut:
    sent_s: float = 0.0  # SendCommand's own time
    took_s: float = 0.0  # until the command's Status ended
    status: str = ""
    # (seconds since SendCommand, CompletedCount) each time the count moved
    progress: list[tuple[float, int]] = field(default_factory=list)

    def when(self, share: float, size: int) -> float:
        return next((t for t, done in self.progress if done >= share * size), self.took_s)


def fan_out(ssm: SSMClient, size: int, sizes: list[int], poll_s: float) -> FanOut:
    values = [str(n) for n in sizes if n <= size]
    result = FanOut()
    started = time.perf_counter()
    command_id = send_echo(ssm, Targets=[{"Key": f"tag:{TAG_KEY}", "Values": values}])
    result.sent_s = time.perf_counter() - started
    while True:
        command = ssm.list_commands(CommandId=command_id)["Commands"][0]
        now = time.perf_counter() - started
        if not result.progress or result.progress[-1][1] != command["CompletedCount"]:
            result.progress.append((now, command["CompletedCount"]))
        if command["Status"] in _ENDED:
            result.took_s = now
            if command["TargetCount"] != size:
                print(f"  warning: {command['TargetCount']} targets, expected {size}")
            result.status = f"{command['Status']} ({command['CompletedCount']} completed)"
            return result
        time.sleep(poll_s)


@contextlib.contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy samples the server while the block runs, when ``out`` is given (collapsed
    stacks, one per line, for flame graphs or a grep)."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        "250",
        "--threads",
        "--idle",
    ]
    recorder = subprocess.Popen(  # py-spy from the venv, on our own server
        [*command, "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # attached before the work starts
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)
        print(f"  server profile: {out}")


@dataclass
class SimFleet:
    """A fresh server and its simulated agents, connected, each answering with an
    InstantRunner (``runners`` by agent index)."""

    url: str
    ssm: SSMClient
    server_pid: int
    agents: list[SimAgent]
    runners: dict[int, InstantRunner]


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``run_fleet`` reads: the fleet's size and how it registers and connects."""
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--heartbeat-s", type=float, default=30.0)
    parser.add_argument("--register-concurrency", type=int, default=32)
    parser.add_argument("--connect-batch", type=int, default=250)


def run_fleet(
    args: argparse.Namespace, *, prefix: str, measure: Callable[[SimFleet], Awaitable[None]]
) -> None:
    """Start a server (SQLite, in a temporary directory), register and connect ``args.agents``
    simulated agents whose invocations succeed at once, run ``measure`` on them, and stop it
    all (the bench scripts of Run Command and State Manager share this)."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    limit = raise_open_file_limit()
    if limit < args.agents + 100:
        print(f"warning: {args.agents} connections need more than {limit} open files")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
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
            fleet = SimFleet(
                url=server.url,
                ssm=ssm,
                server_pid=server.pid,
                agents=[a for a in agents if a.instance_id],
                runners={},
            )
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(_connected(fleet, args.connect_batch, measure))
        finally:
            server.stop()


async def _connected(
    fleet: SimFleet, batch: int, measure: Callable[[SimFleet], Awaitable[None]]
) -> None:
    stop = asyncio.Event()
    fleet.runners.update((a.index, InstantRunner()) for a in fleet.agents)
    started = time.monotonic()
    tasks = await connect_fleet(
        fleet.url, fleet.agents, batch=batch, stop=stop, commands=lambda a: fleet.runners[a.index]
    )
    print(
        f"connected {connected(fleet.agents)}/{len(fleet.agents)} "
        f"in {time.monotonic() - started:.1f}s"
    )
    try:
        await measure(fleet)
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=30)


async def measure(fleet: SimFleet, args: argparse.Namespace) -> None:
    ssm, agents, server_pid, runners = fleet.ssm, fleet.agents, fleet.server_pid, fleet.runners
    sizes = sorted(n for n in args.fanout if n <= len(agents))
    if sizes:
        started = time.monotonic()
        await asyncio.to_thread(tag_fleet, ssm, agents, sizes, args.register_concurrency)
        print(f"tagged {max(sizes)} agents in {time.monotonic() - started:.1f}s")
    if args.runs:
        await asyncio.to_thread(round_trip, ssm, agents[0].instance_id, args.poll_s)  # warm
        before = cpu_times(server_pid)
        trips = [
            await asyncio.to_thread(round_trip, ssm, agents[0].instance_id, args.poll_s)
            for _ in range(args.runs)
        ]
        used = cpu_times(server_pid) - before
        print(
            f"single-target round trip over {len(trips)} runs: "
            f"p50 {1000 * statistics.median(trips):.1f} ms, "
            f"p99 {1000 * percentile(trips, 0.99):.1f} ms, "
            f"max {1000 * max(trips):.1f} ms; "
            f"server CPU {1000 * used.own / len(trips):.1f} ms per command"
        )
    for size in sizes:
        await asyncio.sleep(args.settle_s)
        out = args.profile / f"fanout-{size}.txt" if args.profile else None
        with profiled(server_pid, out):
            before, own_before = cpu_times(server_pid), cpu_times(os.getpid())
            done = await asyncio.to_thread(fan_out, ssm, size, sizes, args.fanout_poll_s)
            used, own = cpu_times(server_pid) - before, cpu_times(os.getpid()) - own_before
        print(
            f"fan-out to {size} targets: {done.status} in {done.took_s:.2f}s "
            f"(SendCommand {1000 * done.sent_s:.0f} ms; first result "
            f"{done.when(1 / size, size):.2f}s, half {done.when(0.5, size):.2f}s); "
            f"server CPU {used.own:.2f}s = {1000 * used.own / size:.2f} ms per target; "
            f"simulator CPU {own.own:.2f}s"
        )
    answered = sum(r.invocations for r in runners.values())
    acked = sum(r.acks for r in runners.values())
    print(f"simulated agents answered {answered} invocations; {acked} results acknowledged")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fleet_arguments(parser)
    parser.add_argument(
        "--fanout", type=int, action="append", help="targets of one command (default 1000, 10000)"
    )
    parser.add_argument("--runs", type=int, default=200, help="single-target round trips")
    parser.add_argument("--poll-s", type=float, default=0.002, help="status polling interval")
    parser.add_argument(
        "--fanout-poll-s",
        type=float,
        default=0.02,
        help="ListCommands interval during a fan-out (each poll costs the server CPU too)",
    )
    parser.add_argument("--settle-s", type=float, default=2.0, help="quiet before each fan-out")
    parser.add_argument(
        "--profile", type=Path, help="directory for py-spy profiles of the server's fan-outs"
    )
    args = parser.parse_args()
    args.fanout = args.fanout or [1000, 10_000]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    run_fleet(args, prefix="openssm-commands-sim-", measure=lambda f: measure(f, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
