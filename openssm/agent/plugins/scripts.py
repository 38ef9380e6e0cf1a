"""What aws:runShellScript and aws:runPowerShellScript share: a script file run as a process.

The step's ``runCommand`` lines are written to a file (0700, removed after the run) and the
interpreter is given the file's path, so the commands (and any ``{{ssm-secure:}}`` value in
them) appear in no process's command line. The file is in the agent's private directory on
the host's tmpfs where there is one (``run.script_root``: the values never reach a disk),
else in the step's private directory.

Inputs, as AWS's agent reads them:
- ``runCommand``: a list of lines or one string.
- ``workingDirectory``: an absolute path is used as it is and must exist; a relative one
  is looked up in the run's directory and, when absent there, replaced by the default;
  empty means the default, the step's own private directory.
- ``timeoutSeconds``: a number or a numeric string, 1 to 172800; anything else means
  the default, 3600 (AWS's executionTimeout default).

Exit code 0 is Success; 194 asks for a reboot now, after which the step runs again, and 3010
for a reboot after which the next step runs (``exit 3010`` reaches the agent as 194 on Linux,
whose exit codes are 8-bit); anything else is Failed with that code. The agent reboots only
when its settings give it a reboot command; otherwise such a step fails, saying so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.proc import Ending, Finished, run_process
from openssm.agent.run.outcome import STOPPED_RESPONSE_CODE, Reboot, StepStatus
from openssm.documents.plan import RenderedStep

DEFAULT_TIMEOUT_S = 3600
MAX_TIMEOUT_S = 172_800
REBOOT_EXIT_CODES = {194: Reboot.RERUN_STEP, 3010: Reboot.NEXT_STEP}


def command_lines(raw: object) -> list[str] | None:
    """``runCommand`` as lines, or None when it is neither a string nor a list of strings."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(line, str) for line in raw):
        return list(raw)
    return None


def timeout_seconds(raw: object) -> int:
    """``timeoutSeconds`` as AWS's agent reads it: out of range or not a number → 3600."""
    value: Any = raw
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return DEFAULT_TIMEOUT_S
    if isinstance(value, float):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_TIMEOUT_S
    return value if 1 <= value <= MAX_TIMEOUT_S else DEFAULT_TIMEOUT_S


def working_directory(raw: object, *, run_dir: Path, default: Path) -> Path:
    """Where the script starts (see the module docstring); may not exist when absolute."""
    if not isinstance(raw, str) or not raw.strip():
        return default
    path = Path(raw)
    if path.is_absolute():
        return path
    relative = run_dir / path
    return relative if relative.is_dir() else default


_agent_environment: dict[str, str] | None = None


def agent_environment() -> dict[str, str]:
    """The agent's own environment, read at the first script: nothing in the agent changes it
    while it runs, and copying ``os.environ`` (decoding every variable) for every script cost
    more than the rest of building its environment."""
    global _agent_environment
    if _agent_environment is None:
        _agent_environment = dict(os.environ)
    return _agent_environment


def script_environment(env: StepEnv) -> dict[str, str]:
    """The agent's environment, the caller's additions, and what AWS's agent sets."""
    context = env.context
    variables = {**agent_environment(), **context.environment}
    variables["AWS_SSM_INSTANCE_ID"] = context.instance_id
    variables["AWS_SSM_REGION_NAME"] = context.region
    if context.command_id:
        variables["SSM_COMMAND_ID"] = context.command_id
    return variables


def write_script(path: Path, lines: Sequence[str]) -> None:
    """Create ``path`` (0700, never through an existing file or symlink) holding ``lines``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o700)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


async def run_script(
    step: RenderedStep,
    env: StepEnv,
    *,
    script_name: str,
    interpreter: Sequence[str],
) -> PluginResult:
    """Write the step's commands to ``script_name`` and run ``interpreter + [path]``.

    A script that starts with ``#!`` is executed directly, so its own interpreter runs
    it (as with AWS's agent, which hands the file to ``sh -c``).
    """
    lines = command_lines(step.inputs.get("runCommand"))
    if lines is None:
        return await env.fail("runCommand must be a list of strings or a string")
    cwd = working_directory(
        step.inputs.get("workingDirectory"), run_dir=env.run_dir, default=env.work_dir
    )
    if not cwd.is_dir():
        return await env.fail(f"working directory {cwd} does not exist or is not a directory")
    script = env.script_path(script_name)
    write_script(script, lines)
    has_shebang = bool(lines) and lines[0].startswith("#!")
    argv = [str(script)] if has_shebang else [*interpreter, str(script)]
    return await run_program(
        argv,
        env,
        cwd=cwd,
        environment=script_environment(env),
        timeout_raw=step.inputs.get("timeoutSeconds"),
    )


async def run_program(
    argv: Sequence[str],
    env: StepEnv,
    *,
    cwd: Path,
    environment: dict[str, str],
    timeout_raw: object,
    what: str = "the script",
) -> PluginResult:
    """Run ``argv`` as the step's process, bound by ``timeoutSeconds`` (``timeout_raw``) and
    the document's deadline, streaming its output; its ending as the step's result."""
    timeout_s = timeout_seconds(timeout_raw)
    own_deadline = time.monotonic() + timeout_s
    deadline = own_deadline if env.deadline is None else min(own_deadline, env.deadline)
    try:
        finished = await run_process(
            argv,
            cwd=cwd,
            env=environment,
            on_stdout=env.output.stdout.write,
            on_stderr=env.output.stderr.write,
            deadline=deadline,
            cancel=env.context.cancel,
            grace_s=env.context.kill_grace_s,
        )
    except OSError as exc:
        return await env.fail(f"cannot start {argv[0]}: {exc.strerror or exc}")
    return await _result(finished, env, timeout_s, deadline < own_deadline, what)


async def _result(
    finished: Finished, env: StepEnv, timeout_s: int, document_bound: bool, what: str
) -> PluginResult:
    if finished.ending is Ending.EXITED:
        code = finished.exit_code
        if code == 0:
            return PluginResult(status=StepStatus.SUCCESS, response_code=0)
        reboot = REBOOT_EXIT_CODES.get(code)
        if reboot is not None:
            if env.depth > 0:
                return await env.fail(
                    f"{what} exited {code} to ask for a reboot, which a document run by "
                    "aws:runDocument may not do",
                    response_code=code,
                )
            if not env.context.may_reboot:
                return await env.fail(
                    f"{what} exited {code} to ask for a reboot, but this agent does not "
                    "reboot its host (set the agent's --reboot-command to allow it)",
                    response_code=code,
                )
            return PluginResult(status=StepStatus.SUCCESS, response_code=code, reboot=reboot)
        return PluginResult(
            status=StepStatus.FAILED,
            response_code=code,
            message=f"{what} exited with code {code}",
        )
    if finished.ending is Ending.TIMED_OUT:
        status = StepStatus.TIMED_OUT
        why = (
            "the document's execution timeout passed"
            if document_bound
            else f"{what} ran longer than its timeout of {timeout_s}s"
        )
    else:
        status = StepStatus.CANCELLED
        why = "the command was cancelled"
    message = f"{why}; {what} and every process it started were stopped"
    if finished.survivors:
        pids = ", ".join(str(pid) for pid in finished.survivors)
        message = f"{why}; processes that could not be killed: {pids}"
    masked = await env.output.report(message)
    return PluginResult(status=status, response_code=STOPPED_RESPONSE_CODE, message=masked)
