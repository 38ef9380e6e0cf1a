"""The body of a Session document (schemaVersion 1.0): sessionType, inputs, properties.

``inputs`` are Session Manager preferences (logging, run-as, timeouts, shell
profile); ``properties`` say what the session does: the port to forward for
``Port``, the command per platform for ``InteractiveCommands`` and
``NonInteractiveCommands``. Standard_Stream sessions take no properties.

A Port session's properties are those the session-manager-plugin reads:
``portNumber``, ``localPortNumber``, ``localUnixSocket``, ``localConnectionType``
and ``type``, plus ``host`` for forwarding to another host. Only ``type``
LocalPortForwarding makes the client listen locally (on a port, or on a Unix
socket); without a type the session carries one connection over the client's
stdin and stdout, which is how SSH's ProxyCommand uses AWS-StartSSHSession.

Any string may be a ``{{ name }}`` placeholder, so typed members (booleans,
minutes, ports) accept either their type or a string; literal values are
range-checked here, placeholders after rendering by whoever uses them.
Unknown members are refused so that a misspelt preference is not ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from openssm.documents.actions import PlatformType
from openssm.documents.errors import DocumentContentError, child_path
from openssm.documents.placeholders import PLACEHOLDER_RE
from openssm.documents.values import LOCAL_PORT_FORWARDING, SessionSpec, SessionType

Check = Callable[[object, str], None]


def _string(value: object, path: str) -> None:
    if not isinstance(value, str):
        raise DocumentContentError(f"{path} must be a string", path=path)


def _boolean(value: object, path: str) -> None:
    if isinstance(value, bool) or _is_placeholder(value):
        return
    if not (isinstance(value, str) and value.lower() in ("true", "false")):
        raise DocumentContentError(f"{path} must be true or false", path=path)


def _whole_number(low: int, high: int, *, blank_ok: bool = False) -> Check:
    def check(value: object, path: str) -> None:
        if _is_placeholder(value) or (blank_ok and value == ""):
            return
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(text, str) and text.isdigit() and low <= int(text) <= high):
            raise DocumentContentError(
                f"{path} must be a whole number from {low} to {high}", path=path
            )

    return check


def _commands(value: object, path: str) -> None:
    is_list = isinstance(value, list) and all(isinstance(i, str) for i in value)
    if not (isinstance(value, str) or is_list):
        raise DocumentContentError(f"{path} must be a string or a list of strings", path=path)


def _shell_profile(value: object, path: str) -> None:
    _members(value, {"linux": _string, "windows": _string}, path, required=())


INPUTS: dict[str, Check] = {
    "s3BucketName": _string,
    "s3KeyPrefix": _string,
    "s3EncryptionEnabled": _boolean,
    "cloudWatchLogGroupName": _string,
    "cloudWatchEncryptionEnabled": _boolean,
    "cloudWatchStreamingEnabled": _boolean,
    "kmsKeyId": _string,
    "runAsEnabled": _boolean,
    "runAsDefaultUser": _string,
    "idleSessionTimeout": _whole_number(1, 60, blank_ok=True),
    "maxSessionDuration": _whole_number(1, 1440, blank_ok=True),
    "shellProfile": _shell_profile,
}

_PORT = _whole_number(1, 65535)
PORT_PROPERTIES: dict[str, Check] = {
    "portNumber": _PORT,
    "localPortNumber": _whole_number(0, 65535, blank_ok=True),
    "localUnixSocket": _string,
    "localConnectionType": _string,
    "host": _string,
    "type": _string,
}
# The separator members are NonInteractiveCommands' (AWS's agent reads them in no other
# session); AWS spells the first separateOutPutStream, its agent's JSON separateOutputStream.
COMMAND_PROPERTIES: dict[str, Check] = {
    "commands": _commands,
    "runAsElevated": _boolean,
    "separateOutPutStream": _boolean,
    "separateOutputStream": _boolean,
    "stdOutSeparatorPrefix": _string,
    "stdErrSeparatorPrefix": _string,
}


def parse_session(data: dict[str, Any]) -> SessionSpec:
    """Validate the session members of a parsed Session document."""
    raw_type = data.get("sessionType")
    try:
        session_type = SessionType(str(raw_type))
    except ValueError:
        allowed = ", ".join(t.value for t in SessionType)
        raise DocumentContentError(
            f"sessionType {raw_type!r} is not one of {allowed}", path="sessionType"
        ) from None
    inputs = data.get("inputs") or {}
    _members(inputs, INPUTS, "inputs", required=())
    properties = data.get("properties") or {}
    if session_type is SessionType.STANDARD_STREAM:
        if properties:
            raise DocumentContentError(
                "Standard_Stream sessions take no properties", path="properties"
            )
    elif session_type is SessionType.PORT:
        _members(properties, PORT_PROPERTIES, "properties", required=("portNumber",))
        kind = properties.get("type")
        if kind is not None and kind != LOCAL_PORT_FORWARDING:
            raise DocumentContentError(
                "properties.type must be LocalPortForwarding, or left out to forward over "
                "the client's standard input and output",
                path="properties.type",
            )
    else:
        per_platform = {p.value.lower(): _command_properties for p in PlatformType}
        _members(properties, per_platform, "properties", required=())
        if not properties:
            raise DocumentContentError(
                f"{session_type.value} sessions need properties for at least one of "
                "linux, windows or macos",
                path="properties",
            )
    return SessionSpec(session_type=session_type, inputs=inputs, properties=properties)


def _command_properties(value: object, path: str) -> None:
    _members(value, COMMAND_PROPERTIES, path, required=("commands",))


def _members(
    value: object, checks: Mapping[str, Check], path: str, *, required: tuple[str, ...]
) -> None:
    if not isinstance(value, dict):
        raise DocumentContentError(f"{path} must be a map", path=path)
    for key, item in value.items():
        member_path = child_path(path, key)
        if key not in checks:
            known = ", ".join(checks)
            raise DocumentContentError(
                f"{member_path} is not a known member (expected one of {known})", path=member_path
            )
        checks[key](item, member_path)
    for key in required:
        if key not in value:
            raise DocumentContentError(f"{path} needs '{key}'", path=child_path(path, key))


def _is_placeholder(value: object) -> bool:
    return isinstance(value, str) and PLACEHOLDER_RE.fullmatch(value) is not None
