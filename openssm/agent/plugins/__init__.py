"""The agent's plugins, one module per action, and the table that picks one for a step.

    base.py                   StepEnv, PluginResult, Plugin: the contract
    scripts.py                what the two script plugins share
    run_shell_script.py       aws:runShellScript
    run_powershell_script.py  aws:runPowerShellScript
    run_document.py           aws:runDocument
    run_ansible_playbook.py   aws:runAnsiblePlaybook (openssm's; AWS-RunAnsiblePlaybook)
    software_inventory.py     aws:softwareInventory

An action with no plugin here fails its step with a message that names it.

The script plugins are loaded with the agent; the others with the first step that uses
them: inventory's gatherers and the other plugins put about 0.3 MB on every idle agent's
RSS (bench/agent_rss.py), and most agents run shell scripts alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from openssm.agent.plugins.base import Plugin, PluginResult, StepEnv
from openssm.agent.plugins.run_powershell_script import run_powershell_script
from openssm.agent.plugins.run_shell_script import run_shell_script
from openssm.documents.plan import RenderedStep


class _OnFirstUse:
    """A plugin imported the first time a step calls it."""

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._plugin: Plugin | None = None

    async def __call__(self, step: RenderedStep, env: StepEnv) -> PluginResult:
        if self._plugin is None:
            module = importlib.import_module(f"openssm.agent.plugins.{self._module}")
            self._plugin = getattr(module, self._name)
        return await self._plugin(step, env)


PLUGINS: Mapping[str, Plugin] = {
    "aws:runShellScript": run_shell_script,
    "aws:runPowerShellScript": run_powershell_script,
    "aws:runDocument": _OnFirstUse("run_document", "run_document"),
    "aws:runAnsiblePlaybook": _OnFirstUse("run_ansible_playbook", "run_ansible_playbook"),
    "aws:softwareInventory": _OnFirstUse("software_inventory", "software_inventory"),
}
