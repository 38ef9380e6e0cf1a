"""aws:runShellScript with real shells: output, exit codes, directories, environment, secrets."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from openssm.agent import proc
from openssm.agent.run.outcome import StepStatus
from openssm.documents.catalog import load_catalog
from openssm.statuses import InvocationStatus
from tests.integration.agent.support import (
    INSTANCE_ID,
    REGION,
    Recorder,
    all_command_lines,
    context,
    plan_of,
    run,
    shell_steps,
)

SECRET = "canary-5ecr3t-value"


def test_aws_run_shell_script_from_the_catalog_runs_the_commands(tmp_path: Path) -> None:
    (document,) = [d for d in load_catalog() if d.name == "AWS-RunShellScript"]
    plan = plan_of(document.content, {"commands": ["echo hello", "echo world >&2"]})
    outcome, sink = run(plan, context(tmp_path))
    assert outcome.status is InvocationStatus.SUCCESS
    (step,) = outcome.steps
    assert (step.name, step.plugin_id) == ("aws:runShellScript", "0.aws:runShellScript")
    assert (step.status, step.response_code) == (StepStatus.SUCCESS, 0)
    assert sink.text("stdout") == "hello\n"
    assert sink.text("stderr") == "world\n"
    assert (step.stdout_bytes, step.stderr_bytes) == (6, 6)
    assert step.started_at is not None
    assert step.ended_at is not None
    assert step.started_at <= step.ended_at


def test_output_reaches_the_sink_while_the_script_still_runs(tmp_path: Path) -> None:
    # The script waits for a file that the sink creates when it sees the first line: it can
    # only finish if that line was streamed before the script exited.
    flag = tmp_path / "seen"
    script = [
        "echo first",
        f"while [ ! -e {flag} ]; do sleep 0.02; done",
        "echo second",
    ]

    async def on_chunk(text: str) -> None:
        if "first" in text:
            flag.touch()

    plan = shell_steps({"name": "stream", "runCommand": script, "timeoutSeconds": 20})
    outcome, sink = run(plan, context(tmp_path), Recorder(on_chunk=on_chunk))
    assert outcome.status is InvocationStatus.SUCCESS
    assert sink.text() == "first\nsecond\n"
    assert len(sink.chunks) == 2


def test_the_exit_code_decides_the_status(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "ok", "runCommand": "true"},
        {"name": "three", "runCommand": ["echo going", "exit 3"]},
        {"name": "killed", "runCommand": "kill -9 $$"},
    )
    outcome, _ = run(plan, context(tmp_path))
    assert [(s.status, s.response_code) for s in outcome.steps] == [
        (StepStatus.SUCCESS, 0),
        (StepStatus.FAILED, 3),
        (StepStatus.FAILED, 137),
    ]
    assert outcome.status is InvocationStatus.FAILED
    assert outcome.steps[1].message == "the script exited with code 3"


def test_scripts_see_the_instance_region_and_command_id(tmp_path: Path) -> None:
    plan = shell_steps(
        {
            "name": "env",
            "runCommand": "echo $AWS_SSM_INSTANCE_ID $AWS_SSM_REGION_NAME $SSM_COMMAND_ID",
        }
    )
    command_id = "4a1c2e3f-0000-4000-8000-000000000001"
    _, sink = run(plan, context(tmp_path, command_id=command_id))
    assert sink.text() == f"{INSTANCE_ID} {REGION} {command_id}\n"


def test_a_script_with_a_shebang_runs_with_its_own_interpreter(tmp_path: Path) -> None:
    plan = shell_steps({"name": "py", "runCommand": ["#!/usr/bin/env python3", "print(6 * 7)"]})
    outcome, sink = run(plan, context(tmp_path))
    assert outcome.status is InvocationStatus.SUCCESS
    assert sink.text() == "42\n"


def test_scripts_get_a_usual_umask_whatever_the_agents(tmp_path: Path) -> None:
    # The agent runs with umask 077 (its unit and run_agent set it); files a script creates
    # must get the modes they get from any shell.
    previous = os.umask(0o077)
    try:
        _, sink = run(shell_steps({"name": "umask", "runCommand": "umask"}), context(tmp_path))
    finally:
        os.umask(previous)
    assert sink.text() == "0022\n"


def _set_oom_score_adj(path: Path, *values: str) -> str:
    """The first of ``values`` this process may set (lowering one takes CAP_SYS_RESOURCE)."""
    for value in values:
        try:
            path.write_text(value)
        except PermissionError:
            continue
        return value
    pytest.skip("this process can change its oom_score_adj to none of " + ", ".join(values))


def test_scripts_drop_the_agents_oom_protection_and_the_agent_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The agent's unit protects it from the OOM killer (OOMScoreAdjust=-500); a script and
    # what it starts get the default, so a runaway script is killed before the agent. Where
    # the test may not lower the value it raises it: the agent must restore any value.
    # The agent reads its value at its first spawn; this test changes it after earlier tests
    # spawned, as no agent does, so it starts from a protection that has read nothing yet.
    monkeypatch.setattr(proc, "_unprotected", proc._OomProtection())
    own = Path("/proc/self/oom_score_adj")
    previous = own.read_text().strip()
    agents = _set_oom_score_adj(own, "-100", "100")
    try:
        script = "cat /proc/self/oom_score_adj; sh -c 'cat /proc/self/oom_score_adj'"
        _, sink = run(shell_steps({"name": "oom", "runCommand": script}), context(tmp_path))
        assert own.read_text().strip() == agents
    finally:
        own.write_text(previous)
    assert sink.text() == "0\n0\n"


def test_an_existing_working_directory_is_where_the_script_starts(tmp_path: Path) -> None:
    where = tmp_path / "app"
    where.mkdir()
    plan = shell_steps({"name": "pwd", "runCommand": "pwd", "workingDirectory": str(where)})
    _, sink = run(plan, context(tmp_path))
    assert sink.text() == f"{where}\n"


def test_without_a_working_directory_the_script_starts_in_its_private_directory(
    tmp_path: Path,
) -> None:
    plan = shell_steps({"name": "pwd", "runCommand": ["pwd", "stat -c %a ."]})
    _, sink = run(plan, context(tmp_path))
    cwd, mode = sink.text().split()
    assert Path(cwd).is_relative_to(tmp_path / "work")
    assert mode == "700"


def test_a_missing_working_directory_fails_the_step_and_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    plan = shell_steps({"name": "pwd", "runCommand": "pwd", "workingDirectory": str(missing)})
    outcome, sink = run(plan, context(tmp_path))
    (step,) = outcome.steps
    assert (step.status, step.response_code) == (StepStatus.FAILED, 1)
    assert step.message == f"working directory {missing} does not exist or is not a directory"
    assert sink.text("stderr") == step.message + "\n"
    assert sink.text("stdout") == ""


def test_a_secret_the_script_prints_shows_as_stars_and_never_on_a_command_line(
    tmp_path: Path,
) -> None:
    document = {
        "schemaVersion": "2.2",
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "leak",
                "inputs": {
                    "runCommand": [
                        "password='{{ssm-secure:/app/password}}'",
                        'echo "the password is $password"',
                        # Cut the secret across two writes, far enough apart to be two reads.
                        'printf %s "${password%%5ecr3t-value}"; sleep 0.3',
                        'printf "%s\\n" "${password#canary-}"',
                        'echo "$password" >&2',
                    ]
                },
            }
        ],
    }
    plan = plan_of(document, secure={"/app/password": SECRET})
    command_lines: list[str] = []

    async def on_chunk(text: str) -> None:
        command_lines.extend(all_command_lines())

    outcome, sink = run(plan, context(tmp_path, secrets=(SECRET,)), Recorder(on_chunk=on_chunk))
    assert outcome.status is InvocationStatus.SUCCESS
    assert sink.text("stdout") == "the password is ***\n***\n"
    assert sink.text("stderr") == "***\n"
    assert len(sink.chunks) >= 3
    assert command_lines
    assert not [line for line in command_lines if SECRET in line]


def test_the_run_leaves_no_script_behind(tmp_path: Path) -> None:
    plan = shell_steps({"name": "where", "runCommand": "ls"})
    outcome, sink = run(plan, context(tmp_path))
    assert outcome.status is InvocationStatus.SUCCESS
    assert sink.text() == "_script.sh\n"
    assert list((tmp_path / "work").iterdir()) == []


def test_a_step_that_asks_for_a_reboot_suspends_the_plan(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "patch", "runCommand": "echo patched; exit 194"},
        {"name": "after", "runCommand": "echo after"},
    )
    outcome, sink = run(plan, context(tmp_path))
    assert outcome.reboot is not None
    assert (outcome.reboot.step_index, outcome.reboot.resume_at) == (0, 0)
    assert [(s.name, s.status, s.response_code) for s in outcome.steps] == [
        ("patch", StepStatus.SUCCESS, 194)
    ]
    assert sink.text() == "patched\n"
    # After the reboot the caller resumes at the step that asked.
    resumed, sink = run(plan, context(tmp_path), start_at=1)
    assert [s.index for s in resumed.steps] == [1]
    assert sink.text() == "after\n"


@pytest.mark.parametrize("pwsh_present", [False, True])
def test_powershell_runs_with_pwsh_or_fails_saying_it_is_missing(
    tmp_path: Path, pwsh_present: bool
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("cat", "sh"):
        real = shutil.which(tool)
        assert real is not None
        (bin_dir / tool).symlink_to(real)
    if pwsh_present:
        # A stand-in pwsh (a shell script): shows the arguments it got and the script's text.
        fake = bin_dir / "pwsh"
        fake.write_text('#!/bin/sh\nfor last; do :; done\necho "args: $*"\ncat "$last"\n')
        fake.chmod(0o755)
    plan = shell_steps(
        {"name": "ps", "action": "aws:runPowerShellScript", "runCommand": "Write-Output hi"}
    )
    outcome, sink = run(plan, context(tmp_path, environment={"PATH": str(bin_dir)}))
    (step,) = outcome.steps
    if pwsh_present:
        assert step.status is StepStatus.SUCCESS
        args, text = sink.text().split("\n", 1)
        assert args.startswith("args: -NoLogo -NoProfile -NonInteractive -File /")
        assert args.endswith("/_script.ps1")
        assert text == "Write-Output hi\n"
    else:
        assert (step.status, step.response_code) == (StepStatus.FAILED, 1)
        assert "needs PowerShell (pwsh), which is not installed on this host" in step.message
        assert sink.text("stderr") == step.message + "\n"


def test_with_a_script_root_the_script_is_written_there_and_removed(tmp_path: Path) -> None:
    # The agent's directory on a tmpfs (run/script_root.py): the script, which may hold
    # secrets, never reaches the disk; the step still starts in its own private directory.
    scripts = tmp_path / "shm-scripts"
    scripts.mkdir(mode=0o700)
    document = {
        "schemaVersion": "2.2",
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "where",
                "inputs": {
                    "runCommand": [
                        "password='{{ssm-secure:/app/password}}'",
                        'echo "$0"',
                        'stat -c %a "$0"',
                        "ls -A",
                        "pwd",
                    ]
                },
            }
        ],
    }
    plan = plan_of(document, secure={"/app/password": SECRET})
    ctx = context(tmp_path, secrets=(SECRET,), script_root=scripts)
    outcome, sink = run(plan, ctx)
    assert outcome.status is InvocationStatus.SUCCESS
    script, mode, cwd = sink.text().split("\n")[:3]
    assert Path(script).parent == scripts
    # The run's name once, then the script's (a one-step run's directory is its step's).
    assert re.fullmatch(r"run-[0-9a-f]{12}-_script\.sh", Path(script).name), script
    assert mode == "700"
    assert Path(cwd).is_relative_to(tmp_path / "work")  # ls -A printed nothing
    assert list(scripts.iterdir()) == []
    assert list((tmp_path / "work").iterdir()) == []


def test_what_the_steps_leave_in_their_directories_goes_with_the_run(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "litter", "runCommand": "mkdir -p a/b && touch a/b/c f ../beside"},
        {"name": "tidy", "runCommand": "true"},
        {"name": "again", "runCommand": "exit 1", "maxAttempts": 2},
    )
    outcome, _ = run(plan, context(tmp_path))
    assert [s.status for s in outcome.steps] == [
        StepStatus.SUCCESS,
        StepStatus.SUCCESS,
        StepStatus.FAILED,
    ]
    assert list((tmp_path / "work").iterdir()) == []


def test_a_relative_working_directory_is_looked_up_in_the_runs_directory(
    tmp_path: Path,
) -> None:
    # An earlier step may leave a directory beside its own for a later one; a name that is
    # not there means the step's own directory, in a run of one step as in longer ones.
    plan = shell_steps(
        {"name": "make", "runCommand": "mkdir ../shared && pwd"},
        {"name": "use", "runCommand": "pwd", "workingDirectory": "shared"},
    )
    outcome, sink = run(plan, context(tmp_path))
    assert outcome.status is InvocationStatus.SUCCESS
    first, second = (Path(line) for line in sink.text().split())
    assert second == first.parent / "shared"
    alone = shell_steps({"name": "alone", "runCommand": "pwd", "workingDirectory": "shared"})
    _, sink = run(alone, context(tmp_path))
    own = Path(sink.text().strip())
    assert own.is_relative_to(tmp_path / "work")
    assert own.name != "shared"
