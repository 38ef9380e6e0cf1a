"""AWS-RunAnsiblePlaybook through SendCommand on real agents: a playbook given inline makes
its state true on this host with the ansible-playbook that the dev install brings
(ansible-core), check mode changes nothing, shell syntax in extravars stays inert
(SECURITY.md 12), a playbookurl that is not https is refused (SECURITY.md 11), and a host
without ansible-playbook fails naming what is missing.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import GetCommandInvocationResultTypeDef

from tests.agents import AgentFactory, AgentProcess
from tests.aws_errors import error_of
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

DOCUMENT = "AWS-RunAnsiblePlaybook"
# The playbook's own {{ }} are Jinja for Ansible: the server must pass them on untouched.
PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: the desired file
      ansible.builtin.copy:
        dest: "{{ target }}"
        content: "managed by {{ owner }}\\n"
"""
# This host's python3 on PATH may be a broken shim: the modules run with the tests' Python.
INTERPRETER = f"ansible_python_interpreter={sys.executable}"


@pytest.fixture(scope="module")
def hosts(
    fleet_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AgentProcess, AgentProcess]]:
    """(a host with ansible-playbook on its PATH, a host without it)."""
    factory = AgentFactory(server=fleet_server, root=tmp_path_factory.mktemp("agents"))
    tools = str(Path(sys.executable).parent)
    try:
        [with_ansible] = factory(1, env={"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
        [without] = factory(1, env={"PATH": "/usr/bin:/bin"})
        yield with_ansible, without
    finally:
        factory.stop_all()


def _run(ssm: SSMClient, instance_id: str, **parameters: str) -> GetCommandInvocationResultTypeDef:
    command = ssm.send_command(
        DocumentName=DOCUMENT,
        InstanceIds=[instance_id],
        Parameters={name: [value] for name, value in parameters.items()},
    )["Command"]

    def ended() -> GetCommandInvocationResultTypeDef | None:
        got = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instance_id)
        return None if got["Status"] in {"Pending", "InProgress", "Delayed"} else got

    return wait_until(ended, timeout_s=90, interval_s=0.2)


def test_an_inline_playbook_makes_its_state_true(
    fleet_server: ServerProcess, hosts: tuple[AgentProcess, AgentProcess], tmp_path: Path
) -> None:
    ssm = fleet_server.client()
    target = tmp_path / f"desired-{uuid.uuid4().hex[:6]}"
    inert = "`id`;$(id)|x&y"
    done = _run(
        ssm,
        hosts[0].instance_id,
        playbook=PLAYBOOK,
        extravars=f"target={target} owner={inert} {INTERPRETER}",
    )
    assert done["Status"] == "Success", done["StandardErrorContent"] + done["StandardOutputContent"]
    assert target.read_text() == f"managed by {inert}\n"
    assert "changed=1" in done["StandardOutputContent"]

    dry = tmp_path / "dry-run"
    done = _run(
        ssm,
        hosts[0].instance_id,
        playbook=PLAYBOOK,
        extravars=f"target={dry} owner=x {INTERPRETER}",
        check="True",
    )
    assert done["Status"] == "Success", done["StandardErrorContent"]
    assert not dry.exists()


def test_a_host_without_ansible_fails_naming_it(
    fleet_server: ServerProcess, hosts: tuple[AgentProcess, AgentProcess]
) -> None:
    done = _run(fleet_server.client(), hosts[1].instance_id, playbook=PLAYBOOK)
    assert done["Status"] == "Failed"
    assert "ansible-playbook is not installed" in done["StandardErrorContent"]


@pytest.mark.parametrize(
    "url", ["http://example.com/p.yml", "file:///etc/passwd", "/etc/passwd", "s3://b/p.yml"]
)
def test_a_playbook_url_must_be_https(
    fleet_server: ServerProcess, hosts: tuple[AgentProcess, AgentProcess], url: str
) -> None:
    error = error_of(
        fleet_server.client().send_command,
        DocumentName=DOCUMENT,
        InstanceIds=[hosts[0].instance_id],
        Parameters={"playbookurl": [url]},
    )
    assert error.code == "InvalidParameters"
    assert "playbookurl" in error.message
