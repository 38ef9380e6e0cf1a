"""IAM-style identity-policy evaluation: Allow/Deny statements over actions and ARNs.

Owns: parsing and validating policy documents, and deciding one (action, resource)
request against a principal's policies. Evaluation follows IAM's order: an explicit
Deny in any statement wins, otherwise any matching Allow allows, otherwise the request
is implicitly denied.

Policy variables: ``${aws:username}`` in a Resource or NotResource is replaced by the
caller's user name when the policy is parsed for that caller (``variables``), as IAM does,
so "only sessions named after me" reads ``…:session/${aws:username}-*``. A policy parsed
without a value for it (to validate it) matches nothing where the variable stands. Other
variables are refused by name.

Does not own: where policies are stored or which ones apply to a principal, Condition
blocks, resource-based policies (``Principal``), and the wire error (the caller raises
``AccessDeniedException``). Pure: no I/O, no ``await``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from openssm import jsontext
from openssm.errors import OpenSSMError

Effect = Literal["Allow", "Deny"]
Decision = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]

VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
_POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"})
_UNSUPPORTED_KEYS = ("Condition", "Principal", "NotPrincipal")
_ACTION = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
SUPPORTED_VARIABLES = frozenset({"aws:username"})
# Stands for a variable that has no value: no ARN contains it, so the resource matches nothing.
_NO_VALUE = "\x00"


class PolicyError(OpenSSMError, ValueError):
    """A policy document is malformed or uses something openssm does not evaluate."""


class _Matcher:
    """A set of IAM wildcard patterns compiled once into one regex."""

    __slots__ = ("_any", "_regex")

    def __init__(self, patterns: Sequence[str], *, ignore_case: bool) -> None:
        self._any = "*" in patterns
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        self._regex = re.compile("|".join(_glob_to_regex(p) for p in patterns), flags)

    def matches(self, value: str) -> bool:
        return self._any or self._regex.fullmatch(value) is not None


def _glob_to_regex(pattern: str) -> str:
    """IAM wildcards as a regex: "*" is any run of characters (also none), "?" exactly one.

    The naive ".*" per star backtracks polynomially in the number of stars: "arn:*a*a*a*a*b"
    against a 300-character name took 13 s. Matching each middle piece at its leftmost
    place is always enough for globs, so those pieces are atomic groups, and matching
    stays linear in the name for each piece of the pattern.
    """
    first, *rest = pattern.split("*")
    if not rest:
        return f"(?:{_literal(first)})"
    *middle, last = rest
    pieces = "".join(f"(?>.*?{_literal(piece)})" for piece in middle)
    return f"(?:{_literal(first)}{pieces}.*{_literal(last)})"


def _literal(piece: str) -> str:
    return "".join("." if c == "?" else re.escape(c) for c in piece)


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One statement; exactly one of actions/not_actions and of resources/not_resources."""

    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    sid: str | None = None
    _action: _Matcher = field(init=False, repr=False, compare=False)
    _resource: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _effect(self.effect)
        actions = _exactly_one("Action", self.actions, "NotAction", self.not_actions)
        resources = _exactly_one("Resource", self.resources, "NotResource", self.not_resources)
        for action in actions:
            if not _ACTION.fullmatch(action):
                raise PolicyError(
                    f"Action {action!r} must be '*' or 'service:action' "
                    "(letters, digits, '*' and '?' only)"
                )
        for resource in resources:
            if resource != "*" and not resource.startswith("arn:"):
                raise PolicyError(f"Resource {resource!r} must be '*' or an ARN ('arn:...')")
            if "${" in resource:
                raise PolicyError(f"Resource {resource!r}: policy variables are not supported")
        # Frozen dataclass: compiled matchers are set once, here.
        object.__setattr__(self, "_action", _Matcher(actions, ignore_case=True))
        object.__setattr__(self, "_resource", _Matcher(resources, ignore_case=False))

    def applies_to(self, action: str, resource: str) -> bool:
        """Whether this statement covers the request (whatever its effect)."""
        action_hit = self._action.matches(action)
        if action_hit != bool(self.actions):  # Action must hit; NotAction must miss
            return False
        return self._resource.matches(resource) == bool(self.resources)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """One policy document; a principal's effective permissions are a list of these."""

    statements: tuple[Statement, ...]


def _exactly_one(
    name: str, values: tuple[str, ...], not_name: str, not_values: tuple[str, ...]
) -> tuple[str, ...]:
    if values and not_values:
        raise PolicyError(f"A statement may have {name} or {not_name}, not both")
    if not values and not not_values:
        raise PolicyError(f"A statement needs {name} or {not_name}")
    return values or not_values


def evaluate(policies: Sequence[Policy], action: str, resource: str) -> Decision:
    """Decide one request: an explicit Deny anywhere wins, then any Allow, else deny."""
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if statement.applies_to(action, resource):
                if statement.effect == "Deny":
                    return "ExplicitDeny"
                allowed = True
    return "Allow" if allowed else "ImplicitDeny"


def is_allowed(policies: Sequence[Policy], action: str, resources: Sequence[str]) -> bool:
    """True only if every resource is allowed (batch calls are all-or-nothing).

    Actions without resource-level permissions are checked against ``["*"]``; an empty
    list is a caller bug, refused rather than read as "nothing to deny".
    """
    if not resources:
        raise ValueError("resources must not be empty; pass ['*'] for account-level actions")
    return all(evaluate(policies, action, resource) == "Allow" for resource in resources)


def parse_policy(
    document: str | Mapping[str, Any], *, variables: Mapping[str, str] | None = None
) -> Policy:
    """Parse a JSON policy document (text or already-decoded) into a ``Policy``, with the
    policy variables in its resources replaced by ``variables`` (the caller's values)."""
    if isinstance(document, str):
        try:
            document = jsontext.loads(document, object_pairs_hook=_refuse_duplicate_keys)
        except ValueError as exc:
            raise PolicyError(f"Policy is not valid JSON: {exc}") from exc
    if not isinstance(document, Mapping):
        raise PolicyError("Policy must be a JSON object")
    _refuse_unknown_keys(document, _POLICY_KEYS, "Policy")
    version = document.get("Version")
    if version is not None and (not isinstance(version, str) or version not in VERSIONS):
        raise PolicyError(f"Version must be one of {sorted(VERSIONS)}, got {version!r}")
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not raw:
        raise PolicyError("Statement must be an object or a non-empty list of objects")
    statements = []
    for index, item in enumerate(raw):
        try:
            statements.append(_parse_statement(item, variables or {}))
        except PolicyError as exc:
            raise PolicyError(f"Statement[{index}]: {exc}") from exc
    return Policy(statements=tuple(statements))


def _parse_statement(item: object, variables: Mapping[str, str]) -> Statement:
    if not isinstance(item, Mapping):
        raise PolicyError("must be a JSON object")
    for key in _UNSUPPORTED_KEYS:
        if key in item:
            raise PolicyError(f"{key} is not supported")
    _refuse_unknown_keys(item, _STATEMENT_KEYS, "Statement")
    sid = item.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError("Sid must be a string")
    return Statement(
        effect=_effect(item.get("Effect")),
        actions=_strings(item, "Action"),
        not_actions=_strings(item, "NotAction"),
        resources=_substituted(_strings(item, "Resource"), variables),
        not_resources=_substituted(_strings(item, "NotResource"), variables),
        sid=sid,
    )


def _substituted(resources: tuple[str, ...], variables: Mapping[str, str]) -> tuple[str, ...]:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in SUPPORTED_VARIABLES:
            raise PolicyError(
                f"policy variable ${{{name}}} is not supported (only "
                + ", ".join(f"${{{v}}}" for v in sorted(SUPPORTED_VARIABLES))
                + ")"
            )
        return variables.get(name, _NO_VALUE)

    return tuple(_VARIABLE.sub(value, resource) for resource in resources)


def _effect(value: object) -> Effect:
    if value == "Allow":
        return "Allow"
    if value == "Deny":
        return "Deny"
    raise PolicyError(f"Effect must be 'Allow' or 'Deny', got {value!r}")


def _strings(item: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise PolicyError(f"{key} must be a string or a non-empty list of non-empty strings")


def _refuse_unknown_keys(obj: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(str(k) for k in obj if k not in allowed)
    if unknown:
        raise PolicyError(f"{what} has unknown element(s): {', '.join(unknown)}")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last duplicate silently; {"Effect": "Deny", "Effect": "Allow"} must not
    # quietly become an Allow.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PolicyError(f"Duplicate key {key!r} in policy JSON")
        result[key] = value
    return result
