"""aws:softwareInventory run by the agent's executor without a server: what a step says when
it cannot report, and that it runs the gatherers its inputs enable."""

from __future__ import annotations

from pathlib import Path

from openssm.agent.inventory.reporter import InventoryReporter
from openssm.agent.run.outcome import StepStatus
from tests.integration.agent.support import context, plan_of, run

PLAN = {
    "schemaVersion": "2.2",
    "mainSteps": [
        {
            "action": "aws:softwareInventory",
            "name": "inventory",
            "inputs": {"applications": "Disabled", "services": "Disabled"},
        }
    ],
}


def test_a_run_without_a_channel_fails_its_inventory_step(tmp_path: Path) -> None:
    outcome, _sink = run(plan_of(PLAN), context(tmp_path))
    (step,) = outcome.steps
    assert step.status is StepStatus.FAILED
    assert step.message == "this agent has no channel to report inventory on"


def test_a_disconnected_agent_collects_then_says_it_could_not_report(tmp_path: Path) -> None:
    reporter = InventoryReporter(tmp_path / "inventory")
    outcome, sink = run(plan_of(PLAN), context(tmp_path, inventory=reporter))
    (step,) = outcome.steps
    assert step.status is StepStatus.FAILED
    assert step.message == (
        "inventory was collected but not reported: the agent is not connected to the server"
    )
    assert not (tmp_path / "inventory" / "reported.json").exists()
    assert sink.text("stdout") == ""
