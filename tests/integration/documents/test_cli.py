"""The aws CLI creating and describing documents, as a new user would (issue 4, "Done when")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ServerProcess

pytestmark = pytest.mark.cli

FIXTURES = Path(__file__).parents[2] / "fixtures" / "documents"


def aws(
    server: ServerProcess, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("aws")
    env = {
        **os.environ,
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_PROFILE": "openssm",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [str(executable), "ssm", *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=60,
    )


def output(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_document_from_a_yaml_file(sqlite_server: ServerProcess, tmp_path: Path) -> None:
    text = (FIXTURES / "install-nginx.yaml").read_text()
    (tmp_path / "mydoc.yaml").write_text(text)
    name = f"MyDoc-{uuid.uuid4().hex[:8]}"
    created = output(
        aws(
            sqlite_server,
            "create-document",
            "--content",
            "file://mydoc.yaml",
            "--document-format",
            "YAML",
            "--document-type",
            "Command",
            "--name",
            name,
            cwd=tmp_path,
        )
    )["DocumentDescription"]
    assert created["Name"] == name
    assert created["Status"] == "Active"
    assert created["DocumentFormat"] == "YAML"
    assert created["SchemaVersion"] == "2.2"
    assert created["PlatformTypes"] == ["Windows", "Linux", "MacOS"]
    assert {p["Name"] for p in created["Parameters"]} == {"nginxVersion", "enableAtBoot"}
    got = output(aws(sqlite_server, "get-document", "--name", name, "--document-format", "JSON"))
    assert json.loads(got["Content"]) == yaml.safe_load(text)
    listed = output(aws(sqlite_server, "list-documents", "--filters", "Key=Owner,Values=Self"))[
        "DocumentIdentifiers"
    ]
    assert name in [d["Name"] for d in listed]


def test_describe_aws_run_shell_script(sqlite_server: ServerProcess) -> None:
    desc = output(aws(sqlite_server, "describe-document", "--name", "AWS-RunShellScript"))[
        "Document"
    ]
    assert desc["Owner"] == "Amazon"
    assert [p["Name"] for p in desc["Parameters"]] == [
        "commands",
        "workingDirectory",
        "executionTimeout",
    ]


def test_typo_in_an_action_is_refused_naming_the_step(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    text = (FIXTURES / "install-nginx.yaml").read_text()
    broken = text.replace("aws:runPowerShellScript", "aws:runPowershelScript")
    (tmp_path / "broken.yaml").write_text(broken)
    result = aws(
        sqlite_server,
        "create-document",
        "--content",
        "file://broken.yaml",
        "--document-format",
        "YAML",
        "--name",
        f"Broken-{uuid.uuid4().hex[:8]}",
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "InvalidDocumentContent" in result.stderr
    assert "installNginxWindows" in result.stderr
    assert "aws:runPowershelScript" in result.stderr
