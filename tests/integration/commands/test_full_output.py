"""The whole output of every step, kept beyond AWS's inline limits (issue 10 item 6): real
agents run real shells printing far more than GetCommandInvocation shows; the object store
holds all of it byte for byte under AWS's key layout, reached through the URL the API gives,
with secrets masked there too (SECURITY.md #14), and a server killed mid-stream still ends
with the whole output, never a truncated object shown as complete.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.agents import AgentFactory
from tests.canary import assert_absent, put_canary
from tests.integration.commands.output_support import ended_invocation, signed_get
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess, wait_until

pytestmark = pytest.mark.e2e

SHELL = "AWS-RunShellScript"
LINES = 40_000


def _lines(start: int, stop: int) -> str:
    return "".join(f"{i:07d} héllo wörld ✓\n" for i in range(start, stop))


def _printer(start: int, stop: int, stream: str = "stdout") -> str:
    """A shell line printing ``_lines(start, stop)`` to ``stream``."""
    return (
        f"python3 -c \"import sys; [sys.{stream}.write('%07d héllo wörld ✓\\n' % i)"
        f' for i in range({start}, {stop})]"'
    )


def test_the_whole_output_is_kept_byte_for_byte_and_secrets_are_masked_in_it(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    name, canary = put_canary(ssm, "output")
    command_id = ssm.send_command(
        DocumentName=SHELL,
        InstanceIds=[agent.instance_id],
        Parameters={
            "commands": [
                "secret='{{ssm-secure:" + name + "}}'",
                _printer(0, LINES),
                'echo "the secret is $secret"',
                _printer(LINES, LINES + 1000),
                _printer(0, 2000, "stderr"),
            ]
        },
    )["Command"]["CommandId"]
    stdout = (_lines(0, LINES) + "the secret is ***\n" + _lines(LINES, LINES + 1000)).encode()
    stderr = _lines(0, 2000).encode()
    assert len(stdout) > 1_000_000

    got = ended_invocation(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Success", got
    # GetCommandInvocation shows the first 24,000 and 8,000 characters, as AWS does.
    assert got["StandardOutputContent"] == stdout.decode()[:24_000]
    assert got["StandardErrorContent"] == stderr.decode()[:8_000]
    folder = f"{command_id}/{agent.instance_id}/awsrunShellScript/0.awsrunShellScript"
    assert got["StandardOutputUrl"] == f"{fleet_server.url}/output/{folder}/stdout"
    assert got["StandardErrorUrl"] == f"{fleet_server.url}/output/{folder}/stderr"

    # The store holds all of it, under AWS's key layout, and the URL serves it.
    stored = fleet_server.data_dir / "output" / folder
    assert (stored / "stdout").read_bytes() == stdout
    assert (stored / "stderr").read_bytes() == stderr
    assert signed_get(got["StandardOutputUrl"]) == (200, stdout)
    assert signed_get(got["StandardErrorUrl"]) == (200, stderr)

    (listed,) = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    (plugin,) = listed["CommandPlugins"]
    assert plugin["StandardOutputUrl"] == listed["StandardOutputUrl"] == got["StandardOutputUrl"]
    assert plugin["OutputS3KeyPrefix"] == ""  # no bucket: AWS leaves it empty too

    # The agent spooled it (more than a result carries), and forgets its copy once the server
    # has the result.
    assert (agent.state_dir / "output").is_dir()
    wait_until(lambda: not (agent.state_dir / "output" / command_id).exists(), timeout_s=10)
    for root in (fleet_server.data_dir, agent.state_dir):
        for path in root.rglob("*"):
            if path.is_file():
                assert_absent(canary, path.read_bytes(), str(path))

    # The human CLI prints the whole of it.
    shown = subprocess.run(
        [sys.executable, "-m", "openssm", "output", command_id, "--full",
         "--endpoint-url", fleet_server.url],
        capture_output=True, timeout=60, check=False,
        env={**os.environ, "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
             "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET, "AWS_DEFAULT_REGION": TEST_REGION},
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout == stdout
    assert shown.stderr == stderr


def test_short_output_is_served_from_its_result_and_needs_a_signed_caller(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    command_id = ssm.send_command(
        DocumentName=SHELL, InstanceIds=[agent.instance_id], Parameters={"commands": ["echo hi"]}
    )["Command"]["CommandId"]
    got = ended_invocation(ssm, command_id, agent.instance_id)
    assert got["StandardOutputContent"] == "hi\n"
    assert signed_get(got["StandardOutputUrl"]) == (200, b"hi\n")
    assert got["StandardErrorUrl"] == ""  # nothing written there
    folder = fleet_server.data_dir / "output" / command_id
    assert not folder.exists()  # short output lives in the result alone
    # On the agent too: the result (in its ledger's outbox) carried all of it, so it never
    # went to the spool.
    assert not (agent.state_dir / "output").exists()

    assert signed_get(got["StandardOutputUrl"], secret="wrong-secret-key-000000000000")[0] == 400
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(got["StandardOutputUrl"], timeout=10)
    refused.value.close()
    assert refused.value.code in (400, 403)
    bad = got["StandardOutputUrl"].replace("/stdout", "/passwd")
    assert signed_get(bad)[0] == 404


def test_a_server_killed_mid_stream_still_ends_with_the_whole_output(
    own_fleet_server: ServerProcess, tmp_path: Path
) -> None:
    """The agent keeps the output and its result until the server has every byte: frames lost
    to the kill are sent again when the server asks, and no URL appears before that."""
    factory = AgentFactory(server=own_fleet_server, root=tmp_path)
    try:
        (agent,) = factory(1)
        ssm = own_fleet_server.client()
        go = tmp_path / "go"
        command_id = ssm.send_command(
            DocumentName=SHELL,
            InstanceIds=[agent.instance_id],
            Parameters={
                "commands": [
                    _printer(0, 20_000),
                    f"while [ ! -e {go} ]; do sleep 0.05; done",
                    _printer(20_000, 30_000),
                ]
            },
        )["Command"]["CommandId"]
        staged = own_fleet_server.data_dir / "output-staging" / command_id
        wait_until(lambda: any(staged.rglob("*.stdout")), timeout_s=30)
        own_fleet_server.kill()
        (tmp_path / "go").touch()
        wait_until(lambda: (agent.state_dir / "output" / command_id).is_dir(), timeout_s=10)
        own_fleet_server.start()
        ssm = own_fleet_server.client()
        got = ended_invocation(ssm, command_id, agent.instance_id, timeout_s=90)
        assert got["Status"] == "Success", got
        status, body = signed_get(got["StandardOutputUrl"])
        assert (status, body) == (200, _lines(0, 30_000).encode())
    finally:
        factory.stop_all()
