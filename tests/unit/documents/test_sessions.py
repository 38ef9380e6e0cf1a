"""Session documents (schemaVersion 1.0).

AWS rules checked (User Guide, "Session document schema"): sessionType is
Standard_Stream, Port, InteractiveCommands or NonInteractiveCommands; inputs
hold the Session Manager preferences, idleSessionTimeout 1-60 minutes and
maxSessionDuration 1-1440; Port sessions name a portNumber; command sessions
give commands per platform; parameters are String or StringList.
"""

from __future__ import annotations

from typing import Any

import pytest

from openssm.documents.actions import PlatformType
from openssm.documents.errors import DocumentContentError
from openssm.documents.schema import parse_document
from openssm.documents.values import SessionType


def session_doc(session_type: str, **members: Any) -> dict[str, Any]:
    return {"schemaVersion": "1.0", "sessionType": session_type, **members}


def content_error(data: dict[str, Any]) -> DocumentContentError:
    with pytest.raises(DocumentContentError) as info:
        parse_document(data, "Session")
    return info.value


def test_standard_stream_preferences_parse() -> None:
    inputs = {
        "s3BucketName": "logs",
        "s3EncryptionEnabled": True,
        "cloudWatchStreamingEnabled": "false",
        "runAsEnabled": False,
        "runAsDefaultUser": "ssm-user",
        "idleSessionTimeout": "20",
        "maxSessionDuration": 1440,
        "shellProfile": {"linux": "exec bash", "windows": ""},
    }
    doc = parse_document(session_doc("Standard_Stream", inputs=inputs), "Session")
    assert doc.session is not None
    assert doc.session.session_type is SessionType.STANDARD_STREAM
    assert doc.session.inputs["runAsDefaultUser"] == "ssm-user"
    assert doc.steps == ()
    assert doc.platform_types == (PlatformType.WINDOWS, PlatformType.LINUX, PlatformType.MACOS)


def test_port_session_with_placeholders_parses() -> None:
    data = session_doc(
        "Port",
        parameters={"portNumber": {"type": "String", "default": "22"}},
        properties={"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding"},
    )
    doc = parse_document(data, "Session")
    assert doc.session is not None
    assert doc.session.properties["portNumber"] == "{{ portNumber }}"


def test_command_session_platforms_follow_its_properties() -> None:
    data = session_doc("InteractiveCommands", properties={"linux": {"commands": "top"}})
    assert parse_document(data, "Session").platform_types == (PlatformType.LINUX,)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (session_doc("Shell"), "sessionType"),
        (
            session_doc("Standard_Stream", inputs={"idleSessionTimeout": "61"}),
            "inputs.idleSessionTimeout",
        ),
        (
            session_doc("Standard_Stream", inputs={"idleSessionTimeout": "0"}),
            "inputs.idleSessionTimeout",
        ),
        (
            session_doc("Standard_Stream", inputs={"maxSessionDuration": "1441"}),
            "inputs.maxSessionDuration",
        ),
        (
            session_doc("Standard_Stream", inputs={"s3EncryptionEnabled": "yes"}),
            "inputs.s3EncryptionEnabled",
        ),
        (session_doc("Standard_Stream", inputs={"s3Bucket": "x"}), "inputs.s3Bucket"),
        (
            session_doc("Standard_Stream", inputs={"shellProfile": {"bsd": ""}}),
            "inputs.shellProfile.bsd",
        ),
        (session_doc("Standard_Stream", properties={"portNumber": "1"}), "properties"),
        (session_doc("Port", properties={}), "properties.portNumber"),
        (session_doc("Port", properties={"portNumber": "70000"}), "properties.portNumber"),
        (session_doc("Port", properties={"portNumber": "22", "type": "Remote"}), "properties.type"),
        (session_doc("InteractiveCommands", properties={}), "properties"),
        (session_doc("InteractiveCommands", properties={"linux": {}}), "properties.linux.commands"),
        (
            session_doc("NonInteractiveCommands", properties={"linux": {"commands": 5}}),
            "properties.linux.commands",
        ),
        (session_doc("Port", properties={"portNumber": "22"}, mainSteps=[]), "mainSteps"),
    ],
)
def test_bad_session_members_are_refused_at_their_path(data: dict[str, Any], path: str) -> None:
    assert content_error(data).path == path


def test_session_parameters_are_string_or_string_list_only() -> None:
    data = session_doc(
        "Port",
        parameters={"port": {"type": "Integer", "default": 22}},
        properties={"portNumber": "{{ port }}"},
    )
    assert content_error(data).path == "parameters.port.type"


@pytest.mark.parametrize(
    "extra",
    [
        {"localUnixSocket": "/tmp/db.sock", "localConnectionType": "unix"},
        {"localConnectionType": "tcp", "localPortNumber": "{{ localPort }}"},
        {"host": "{{ host }}", "localConnectionType": "{{ connectionType }}"},
    ],
)
def test_port_properties_of_the_session_manager_plugin_are_accepted(
    extra: dict[str, str],
) -> None:
    data = session_doc(
        "Port", properties={"portNumber": "5432", "type": "LocalPortForwarding", **extra}
    )
    session = parse_document(data, "Session").session
    assert session is not None
    assert session.properties["portNumber"] == "5432"


@pytest.mark.parametrize(
    ("properties", "local"),
    [
        ({"portNumber": "22"}, False),
        ({"portNumber": "22", "type": "LocalPortForwarding"}, True),
    ],
    ids=["no-type", "local"],
)
def test_port_session_without_a_type_forwards_standard_streams(
    properties: dict[str, str], local: bool
) -> None:
    """Only type LocalPortForwarding opens a listener on the client; without a type the
    session carries one connection over stdin/stdout (SSH's ProxyCommand)."""
    session = parse_document(session_doc("Port", properties=properties), "Session").session
    assert session is not None
    assert session.forwards_local_port is local
