"""JSON nested a thousand deep, in a request body or in a member that holds JSON text.

SECURITY.md #24: hostile structure is a 400, never a 500. CPython's parser recurses once per
level, so ``[[[[…`` a few kilobytes long used to raise RecursionError: an InternalServerError
for any signed caller, even one whose key may do nothing, and a traceback in the log. The
body is a SerializationException (it is refused before the operation or the caller's
permissions are looked at); JSON inside a string member is that operation's own AWS error.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from openssm.server.app import operation_table
from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE
from tests.integration.signing import send, signed_request
from tests.support import ServerProcess

DEPTH = 1_000
ARRAYS = "[" * DEPTH + "]" * DEPTH
OBJECTS = '{"a":' * DEPTH + "1" + "}" * DEPTH


@pytest.fixture(scope="module")
def powerless_key(sqlite_server: ServerProcess) -> tuple[str, str]:
    """A key whose user has no policy at all: it may call nothing."""
    name = "nobody" + uuid.uuid4().hex[:8]
    assert sqlite_server.admin("user", "create", name).returncode == 0
    created = sqlite_server.admin("key", "create", name)
    assert created.returncode == 0, created.stderr
    lines = dict(line.split(" = ", 1) for line in created.stdout.strip().splitlines())
    return lines["aws_access_key_id"], lines["aws_secret_access_key"]


@pytest.fixture
def clean_log(sqlite_server: ServerProcess) -> Iterator[None]:
    """Nothing the test sends may leave a traceback or an error line in the server's log."""
    mark = sqlite_server.log_mark()
    yield
    written = sqlite_server.logs_since(mark)
    assert "Traceback" not in written, written[-6000:]
    assert " ERROR " not in written, written[-6000:]


@pytest.mark.usefixtures("clean_log")
@pytest.mark.parametrize("operation", [*sorted(operation_table()), "SendCommand", "NoSuchThing"])
def test_a_deeply_nested_body_is_a_serialization_exception(
    sqlite_server: ServerProcess, powerless_key: tuple[str, str], operation: str
) -> None:
    key_id, secret = powerless_key
    for body in (ARRAYS, OBJECTS, "[" * 50_000):
        request = signed_request(
            sqlite_server.url,
            operation,
            body.encode(),
            access_key_id=key_id,
            secret_access_key=secret,
        )
        status, answer = send(request)
        assert (status, answer.get("__type")) == (400, "SerializationException"), answer
        assert "nests deeper than" in answer["message"]


@pytest.mark.usefixtures("clean_log")
@pytest.mark.parametrize("policies", [ARRAYS, "[" * 4_000, "[" + OBJECTS[:4_000]])
def test_deeply_nested_parameter_policies_are_a_validation_exception(
    sqlite_server: ServerProcess, policies: str
) -> None:
    ssm = sqlite_server.client()
    name = f"/nesting/{uuid.uuid4().hex[:10]}"
    found = error_of(ssm.put_parameter, Name=name, Value="v", Type="String", Policies=policies)
    assert found.code == "ValidationException", found
    assert error_of(ssm.get_parameter, Name=name).code == "ParameterNotFound"


def _with_string_map_default(default: str) -> str:
    content = json.loads(json.dumps(SIMPLE))
    content["parameters"]["settings"] = {"type": "StringMap", "default": default}
    return json.dumps(content)


@pytest.mark.usefixtures("clean_log")
@pytest.mark.parametrize(
    ("content", "document_format"),
    [
        ('{"schemaVersion": "2.2", "x": ' + ARRAYS + "}", "JSON"),
        (OBJECTS, "JSON"),
        ("schemaVersion: '2.2'\nx: " + ARRAYS + "\n", "YAML"),
        ("schemaVersion: '2.2'\nx:\n  " + "- " * DEPTH + "1\n", "YAML"),
        (_with_string_map_default(ARRAYS), "JSON"),
    ],
    ids=["json-arrays", "json-objects", "yaml-flow", "yaml-block", "string-map-default"],
)
def test_deeply_nested_document_content_is_invalid_document_content(
    sqlite_server: ServerProcess, content: str, document_format: str
) -> None:
    ssm = sqlite_server.client()
    name = f"nesting-{uuid.uuid4().hex[:10]}"
    create = error_of(
        ssm.create_document, Name=name, Content=content, DocumentFormat=document_format
    )
    assert create.code in ("InvalidDocumentContent", "InvalidParameters"), create
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE), DocumentType="Command")
    update = error_of(
        ssm.update_document,
        Name=name,
        Content=content,
        DocumentFormat=document_format,
        DocumentVersion="$LATEST",
    )
    assert update.code in ("InvalidDocumentContent", "InvalidParameters"), update
