"""Object keys of command output, in AWS's layout, and the rules that keep a key in its root.

Pure. AWS writes each step's output to::

    <OutputS3KeyPrefix>/<CommandId>/<InstanceId>/<plugin>/<step>/stdout   (and …/stderr)

where ``<plugin>`` is the step's action and ``<step>`` its plugin id, both without ``:``:
``…/awsrunShellScript/0.awsrunShellScript/stdout`` for AWS-RunShellScript (schema 1.2, plugin id
``0.aws:runShellScript``), ``…/awsrunShellScript/PatchLinux/stdout`` for a schema 2.2 step named
PatchLinux. CommandPlugin.OutputS3KeyPrefix shows the folder up to ``<plugin>``.

Every segment but the caller's prefix is checked to be a plain name (no ``/``, never ``.`` or
``..``); the prefix is checked by ``prefix_problem`` before a command is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from openssm.errors import BadObjectKey

Stream = Literal["stdout", "stderr"]
STREAMS: tuple[Stream, Stream] = ("stdout", "stderr")
MAX_PREFIX_CHARS = 500
_SEGMENT = re.compile(r"[A-Za-z0-9_.\-]{1,128}")


def segment(text: str, what: str) -> str:
    """``text`` when it can be one segment of a key; BadObjectKey otherwise."""
    if _SEGMENT.fullmatch(text) is None or text.strip(".") == "":
        raise BadObjectKey(f"{what} {text[:64]!r} cannot be part of an object key")
    return text


def prefix_problem(prefix: str) -> str | None:
    """Why OutputS3KeyPrefix cannot begin object keys, or None when it can.

    S3 takes any text as a key, but the keys are also paths of URLs: a ``.`` or ``..`` segment
    means another place to whatever normalises the path on the way (it could name another
    bucket), and so would an empty segment, a backslash or a control character. A trailing
    ``/`` is allowed and dropped (``logs/`` and ``logs`` are the same folder).
    """
    if len(prefix) > MAX_PREFIX_CHARS:
        return f"is longer than {MAX_PREFIX_CHARS} characters"
    trimmed = prefix.rstrip("/")
    if not trimmed:
        return None if not prefix else "is only slashes"
    if "\\" in trimmed:
        return "contains a backslash"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in trimmed):
        return "contains a control or unassigned character"
    for part in trimmed.split("/"):
        if part in ("", ".", ".."):
            return "has an empty, '.' or '..' segment (it must be a relative folder like logs/run)"
    return None


def normalized_prefix(prefix: str) -> str:
    """The prefix as keys begin with it: no trailing slash; BadObjectKey when it is refused."""
    problem = prefix_problem(prefix)
    if problem is not None:
        raise BadObjectKey(f"OutputS3KeyPrefix {prefix[:64]!r} {problem}")
    return prefix.rstrip("/")


@dataclass(frozen=True, slots=True)
class StepKeys:
    """Where one step's output lives: ``folder`` is CommandPlugin.OutputS3KeyPrefix."""

    folder: str
    step: str

    def key(self, stream: Stream) -> str:
        return f"{self.folder}/{self.step}/{stream}"

    @property
    def tail(self) -> str:
        """The part after the caller's prefix: ``<command>/<instance>/<plugin>/<step>``."""
        return "/".join([*self.folder.split("/")[-3:], self.step])


def step_keys(
    prefix: str, *, command_id: str, instance_id: str, action: str, plugin_id: str
) -> StepKeys:
    """The keys of one step's output; BadObjectKey when a part cannot be in a key."""
    parts = [
        segment(command_id, "command id"),
        segment(instance_id, "instance id"),
        segment(action.replace(":", ""), "plugin"),
    ]
    start = normalized_prefix(prefix)
    folder = "/".join([start, *parts] if start else parts)
    return StepKeys(folder=folder, step=segment(plugin_id.replace(":", ""), "step"))


def split_tail(tail: str) -> tuple[str, str, str, str, Stream]:
    """``<command>/<instance>/<plugin>/<step>/<stream>`` → its five parts; BadObjectKey when
    it is not exactly that (the output route reads it from a URL)."""
    parts = tail.split("/")
    if len(parts) != 5:
        raise BadObjectKey("an output path is <command>/<instance>/<plugin>/<step>/<stream>")
    command_id, instance_id, plugin, step, stream = parts
    for part, what in zip(parts[:4], ("command id", "instance id", "plugin", "step"), strict=True):
        segment(part, what)
    if stream == "stdout":
        return command_id, instance_id, plugin, step, "stdout"
    if stream == "stderr":
        return command_id, instance_id, plugin, step, "stderr"
    raise BadObjectKey("an output path ends with stdout or stderr")
