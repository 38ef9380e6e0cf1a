"""The aws CLI's resource-groups commands against a real server, as the README shows them: a
group made with a quoted query, read back, tagged by ARN, targeted by send-command, deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support import TEST_ACCOUNT_ID, ServerProcess

pytestmark = pytest.mark.cli

# The query exactly as the README quotes it for a shell.
QUERY = (
    '{"Type":"TAG_FILTERS_1_0","Query":"{\\"ResourceTypeFilters\\":[\\"AWS::SSM::ManagedInstance\\"],'
    '\\"TagFilters\\":[{\\"Key\\":\\"Env\\",\\"Values\\":[\\"prod\\"]}]}"}'
)


def _aws(server: ServerProcess, *args: str) -> Any:
    """``aws <args> --endpoint-url <server>`` with the server's own credentials file; its
    JSON answer (the command must succeed)."""
    env = {
        **os.environ,
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_PROFILE": "openssm",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = [str(Path(sys.executable).with_name("aws")), *args]
    done = subprocess.run(
        [*command, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "{}")


def test_the_readme_group_commands_work_with_the_aws_cli(sqlite_server: ServerProcess) -> None:
    name = f"web-{uuid.uuid4().hex[:8]}"
    arn = f"arn:aws:resource-groups:us-east-1:{TEST_ACCOUNT_ID}:group/{name}"
    created = _aws(
        sqlite_server, "resource-groups", "create-group", "--name", name, "--resource-query", QUERY
    )
    assert created["Group"]["GroupArn"] == arn
    query = _aws(sqlite_server, "resource-groups", "get-group-query", "--group", name)
    assert json.loads(query["GroupQuery"]["ResourceQuery"]["Query"])["TagFilters"] == [
        {"Key": "Env", "Values": ["prod"]}
    ]
    _aws(sqlite_server, "resource-groups", "tag", "--arn", arn, "--tags", "team=web")
    assert _aws(sqlite_server, "resource-groups", "get-tags", "--arn", arn)["Tags"] == {
        "team": "web"
    }
    sent = _aws(
        sqlite_server,
        "ssm",
        "send-command",
        "--document-name",
        "AWS-RunShellScript",
        "--targets",
        f"Key=resource-groups:Name,Values={name}",
        "--parameters",
        "commands=hostname",
    )
    assert sent["Command"]["Targets"] == [{"Key": "resource-groups:Name", "Values": [name]}]
    _aws(sqlite_server, "resource-groups", "delete-group", "--group", arn)
    listed = _aws(sqlite_server, "resource-groups", "list-groups")["GroupIdentifiers"]
    assert name not in [g["GroupName"] for g in listed]
