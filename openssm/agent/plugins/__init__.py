"""The agent's plugins, one module per action, and the table that picks one for a step.

    base.py                   StepEnv, PluginResult, Plugin: the contract
    scripts.py                what the two script plugins share
    run_shell_script.py       aws:runShellScript
    run_powershell_script.py  aws:runPowerShellScript
    run_document.py           aws:runDocument
    run_ansible_playbook.py   aws:runAnsiblePlaybook (openssm's; AWS-RunAnsiblePlaybook)
    software_inventory.py     aws:softwareInventory

An action with no plugin here fails its step with a message that names it.
"""

from __future__ import annotations

from collections.abc import Mapping

from openssm.agent.plugins.base import Plugin
from openssm.agent.plugins.run_ansible_playbook import run_ansible_playbook
from openssm.agent.plugins.run_document import run_document
from openssm.agent.plugins.run_powershell_script import run_powershell_script
from openssm.agent.plugins.run_shell_script import run_shell_script
from openssm.agent.plugins.software_inventory import software_inventory

PLUGINS: Mapping[str, Plugin] = {
    "aws:runShellScript": run_shell_script,
    "aws:runPowerShellScript": run_powershell_script,
    "aws:runDocument": run_document,
    "aws:runAnsiblePlaybook": run_ansible_playbook,
    "aws:softwareInventory": software_inventory,
}
