"""aws:runShellScript: the step's commands as a shell script (``plugins.scripts``).

Scripts without a ``#!`` line run with bash where it is installed, else with sh. AWS's
agent uses sh, which is bash on some distributions and dash on others; bash runs what
either accepts, so a script written against Amazon Linux still runs on Debian.
"""

from __future__ import annotations

import os
import shutil

from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.plugins.scripts import run_script
from openssm.documents.plan import RenderedStep

SCRIPT_NAME = "_script.sh"


# bash as found for each PATH: looking it up walks PATH with a stat per entry, for every
# script; a cached bash is checked still there (one access call) before it is used.
_BASH: dict[str | None, str] = {}


def shell(path: str | None = None) -> str:
    """bash, else sh, looked up in ``path`` (the scripts' PATH; None: the agent's)."""
    key = path if path is not None else os.environ.get("PATH")
    cached = _BASH.get(key)
    if cached is not None and os.access(cached, os.X_OK):
        return cached
    bash = shutil.which("bash", path=path)
    if bash is not None:
        _BASH[key] = bash
        return bash
    return shutil.which("sh", path=path) or "/bin/sh"


async def run_shell_script(step: RenderedStep, env: StepEnv) -> PluginResult:
    interpreter = shell(env.context.environment.get("PATH"))
    return await run_script(step, env, script_name=SCRIPT_NAME, interpreter=[interpreter])
