"""What the caller of ``run_plan`` hands in: the run's context, the output sink, the resolver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from openssm.documents.actions import PlatformType
from openssm.documents.plan import Plan

if TYPE_CHECKING:
    from openssm.agent.inventory.reporter import InventoryReporter

Stream = Literal["stdout", "stderr"]


class OutputSink(Protocol):
    async def chunk(self, step_index: int, step_name: str, stream: Stream, text: str) -> None:
        """Output of a running step, already masked, in order per stream.

        Called while the step runs: at most ``output.CHUNK_CHARS`` characters a call, and
        buffered output is handed over at least every ``output.FLUSH_INTERVAL_S`` while it
        flows. The step waits while this call waits, so a slow sink slows the script (its
        pipe fills) instead of growing the agent's memory. It should not raise: if it does,
        the step's processes are stopped and ``run_plan`` raises that error.
        """
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedDocument:
    """A document that an ``aws:runDocument`` step runs, rendered for this host.

    ``secrets`` are the values of its ``{{ssm-secure:}}`` references, masked in its output
    like the outer plan's.
    """

    plan: Plan
    secrets: tuple[str, ...] = ()


class DocumentResolver(Protocol):
    def __call__(
        self, name_or_arn: str, version: str | None, parameters: Mapping[str, Sequence[str]]
    ) -> Awaitable[ResolvedDocument]:
        """Render the stored document ``name_or_arn`` (at ``version``, or its default) with
        wire-shaped ``parameters``. Raises LookupError (or any OpenSSMError) with a message
        fit for the step's output when the document cannot be run."""
        ...


async def no_documents(
    name_or_arn: str, version: str | None, parameters: Mapping[str, Sequence[str]]
) -> ResolvedDocument:
    """A resolver for callers that run no nested documents."""
    raise LookupError(f"document {name_or_arn} cannot be fetched: no document resolver")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunContext:
    """Everything a run needs besides the plan.

    ``work_root``: a private directory (created 0700 if missing) under which each run
    makes its own directory for its steps, removed when the run ends.
    ``script_root``: the agent's private directory on a tmpfs for scripts (``script_root``
    module); None: each script is written in its step's directory.
    ``execution_timeout_s``: bound on the whole plan (None: only the steps' own
    ``timeoutSeconds`` bound it). ``cancel``: set it to stop the run; ``run_plan`` returns
    Cancelled once every process it started is gone. ``secrets``: values of the plan's
    ``{{ssm-secure:}}`` references; the output shows ``***`` in their place.
    ``command_id``: exported to scripts as SSM_COMMAND_ID, as AWS's agent does.
    ``environment``: more variables for scripts, over the agent's own environment.
    ``kill_grace_s``: how long a stopped script's processes have between SIGTERM and SIGKILL.
    ``may_reboot``: a step may ask for a reboot (exit 194 or 3010); when False such a step
    fails instead, since nothing would reboot the host.
    ``inventory``: where aws:softwareInventory reports (None: the run cannot report any).
    """

    instance_id: str
    region: str
    platform: PlatformType
    work_root: Path
    cancel: asyncio.Event
    execution_timeout_s: float | None = None
    secrets: tuple[str, ...] = ()
    resolve_document: DocumentResolver = no_documents
    command_id: str = ""
    kill_grace_s: float = 2.0
    may_reboot: bool = True
    environment: Mapping[str, str] = field(default_factory=dict)
    script_root: Path | None = None
    inventory: InventoryReporter | None = None
