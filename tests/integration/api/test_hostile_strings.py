"""Every implemented operation, every string member of its input hostile at once.

A NUL (U+0000) can't be stored in PostgreSQL text, and a lone UTF-16 surrogate (``\\ud800``,
which any JSON client can send as an escape) has no UTF-8 form at all; neither may reach a
store or an encoder unchecked. Each call must come back as an AWS error a client can act on
(or succeed where the text is harmless), never as an InternalServerError, and the server must
log no traceback. The inputs are generated from botocore's model, so an operation added later
is covered without editing this file.
"""

from __future__ import annotations

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import Shape
from types_boto3_ssm.client import SSMClient

from openssm.server.app import operation_table
from tests.aws_errors import aws_error
from tests.support import ServerProcess

HOSTILE = ["nul\x00here", "\ud800", "/lone\udfff/x"]
MAX_DEPTH = 5
_MODEL = botocore.session.get_session().get_service_model("ssm")


def _fill(shape: Shape, text: str, depth: int = 0) -> object:
    """A value of ``shape`` whose every string is ``text``; None where none can be built."""
    kind = shape.type_name
    if kind == "structure":
        if depth > MAX_DEPTH:
            return {}
        members: dict[str, Shape] = shape.members  # type: ignore[attr-defined]
        filled = {name: _fill(member, text, depth + 1) for name, member in members.items()}
        return {name: value for name, value in filled.items() if value is not None}
    if kind == "list":
        item = _fill(shape.member, text, depth + 1)  # type: ignore[attr-defined]
        return [] if item is None else [item]
    if kind == "map":
        value = _fill(shape.value, text, depth + 1)  # type: ignore[attr-defined]
        return {} if value is None else {text: value}
    if kind == "string":
        return text
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return True
    return None  # timestamps, blobs, floats: not strings, so not this test's concern


@pytest.fixture
def lax_client(server: ServerProcess) -> SSMClient:
    """A client that sends what it is given: botocore would refuse some of it before sending."""
    return server.client(validate=False)


@pytest.mark.parametrize("operation", sorted(operation_table()))
@pytest.mark.usefixtures("no_traceback")
def test_hostile_strings_get_an_aws_error_not_a_500(lax_client: SSMClient, operation: str) -> None:
    input_shape = _MODEL.operation_model(operation).input_shape
    call = getattr(lax_client, xform_name(operation))
    for text in HOSTILE:
        body = _fill(input_shape, text) if input_shape is not None else {}
        assert isinstance(body, dict)
        try:
            call(**body)
        except ClientError as exc:
            error = aws_error(exc)
            assert error.status < 500, (operation, text, error)
            assert error.message, (operation, text, error)
