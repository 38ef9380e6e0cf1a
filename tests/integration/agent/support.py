"""Running plans with real shells: a recording sink, plans built from documents, /proc checks."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openssm.agent.run.context import DocumentResolver, ResolvedDocument, RunContext, Stream
from openssm.agent.run.executor import run_plan
from openssm.agent.run.outcome import PlanOutcome
from openssm.documents.actions import PlatformType
from openssm.documents.content import DocumentFormat
from openssm.documents.plan import Plan
from openssm.documents.render import render
from openssm.documents.schema import load_document

INSTANCE_ID = "mi-0123456789abcdef0"
REGION = "eu-west-1"


@dataclass
class Recorder:
    """An OutputSink that keeps every chunk, and may react to them (``on_chunk``)."""

    chunks: list[tuple[int, str, Stream, str]] = field(default_factory=list)
    on_chunk: Callable[[str], Awaitable[None]] | None = None

    async def chunk(self, step_index: int, step_name: str, stream: Stream, text: str) -> None:
        self.chunks.append((step_index, step_name, stream, text))
        if self.on_chunk is not None:
            await self.on_chunk(text)

    def text(self, stream: Stream = "stdout", step_index: int | None = None) -> str:
        return "".join(t for i, _, s, t in self.chunks if s == stream and step_index in (None, i))


def plan_of(
    document: Mapping[str, Any] | str,
    parameters: Mapping[str, Sequence[str]] | None = None,
    *,
    secure: Mapping[str, str] | None = None,
) -> Plan:
    """The agent's plan for a Command document; ``secure`` answers ``{{ssm-secure:…}}``."""
    content = document if isinstance(document, str) else json.dumps(document)
    loaded = load_document(content, DocumentFormat.JSON)
    values = dict(secure or {})
    rendered = render(loaded, parameters or {}, lambda name: None, secure_resolver=values.get)
    return rendered.agent


def shell_steps(*steps: Mapping[str, Any]) -> Plan:
    """A schema 2.2 plan of aws:runShellScript steps given as {name, runCommand, …}.

    Step members (precondition, maxAttempts, isEnd, isCritical and stepTimeoutSeconds for
    the step's own timeoutSeconds) are lifted out of the spec; the rest are its inputs.
    """
    main_steps = []
    for spec in steps:
        spec = dict(spec)
        step: dict[str, Any] = {
            "name": spec.pop("name"),
            "action": spec.pop("action", "aws:runShellScript"),
        }
        for key in ("precondition", "maxAttempts", "isEnd", "isCritical"):
            if key in spec:
                step[key] = spec.pop(key)
        if "stepTimeoutSeconds" in spec:  # the step member, beside the plugin's input
            step["timeoutSeconds"] = spec.pop("stepTimeoutSeconds")
        step["inputs"] = spec
        main_steps.append(step)
    return plan_of({"schemaVersion": "2.2", "mainSteps": main_steps})


def context(tmp_path: Path, **changes: Any) -> RunContext:
    base = RunContext(
        instance_id=INSTANCE_ID,
        region=REGION,
        platform=PlatformType.LINUX,
        work_root=tmp_path / "work",
        cancel=asyncio.Event(),
        kill_grace_s=1.0,
    )
    return replace(base, **changes)


def run(
    plan: Plan, ctx: RunContext, sink: Recorder | None = None, **kwargs: Any
) -> tuple[PlanOutcome, Recorder]:
    sink = sink or Recorder()
    return asyncio.run(run_plan(plan, ctx, sink, **kwargs)), sink


def alive(pid: int) -> bool:
    """Is ``pid`` a live process (a zombie is not)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def read_pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def kill_all(pids: Sequence[int]) -> None:
    """Test cleanup: kill what a test meant to leave running."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, 9)


def static_resolver(documents: Mapping[str, ResolvedDocument]) -> DocumentResolver:
    async def resolve(
        name_or_arn: str, version: str | None, parameters: Mapping[str, Sequence[str]]
    ) -> ResolvedDocument:
        try:
            return documents[name_or_arn]
        except KeyError:
            raise LookupError(f"document {name_or_arn} does not exist") from None

    return resolve


def all_command_lines() -> list[str]:
    """The command line of every process now (SECURITY item 14 scans them for secrets)."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue
    return lines
