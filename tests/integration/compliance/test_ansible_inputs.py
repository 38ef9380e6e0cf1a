"""The agent's own checks of aws:runAnsiblePlaybook's inputs, behind the server's
allowedPattern (SECURITY.md 11): a step that reaches the agent with a playbookurl that is not
https, a file of variables (@path) in extravars, both a playbook and a URL, or neither, fails
without starting ansible-playbook."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from openssm.agent.run.outcome import StepStatus
from tests.integration.agent.support import context, run, shell_steps

TOOLS = str(Path(sys.executable).parent)


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"playbookurl": "http://example.com/p.yml"}, "must be an https:// URL"),
        ({"playbookurl": "/etc/passwd"}, "must be an https:// URL"),
        ({"playbookurl": "file:///etc/passwd"}, "must be an https:// URL"),
        ({"playbook": "- hosts: all", "extravars": "@/etc/shadow"}, "not a file"),
        ({"playbook": "- hosts: all", "playbookurl": "https://example.com/p"}, "not both"),
        ({"playbook": " ", "playbookurl": ""}, "no playbook"),
    ],
)
def test_refused_on_the_agent(tmp_path: Path, inputs: dict[str, Any], says: str) -> None:
    plan = shell_steps({"name": "ansible", "action": "aws:runAnsiblePlaybook", **inputs})
    path = f"{TOOLS}{os.pathsep}{os.environ['PATH']}"
    outcome, sink = run(plan, context(tmp_path, environment={"PATH": path}))
    (step,) = outcome.steps
    assert step.status is StepStatus.FAILED
    assert says in step.message
    assert "PLAY" not in sink.text("stdout")
