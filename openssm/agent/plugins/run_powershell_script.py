"""aws:runPowerShellScript: the step's commands as a PowerShell script, run by ``pwsh``.

On a Linux or macOS host without PowerShell the step fails and says so, as it does
with AWS's agent; nothing is installed on the host's behalf.
"""

from __future__ import annotations

import shutil

from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.plugins.scripts import run_script
from openssm.documents.plan import RenderedStep

SCRIPT_NAME = "_script.ps1"
# -File runs the script and makes its exit code pwsh's; no profile, no prompts.
PWSH_ARGS = ("-NoLogo", "-NoProfile", "-NonInteractive", "-File")


async def run_powershell_script(step: RenderedStep, env: StepEnv) -> PluginResult:
    pwsh = shutil.which("pwsh", path=env.context.environment.get("PATH"))
    if pwsh is None:
        return await env.fail(
            "aws:runPowerShellScript needs PowerShell (pwsh), which is not installed on "
            "this host; install PowerShell, or run the commands with aws:runShellScript"
        )
    return await run_script(step, env, script_name=SCRIPT_NAME, interpreter=[pwsh, *PWSH_ARGS])
