"""Every implemented operation, every member of its input given a value at or past its
limits, or of the wrong JSON type, one member at a time.

Numbers go to the model's bounds and one past them, to the edges of a 64-bit integer and
beyond (JSON has no limit; SQLite and PostgreSQL do); lists go one item past their maximum;
every member also gets each wrong JSON type. Each call must come back as an AWS error a
client can act on (or succeed where the value is harmless), never as an
InternalServerError, and the server must log no traceback. Generated from botocore's
model, like ``test_hostile_strings.py``, so an operation added later is covered.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import botocore.session
import pytest
from botocore.model import Shape

from openssm.java_regex import compile_java
from openssm.server.app import operation_table
from tests.integration.signing import send, signed_request
from tests.support import ServerProcess

MAX_DEPTH = 3
# Strings tried in turn for a member until one fits its pattern and length, so that the
# rest of each request is valid and the value under test reaches the handler.
PLAIN_STRINGS = [
    "xyz",
    "/xyz",
    "1",
    "$LATEST",
    "123456789012",
    "12345678-1234-1234-1234-123456789012",
    "mi-0123456789abcdef0",
    "Name",
]
_MODEL = botocore.session.get_session().get_service_model("ssm")
WRONG_TYPES: list[object] = [None, "1", 1.5, True, [], {}, [None], {"k": None}]
Path = tuple[str | int, ...]
SEED_DOCUMENT = json.dumps(
    {
        "schemaVersion": "2.2",
        "description": "seed",
        "parameters": {"p": {"type": "String", "default": "v"}},
        "mainSteps": [
            {"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": ["true"]}}
        ],
    }
)


def _plain(shape: Shape, depth: int = 0, *, required_only: bool = False) -> object:
    """A small value of ``shape``; None where none can be built."""
    kind = shape.type_name
    if kind == "structure":
        if depth > MAX_DEPTH:
            return {}
        members: dict[str, Shape] = shape.members  # type: ignore[attr-defined]
        if required_only:
            members = {n: m for n, m in members.items() if n in shape.required_members}
        built = {name: _plain(member, depth + 1) for name, member in members.items()}
        return {name: value for name, value in built.items() if value is not None}
    if kind == "list":
        item = _plain(shape.member, depth + 1)  # type: ignore[attr-defined]
        return [] if item is None else [item]
    if kind == "map":
        value = _plain(shape.value, depth + 1)  # type: ignore[attr-defined]
        return {} if value is None else {"k": value}
    if kind == "string":
        enum: list[str] = shape.enum  # type: ignore[attr-defined]
        return enum[0] if enum else _fitting(shape)
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind == "boolean":
        return True
    return None


def _fitting(shape: Shape) -> str:
    meta = shape.metadata
    pattern = compile_java(meta.get("pattern", ""), 0)
    low, high = int(meta.get("min", 0)), int(meta.get("max", 1 << 20))
    for text in PLAIN_STRINGS:
        if low <= len(text) <= high and pattern.search(text):
            return text
    return "x" * max(low, 1)


def _edges(shape: Shape, current: object) -> list[object]:
    """Values at and past the limits of one member, then each wrong JSON type."""
    kind = shape.type_name
    meta = shape.metadata
    values: list[object] = []
    if kind in ("integer", "long"):
        low, high = meta.get("min"), meta.get("max")
        for bound in (low, high):
            if bound is not None:
                values += [int(bound), int(bound) - 1, int(bound) + 1]
        values += [0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**40]
    if kind == "list" and isinstance(current, list) and current:
        high = meta.get("max")
        if high is not None and int(high) < 1000:
            values.append(current * (int(high) + 1))
    if kind == "string":
        high = meta.get("max")
        if high is not None and int(high) < 100_000:
            values.append("x" * (int(high) + 1))
    return values + [v for v in WRONG_TYPES if type(v) is not type(current)]


def _members(shape: Shape, value: object, path: Path = ()) -> Iterator[tuple[Path, Shape]]:
    """Every member path present in ``value`` with its shape."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members: dict[str, Shape] = shape.members  # type: ignore[attr-defined]
        for name, member in members.items():
            if name in value:
                yield (*path, name), member
                yield from _members(member, value[name], (*path, name))
    elif kind == "list" and isinstance(value, list) and value:
        yield (*path, 0), shape.member  # type: ignore[attr-defined]
        yield from _members(shape.member, value[0], (*path, 0))  # type: ignore[attr-defined]


def _replaced(body: object, path: Path, new: object) -> object:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def _cases(operation: str) -> Iterator[object]:
    shape = _MODEL.operation_model(operation).input_shape
    if shape is None:
        return
    # The required members, plus one optional member at a time (whole, with everything
    # inside it), so that members that exclude each other never meet.
    required = _plain(shape, required_only=True)
    assert isinstance(required, dict)
    bodies = [required]
    for name, member in shape.members.items():
        value = _plain(member, 1)
        if name not in required and value is not None:
            bodies.append({**required, name: value})
    for body in bodies:
        for path, member in _members(shape, body):
            if body is not required and path[0] in required:
                continue  # pushed past its limits with the required members alone
            current: object = body
            for step in path:
                current = current[step]  # type: ignore[index]
            for edge in _edges(member, current):
                yield _replaced(body, path, edge)


@pytest.fixture
def seeded(server: ServerProcess) -> None:
    """The parameter and document the plain requests name, so handlers get past lookup."""
    client = server.client()
    client.put_parameter(Name="xyz", Value="1", Type="String", Overwrite=True)
    with contextlib.suppress(client.exceptions.DocumentAlreadyExists):
        client.create_document(Name="xyz", Content=SEED_DOCUMENT, DocumentType="Command")


@pytest.mark.parametrize("operation", sorted(operation_table()))
@pytest.mark.usefixtures("seeded", "no_traceback")
def test_values_past_their_limits_get_an_aws_error_not_a_500(
    server: ServerProcess, operation: str
) -> None:
    cases = list(_cases(operation))
    assert cases, f"{operation}: the model gave no member to push past its limits"
    for body in cases:
        assert isinstance(body, dict)
        status, answer = send(signed_request(server.url, operation, body))
        assert status < 500, (operation, body, answer)
        if status >= 400:
            assert answer.get("__type"), (operation, body, answer)
            assert answer.get("message"), (operation, body, answer)
