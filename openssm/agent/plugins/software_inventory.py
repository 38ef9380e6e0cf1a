"""aws:softwareInventory: collect this host's inventory and report it to the server.

Inputs are AWS-GatherSoftwareInventory's parameters (``applications``, ``files``,
``customInventory``, …; ``agent.inventory.collect``). The step's output lists each type
with its number of entries and whether it was sent or unchanged, the gatherers that failed,
and what the collection cost. It fails when nothing could be reported.
"""

from __future__ import annotations

import datetime as dt

from openssm.agent.inventory.collect import Host, collect
from openssm.agent.inventory.reporter import ReportFailed
from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.run.outcome import StepStatus
from openssm.documents.plan import RenderedStep


async def software_inventory(step: RenderedStep, env: StepEnv) -> PluginResult:
    reporter = env.context.inventory
    if reporter is None:
        return await env.fail("this agent has no channel to report inventory on")
    collection = await collect(
        step.inputs, Host(custom_folder=reporter.custom_folder), dt.datetime.now(dt.UTC)
    )
    for problem in collection.problems:
        await env.output.report(f"not collected: {problem}")
    try:
        reported = await reporter.report(collection.items)
    except ReportFailed as exc:
        return await env.fail(f"inventory was collected but not reported: {exc}")
    lines = [
        f"{item.type_name}: {len(item.content)} entries, "
        f"{'unchanged' if item.type_name in reported.unchanged else 'sent'}"
        for item in collection.items
    ]
    lines.append(f"collection cost: {collection.cost.summary()}")
    await env.output.stdout.write_text("\n".join(lines) + "\n")
    return PluginResult(status=StepStatus.SUCCESS, response_code=0)
