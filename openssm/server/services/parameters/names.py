"""Parameter names, hierarchy paths, selectors and labels: AWS's rules, as pure functions.

Owns what a name may look like and how a name, an ARN or a ``name:selector`` maps to the
key a parameter is stored under. It does not know whether a parameter exists.

Keys: AWS treats ``name`` and ``/name`` as the same parameter (both have the ARN
``…:parameter/name``), so every parameter is stored under its *key*, the name with a leading
``/`` added when missing. The key of ``/a/b`` is ``/a/b``, of ``a`` it is ``/a``; the
*parent key* of ``/a/b`` is ``/a`` and of ``/a`` it is ``/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openssm import arns
from openssm.errors import (
    AccessDeniedException,
    HierarchyLevelLimitExceededException,
    ValidationException,
)

MAX_LEVELS = 15
# AWS: "The maximum length for a parameter name that you specify is 1011 characters. This count
# of 1011 characters includes the characters in the ARN that precede the name you specify."
MAX_ARN_CHARS = 1011
MAX_LABEL_CHARS = 100
# Versions are 64-bit (the model's ``PSParameterVersion`` is a long, stored as BIGINT): a
# selector above this names no version, and must not reach the store, which can't bind it.
MAX_VERSION = 2**63 - 1

PREFIX_MESSAGE = 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
NAME_MESSAGE = (
    'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a '
    "path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as "
    "a mix of letters, numbers and the following 3 symbols .-_"
)
PATH_MESSAGE = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
    'with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It '
    "must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ "
    "(underscore). Special characters are not allowed. All sub-paths, if specified, must use "
    'the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.'
)
QUALIFIED_MESSAGE = "Parameter name must be a fully qualified name."
LEVELS_MESSAGE = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and "
    "constraints for parameter names in the AWS Systems Manager User Guide."
)

_SEGMENT = re.compile(r"[a-zA-Z0-9_.\-]+")
_LABEL = re.compile(r"[a-zA-Z0-9_.\-]+")
# ASCII only: str.isdigit() also takes "²" or "٣", which are labels here, not versions.
_VERSION = re.compile(r"[0-9]+")
_RESERVED = ("aws", "ssm")


def key_of(name: str) -> str:
    """The storage key: ``a`` and ``/a`` are one parameter in AWS."""
    return name if name.startswith("/") else "/" + name


def parent_of(key: str) -> str:
    """The hierarchy level a key sits in: ``/a/b`` → ``/a``, ``/a`` → ``/``."""
    return key.rsplit("/", 1)[0] or "/"


def level_count(key: str) -> int:
    return key.count("/")


def strip_spaces(name: str) -> str:
    """AWS removes leading and trailing spaces and refuses spaces inside a name."""
    name = name.strip(" ")
    if " " in name:
        raise ValidationException(NAME_MESSAGE)
    return name


def check_new_name(name: str, *, region: str, account_id: str) -> str:
    """Validate a name for PutParameter and return it cleaned of outer spaces.

    Rules (PutParameter API reference, "Naming Constraints"): only ``a-zA-Z0-9_.-`` and ``/``
    as hierarchy separator; no ``aws``/``ssm`` prefix (case-insensitive); a name with a ``/``
    must be fully qualified (start with ``/``); at most 15 levels; at most 1011 characters
    counting the ARN before the name. ``/aws/…`` is AWS's own public namespace.
    """
    name = strip_spaces(name)
    bare = name[1:] if name.startswith("/") else name
    segments = bare.split("/")
    is_path = len(segments) > 1
    if name.startswith("/") and segments[0].lower() == "aws" and is_path:
        raise AccessDeniedException(f"No access to reserved parameter name: {name}.")
    if segments[0].lower().startswith(_RESERVED):
        raise ValidationException(NAME_MESSAGE if is_path else PREFIX_MESSAGE)
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise ValidationException(NAME_MESSAGE)
    if is_path and not name.startswith("/"):
        raise ValidationException(QUALIFIED_MESSAGE)
    if len(segments) > MAX_LEVELS:
        raise HierarchyLevelLimitExceededException(LEVELS_MESSAGE)
    limit = MAX_ARN_CHARS - len(arns.parameter_arn(region, account_id, ""))
    if len(bare) > limit:
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            f"constraint: Member must have length less than or equal to {limit}"
        )
    return name


def check_path(path: str) -> str:
    """Validate a GetParametersByPath ``Path`` and return its key (``/`` for the root).

    The path must start with ``/``, use the name characters, and have at most 15 levels.
    Reading under ``/aws`` is allowed: those are AWS's public parameters.
    """
    path = path.strip(" ")
    if not path.startswith("/") or " " in path:
        raise ValidationException(PATH_MESSAGE)
    trimmed = path.rstrip("/")
    if not trimmed:
        return "/"
    segments = trimmed[1:].split("/")
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise ValidationException(PATH_MESSAGE)
    if len(segments) > MAX_LEVELS:
        raise HierarchyLevelLimitExceededException(LEVELS_MESSAGE)
    return trimmed


def is_valid_label(label: str) -> bool:
    """LabelParameterVersion's label rules.

    At most 100 characters of letters (case-sensitive), numbers, ``.``, ``-`` and ``_``; not
    beginning with a number, ``aws`` or ``ssm`` (case-insensitive). AWS returns a label that
    breaks them in ``InvalidLabels`` rather than failing the call.
    """
    return (
        0 < len(label) <= MAX_LABEL_CHARS
        and _LABEL.fullmatch(label) is not None
        and not label[0].isdigit()
        and not label.lower().startswith(_RESERVED)
    )


@dataclass(frozen=True, slots=True)
class Selector:
    """The ``:version`` or ``:label`` suffix of a name in GetParameter(s)."""

    text: str

    @property
    def version(self) -> int | None:
        """The version a selector of ASCII digits names (maybe beyond MAX_VERSION), else None."""
        return int(self.text) if _VERSION.fullmatch(self.text) else None

    @property
    def wire(self) -> str:
        """As AWS returns it in ``Parameter.Selector``: with the colon."""
        return ":" + self.text


@dataclass(frozen=True, slots=True)
class NameRef:
    """A parameter named by a read request: its key and optional selector.

    ``key`` is None when the reference cannot name a parameter of the caller (a foreign ARN,
    an ARN of another resource type, a path without a leading slash).
    """

    requested: str
    key: str | None
    selector: Selector | None


def parse_ref(text: str, *, region: str, account_id: str, allow_selector: bool = True) -> NameRef:
    """Read ``name``, ``name:selector``, or a parameter ARN (with optional selector).

    GetParameter, GetParameters and GetParameterHistory accept ARNs; a parameter shared from
    another account is not something this server has, so a foreign ARN names nothing.
    """
    name = strip_spaces(text)
    if "\x00" in name:
        # No name or label holds a NUL, and PostgreSQL can't even compare one: names nothing.
        return NameRef(text, None, None)
    if name.startswith("arn:"):
        arn = arns.parse(name)
        if (
            arn is None
            or arn.service != "ssm"
            or arn.region != region
            or arn.account != account_id
            or not arn.resource.startswith("parameter/")
        ):
            return NameRef(text, None, None)
        name = "/" + arn.resource[len("parameter/") :]
    bare, colon, suffix = name.partition(":")
    if colon and (not allow_selector or not suffix):
        return NameRef(text, None, None)
    selector = Selector(suffix) if colon else None
    if "/" in bare.lstrip("/") and not bare.startswith("/"):
        return NameRef(text, None, selector)
    return NameRef(text, key_of(bare) if bare else None, selector)


def lookup_key(name: str) -> str | None:
    """The key a plain name (no selector, no ARN) is stored under; None if it can't be one."""
    name = strip_spaces(name)
    return None if "\x00" in name else key_of(name)


def resource_arn(text: str, *, region: str, account_id: str) -> str:
    """The ARN IAM checks for a requested name: selector removed, ARN passed through."""
    name = text.strip(" ")
    if name.startswith("arn:"):
        head, _, resource = name.partition(":parameter/")
        return f"{head}:parameter/{resource.split(':', 1)[0]}" if resource else name
    return arns.parameter_arn(region, account_id, name.split(":", 1)[0])
