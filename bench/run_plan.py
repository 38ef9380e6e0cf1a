"""What running commands costs the agent process: memory under a flood of output, CPU per command.

Runs ``openssm.agent.run.executor.run_plan`` in this process (the agent's executor,
without the channel) and prints figures; asserts nothing.

- flood: one aws:runShellScript step prints ``--megabytes`` of text as fast as it can,
  with a secret to mask; the sink only counts. Reports throughput and this process's
  RSS before and at its peak while the output flows (target: the agent under 40 MB
  while running a command, so the executor's own growth must stay small).
- echo: ``--commands`` plans of one ``echo hi`` step, ``--concurrency`` at a time.
  Reports wall time and this process's CPU per command (the shell's own CPU is its
  child's, not counted; target: under 5 ms per command beyond the spawn).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from openssm.agent.run.context import RunContext, Stream
from openssm.agent.run.executor import run_plan
from openssm.documents.actions import PlatformType
from openssm.documents.kinds import DocumentType
from openssm.documents.plan import Plan, RenderedStep

MB = 1024 * 1024
SECRET = "bench-secret-value"


class CountingSink:
    def __init__(self) -> None:
        self.chunks = 0
        self.chars = 0
        self.masks = 0

    async def chunk(self, step_index: int, step_name: str, stream: Stream, text: str) -> None:
        self.chunks += 1
        self.chars += len(text)
        self.masks += text.count("***")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _plan(*commands: str) -> Plan:
    step = RenderedStep(
        name="bench",
        action="aws:runShellScript",
        plugin_id="bench",
        inputs={"runCommand": list(commands), "timeoutSeconds": "600"},
    )
    return Plan(document_type=DocumentType.COMMAND, schema_version="2.2", steps=(step,))


def _context(root: Path) -> RunContext:
    return RunContext(
        instance_id="mi-00000000000000000",
        region="us-east-1",
        platform=PlatformType.LINUX,
        work_root=root,
        cancel=asyncio.Event(),
        secrets=(SECRET,),
    )


async def flood(root: Path, megabytes: int) -> None:
    line = f"line of output with {SECRET} in it, and some padding to make it longer"
    script = f"yes '{line}' | head -c {megabytes * MB}"
    sink = CountingSink()
    peak = before = _rss_mb()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _rss_mb())
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    outcome = await run_plan(_plan(script), _context(root), sink)
    took = time.monotonic() - started
    sampler.cancel()
    (step,) = outcome.steps
    megabytes_out = step.stdout_bytes / MB
    print(
        f"flood: {megabytes_out:.0f} MB in {took:.2f} s ({megabytes_out / took:.0f} MB/s), "
        f"{sink.chunks} chunks, {sink.masks} secrets masked, status {step.status}"
    )
    print(f"flood: RSS {before:.1f} MB before, {peak:.1f} MB peak (+{peak - before:.1f} MB)")


async def echo(root: Path, commands: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)
    context = _context(root)

    async def one() -> None:
        async with gate:
            await run_plan(_plan("echo hi"), context, CountingSink())

    await one()  # warm up: imports, first fork
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(commands)))
    took = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    print(
        f"echo: {commands} commands, {concurrency} at a time: {took:.2f} s wall, "
        f"{took / commands * 1000:.1f} ms each, agent CPU {cpu / commands * 1000:.2f} ms "
        f"per command, RSS {_rss_mb():.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    print(f"start: RSS {_rss_mb():.1f} MB after imports")
    with tempfile.TemporaryDirectory(prefix="openssm-run-plan-") as tmp:
        asyncio.run(flood(Path(tmp), args.megabytes))
        asyncio.run(echo(Path(tmp), args.commands, 1))
        asyncio.run(echo(Path(tmp), args.commands, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
