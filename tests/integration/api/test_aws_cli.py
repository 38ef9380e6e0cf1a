"""The aws CLI (awscli from PyPI) against a real server, as a user would drive it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support import ServerProcess

pytestmark = pytest.mark.cli


def _aws(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).with_name("aws")
    env = {
        **os.environ,
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_PROFILE": "openssm",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [str(aws), "ssm", *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_put_then_get_parameters_by_path_with_decryption(sqlite_server: ServerProcess) -> None:
    root = f"/cli{uuid.uuid4().hex[:8]}"
    put = _json(
        _aws(
            sqlite_server,
            "put-parameter",
            "--name",
            f"{root}/db/password",
            "--type",
            "SecureString",
            "--value",
            "s3cret",
        )
    )
    assert put["Version"] == 1
    _json(
        _aws(
            sqlite_server,
            "put-parameter",
            "--name",
            f"{root}/db/host",
            "--value",
            "db1",
            "--type",
            "String",
        )
    )
    found = _json(
        _aws(
            sqlite_server,
            "get-parameters-by-path",
            "--path",
            root,
            "--recursive",
            "--with-decryption",
        )
    )
    values = {p["Name"]: p["Value"] for p in found["Parameters"]}
    assert values == {f"{root}/db/password": "s3cret", f"{root}/db/host": "db1"}


def test_get_parameter_shows_ciphertext_without_decryption(sqlite_server: ServerProcess) -> None:
    name = f"/cli{uuid.uuid4().hex[:8]}/secret"
    _json(
        _aws(
            sqlite_server,
            "put-parameter",
            "--name",
            name,
            "--type",
            "SecureString",
            "--value",
            "hunter2",
        )
    )
    hidden = _json(_aws(sqlite_server, "get-parameter", "--name", name))["Parameter"]
    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != "hunter2"
    shown = _json(_aws(sqlite_server, "get-parameter", "--name", name, "--with-decryption"))
    assert shown["Parameter"]["Value"] == "hunter2"


def test_missing_parameter_is_reported_by_name(sqlite_server: ServerProcess) -> None:
    result = _aws(sqlite_server, "get-parameter", "--name", f"/cli{uuid.uuid4().hex}/none")
    assert result.returncode != 0
    assert "ParameterNotFound" in result.stderr


def test_unsigned_cli_call_is_refused(sqlite_server: ServerProcess) -> None:
    aws = Path(sys.executable).with_name("aws")
    result = subprocess.run(
        [
            str(aws),
            "ssm",
            "describe-parameters",
            "--no-sign-request",
            "--endpoint-url",
            sqlite_server.url,
            "--region",
            "us-east-1",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "MissingAuthenticationToken" in result.stderr
