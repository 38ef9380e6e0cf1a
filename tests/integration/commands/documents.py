"""Command documents the Run Command tests store: schema 2.2 JSON from a list of steps."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from types_boto3_ssm.client import SSMClient


def shell_step(name: str, *lines: str) -> dict[str, Any]:
    return {"action": "aws:runShellScript", "name": name, "inputs": {"runCommand": list(lines)}}


def run_document_step(
    name: str, path: str, parameters: Mapping[str, str] | None = None
) -> dict[str, Any]:
    inputs: dict[str, Any] = {"documentType": "SSMDocument", "documentPath": path}
    if parameters is not None:
        inputs["documentParameters"] = dict(parameters)
    return {"action": "aws:runDocument", "name": name, "inputs": inputs}


def create_command_document(
    ssm: SSMClient,
    name: str,
    steps: Sequence[Mapping[str, Any]],
    *,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """Store a Command document running ``steps``; its name."""
    content: dict[str, Any] = {"schemaVersion": "2.2", "mainSteps": list(steps)}
    if parameters:
        content["parameters"] = dict(parameters)
    ssm.create_document(
        Name=name, DocumentType="Command", DocumentFormat="JSON", Content=json.dumps(content)
    )
    return name
