"""From a rendered Session document and the account's preferences to what the agent runs.

Pure. Session Manager's preferences are the inputs of the account's
``SSM-SessionManagerRunShell`` document (ours when the account has none); a session
document's own inputs override them. What AWS does and we do alike:

- ``runAsEnabled`` true: the session runs as the user named by the caller's
  ``SSMSessionRunAs`` tag, else as ``runAsDefaultUser``; with neither, it is refused. False:
  the agent's default user, ``ssm-user`` (never root).
- ``idleSessionTimeout`` (minutes, 1-60, default 20) and ``maxSessionDuration`` (minutes,
  1-1440, none by default).
- ``s3BucketName`` and ``s3KeyPrefix``: the transcript is written to that bucket, under that
  prefix, on the S3-compatible service the server is configured with; a bucket named where
  no service is configured is refused at StartSession, never dropped later.
- ``separateOutPutStream`` (a NonInteractiveCommands document's Linux properties, with
  ``stdOutSeparatorPrefix`` and ``stdErrSeparatorPrefix``): the command's standard error goes
  apart from its output, as StdErr messages, each line of either stream after its prefix.
  AWS's agent checks the prefixes (up to 30 letters, digits, ``_:-`` and line ends) when
  the session starts and fails it; here StartSession refuses them. An interactive command
  runs on a terminal, where the two streams are one, so asking for it there is refused too
  (AWS's agent ignores it).
- ``kmsKeyId``: AWS would encrypt the stream with a KMS data key; openssm has no KMS, and
  half-doing it would tell the user their data is encrypted when it is not, so a document
  asking for it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from openssm.documents.values import SessionSpec, SessionType
from openssm.errors import InvalidDocument
from openssm.server.services.sessions.model import AgentSpec

RUN_AS_TAG = "SSMSessionRunAs"
DEFAULT_IDLE_MINUTES = 20
# What useradd accepts on every distribution (no leading dash, no slash, no colon).
_OS_USER = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")


def is_os_user_name(name: str) -> bool:
    return _OS_USER.fullmatch(name) is not None


def _minutes(value: object, default: int) -> int:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else default


def _true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def run_as_user(inputs: Mapping[str, Any], tag_value: str | None, document_name: str) -> str:
    """The OS user the session runs as ("" for the agent's default); InvalidDocument when
    run-as is on and names nobody, or names something that cannot be a user."""
    if not _true(inputs.get("runAsEnabled")):
        return ""
    user = (tag_value or "").strip() or str(inputs.get("runAsDefaultUser") or "").strip()
    if not user:
        raise InvalidDocument(
            f"Session preferences of {document_name} turn runAsEnabled on but name no user: "
            f"tag the IAM user with {RUN_AS_TAG} or set runAsDefaultUser."
        )
    if not is_os_user_name(user):
        raise InvalidDocument(f"Run-as user {user[:64]!r} is not a valid operating-system user.")
    return user


# S3's rules for a bucket name (3-63 lower-case letters, digits, dots and dashes).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MAX_PREFIX = 512


def transcript_place(inputs: Mapping[str, Any], document_name: str) -> tuple[str, str]:
    """(bucket, prefix) of the preferences; InvalidDocument when they cannot name one."""
    bucket = str(inputs.get("s3BucketName") or "").strip()
    prefix = str(inputs.get("s3KeyPrefix") or "").strip().strip("/")
    if bucket and not _BUCKET.fullmatch(bucket):
        raise InvalidDocument(
            f"s3BucketName {bucket[:80]!r} of {document_name} is not a bucket name: 3 to 63 "
            "lower-case letters, digits, dots and dashes."
        )
    if len(prefix) > _MAX_PREFIX:
        raise InvalidDocument(f"s3KeyPrefix of {document_name} is over {_MAX_PREFIX} characters.")
    return bucket, prefix if bucket else ""


def _linux(properties: Mapping[str, Any]) -> Mapping[str, Any]:
    linux = properties.get("linux") or {}
    return linux if isinstance(linux, Mapping) else {}


def _commands(properties: Mapping[str, Any]) -> str:
    commands = _linux(properties).get("commands", "")
    if isinstance(commands, list):
        return "\n".join(str(c) for c in commands)
    return str(commands)


# AWS's agent's rule for a separator prefix.
_SEPARATOR_PREFIX = re.compile("[0-9a-zA-Z\r\n_:-]{0,30}")
_TRUE_WORDS, _FALSE_WORDS = {"true", "t", "1"}, {"false", "f", "0", ""}


def separate_streams(
    properties: Mapping[str, Any], session_type: SessionType, document_name: str
) -> dict[str, str]:
    """The agent's properties for separateOutPutStream: empty when it is off; InvalidDocument
    for a value that is not a boolean, a prefix AWS's agent would refuse, or a session on a
    terminal."""
    linux = _linux(properties)
    # Go's JSON decoding matches names whatever their case, and AWS's own documents spell
    # it separateOutPutStream.
    found = {str(k).lower(): v for k, v in linux.items()}
    value = found.get("separateoutputstream")
    word = str(value).strip().lower() if value is not None else ""
    if word not in _TRUE_WORDS | _FALSE_WORDS:
        raise InvalidDocument(
            f"separateOutPutStream of {document_name} is {str(value)[:40]!r}: true or false."
        )
    if word in _FALSE_WORDS:
        return {}
    if session_type is not SessionType.NON_INTERACTIVE_COMMANDS:
        raise InvalidDocument(
            f"{document_name} asks for separateOutPutStream, which only NonInteractiveCommands "
            "sessions have: a session on a terminal has one output stream."
        )
    separated = {"separateOutputStream": "true"}
    for name, key in (("stdOutSeparatorPrefix", "stdout"), ("stdErrSeparatorPrefix", "stderr")):
        prefix = str(found.get(name.lower()) or "")
        if not _SEPARATOR_PREFIX.fullmatch(prefix):
            raise InvalidDocument(
                f"{name} of {document_name} may hold up to 30 letters, digits, '_', ':', '-' "
                "and line ends."
            )
        separated[f"{key}SeparatorPrefix"] = prefix
    return separated


def agent_spec(
    spec: SessionSpec,
    preferences: Mapping[str, Any],
    *,
    document_name: str,
    run_as_tag: str | None,
    minute_s: float = 60.0,
) -> AgentSpec:
    """What the agent runs; ``minute_s`` is how long a preference's minute lasts (60, or
    shorter in tests: openssm.config's session_minute_s)."""
    inputs = {**preferences, **spec.inputs}
    if str(inputs.get("kmsKeyId") or "").strip():
        raise InvalidDocument(
            f"{document_name} asks for KMS encryption of the session (kmsKeyId); openssm has "
            "no KMS and does not pretend to: the data channel is protected by TLS. Leave "
            "kmsKeyId empty."
        )
    properties: dict[str, str]
    if spec.session_type is SessionType.PORT:
        properties = {k: str(v) for k, v in spec.properties.items() if v is not None}
    elif spec.session_type is SessionType.STANDARD_STREAM:
        properties = {}
    else:
        properties = {"commands": _commands(spec.properties)}
        if not properties["commands"].strip():
            raise InvalidDocument(f"{document_name} has no Linux command to run.")
        properties |= separate_streams(spec.properties, spec.session_type, document_name)
    bucket, prefix = transcript_place(inputs, document_name)
    profile = inputs.get("shellProfile") or {}
    max_minutes = _minutes(inputs.get("maxSessionDuration"), 0)
    return AgentSpec(
        session_type=spec.session_type.value,
        properties=properties,
        run_as=run_as_user(inputs, run_as_tag, document_name),
        shell_profile=str(profile.get("linux") or "") if isinstance(profile, Mapping) else "",
        idle_timeout_s=minute_s * _minutes(inputs.get("idleSessionTimeout"), DEFAULT_IDLE_MINUTES),
        max_duration_s=minute_s * max_minutes,
        records_output=spec.session_type is not SessionType.PORT,
        s3_bucket=bucket,
        s3_prefix=prefix,
    )
