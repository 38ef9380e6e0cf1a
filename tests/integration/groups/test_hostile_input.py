"""Hostile input to the Resource Groups endpoint is an AWS error a client can act on, never a 500
and never a traceback (SECURITY.md #24): every string member of every implemented operation
hostile at once, every member of the wrong JSON type, bodies nested thousands deep or not JSON,
unknown paths and wrong methods. Generated from botocore's model, so an operation added later is
covered."""

from __future__ import annotations

import json
from collections.abc import Iterator

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape

from openssm.server.app import groups_operation_table
from tests.aws_errors import aws_error
from tests.integration.groups.support import groups_client, rest_request, send_rest
from tests.support import ServerProcess

HOSTILE = ["nul\x00here", "\ud800", "../../x", "arn:aws:resource-groups:us-east-1:1:group/a/b"]
WRONG_TYPES: list[object] = [None, "1", 1.5, True, [], {}, [None], {"k": None}]
_MODEL = botocore.session.get_session().get_service_model("resource-groups")
OPERATIONS = sorted(groups_operation_table())
ARN = "arn:aws:resource-groups:us-east-1:123456789012:group/x"


def _fill(shape: Shape, text: str, depth: int = 0) -> object:
    """A value of ``shape`` whose every string is ``text``."""
    kind = shape.type_name
    if kind == "structure":
        members: dict[str, Shape] = shape.members  # type: ignore[attr-defined]
        filled = {n: _fill(m, text, depth + 1) for n, m in members.items()} if depth < 4 else {}
        return {n: v for n, v in filled.items() if v is not None}
    if kind == "list":
        return [_fill(shape.member, text, depth + 1)]  # type: ignore[attr-defined]
    if kind == "map":
        return {text: _fill(shape.value, text, depth + 1)}  # type: ignore[attr-defined]
    if kind == "string":
        return text
    if kind == "integer":
        return 1
    return True if kind == "boolean" else None


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.usefixtures("no_traceback")
def test_hostile_strings_get_an_aws_error_not_a_500(server: ServerProcess, operation: str) -> None:
    lax = groups_client(server, validate=False)
    call = getattr(lax, xform_name(operation))
    shape = _MODEL.operation_model(operation).input_shape
    assert shape is not None
    members: dict[str, Shape] = shape.members
    for text in HOSTILE:
        body = _fill(shape, text)
        assert isinstance(body, dict)
        # botocore can't percent-encode a surrogate into a path or query string (the raw
        # requests below send one there); a path member must still make a path.
        encodable = text.encode("utf-8", "replace").decode()
        for name, member in members.items():
            if "location" in member.serialization:
                body[name] = _fill(member, encodable)
        if "Arn" in body:
            body["Arn"] = ARN + encodable
        try:
            call(**body)
        except ClientError as exc:
            error = aws_error(exc)
            assert error.status < 500, (operation, text, error)
            assert error.message, (operation, text, error)


def _http(op: OperationModel) -> tuple[str, str]:
    return op.http["method"], op.http["requestUri"].replace("{Arn}", ARN.replace("/", "%2F"))


def _wrong_bodies(op: OperationModel) -> Iterator[dict[str, object]]:
    shape = op.input_shape
    assert shape is not None
    members: dict[str, Shape] = shape.members
    plain = {n: _fill(m, "x") for n, m in members.items() if "location" not in m.serialization}
    for name in plain:
        for wrong in WRONG_TYPES:
            yield {**plain, name: wrong}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.usefixtures("no_traceback")
def test_wrong_json_types_are_bad_requests(server: ServerProcess, operation: str) -> None:
    op = _MODEL.operation_model(operation)
    method, path = _http(op)
    for body in _wrong_bodies(op):
        status, code, answer = send_rest(
            rest_request(server.url, method, path, json.dumps(body).encode())
        )
        assert status < 500, (operation, body, code, answer)
        if status >= 400:
            assert code, (operation, body, answer)
            assert answer.get("Message"), (operation, body, code, answer)


@pytest.mark.usefixtures("no_traceback")
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/groups", b"[" * 50_000, 400, "BadRequestException"),
        ("POST", "/groups", b'{"a":' * 1000 + b"1" + b"}" * 1000, 400, "BadRequestException"),
        ("POST", "/get-group", b"not json", 400, "BadRequestException"),
        ("POST", "/get-group", b'"a string"', 400, "BadRequestException"),
        ("POST", "/get-group", b"\xff\xfe", 400, "BadRequestException"),
        ("GET", "/resources/arn%3A%ED%A0%80/tags", b"", 400, "BadRequestException"),
        ("GET", "/resources/%00/tags", b"", 400, "BadRequestException"),
        ("GET", "/groups", b"", 405, "MethodNotAllowedException"),
        (
            "DELETE",
            f"/resources/{ARN.replace('/', '%2F')}/tags",
            b"",
            405,
            "MethodNotAllowedException",
        ),
        ("POST", "/groups-list?maxResults=ten", b"{}", 400, "BadRequestException"),
        ("POST", "/groups-list?maxResults=99999999999999999999", b"{}", 400, "BadRequestException"),
        ("POST", "/groups-list?nextToken=%ED%A0%80", b"{}", 400, "BadRequestException"),
    ],
)
def test_hostile_requests_get_the_service_error(
    server: ServerProcess, method: str, path: str, body: bytes, status: int, code: str
) -> None:
    got_status, got_code, answer = send_rest(rest_request(server.url, method, path, body))
    assert (got_status, got_code) == (status, code), answer
    assert answer["Message"]
