"""Documents an ``aws:runDocument`` step runs, rendered by the server when the command is sent.

The server resolves each nested document under the caller's identity (access, Parameter
Store references, parameter checks), so an agent never needs to read documents or Parameter
Store itself; the rendered plans travel in the invocation with the secrets to mask, and the
agent's resolver finds them by the step's ``documentPath`` and ``documentParameters``.
Pure: the input parsers are shared by the server and the agent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from openssm.documents.plan import Plan

RUN_DOCUMENT = "aws:runDocument"
# Documents nest at most this deep (which also ends a document that runs itself).
MAX_DEPTH = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class NestedDocument:
    name: str
    version: str | None
    parameters: dict[str, list[str]]
    plan: Plan = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def lookup_key(name: str, version: str | None, parameters: Mapping[str, list[str]]) -> str:
    """How a nested document is found again: its name, version and parameters."""
    return json.dumps([name, version, dict(parameters)], sort_keys=True)


def parse_document_path(path: str) -> tuple[str, str | None]:
    """(name or ARN, version or None) from ``documentPath``."""
    if path.startswith("arn:"):
        return path, None
    name, colon, version = path.partition(":")
    return (name, version) if colon and version else (path, None)


def wire_parameters(raw: object) -> dict[str, list[str]] | None:
    """``documentParameters`` as SendCommand's wire shape, None when it is not a map."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, Mapping):
        return None
    return {str(name): _values(value) for name, value in raw.items()}


def _values(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item if isinstance(item, str) else json.dumps(item) for item in items]
