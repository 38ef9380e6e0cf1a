"""Parameter policies: parse the ``Policies`` JSON and compute when each one comes due. Pure.

Owns the three policy types of Parameter Store ("Assigning parameter policies", User Guide):

- ``Expiration`` ``{"Timestamp": ISO-8601 instant}``: delete the parameter at that time.
- ``ExpirationNotification`` ``{"Before": "15", "Unit": "Days|Hours"}``: an event that long
  before the expiration.
- ``NoChangeNotification`` ``{"After": "20", "Unit": "Days|Hours"}``: an event when the
  parameter has not changed for that long, repeated each further period it stays unchanged.

Enforcement (deleting, writing events) lives in the services that own the store; this module
only decides *what* the policies say and *when* they are due.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openssm import jsontext
from openssm.errors import (
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
    ValidationException,
)

MAX_POLICIES = 10
POLICY_VERSION = "1.0"
# AWS documents no ceiling for Before/After; ours keeps every due date a policy can reach
# (now + period, and the next period after that) far inside what a datetime holds, so a
# huge period is refused up front instead of overflowing in a request or in the scheduler.
MAX_PERIOD_DAYS = 36_500


class PolicyType(StrEnum):
    EXPIRATION = "Expiration"
    EXPIRATION_NOTIFICATION = "ExpirationNotification"
    NO_CHANGE_NOTIFICATION = "NoChangeNotification"


class PolicyStatus(StrEnum):
    PENDING = "Pending"
    FINISHED = "Finished"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"


_UNITS = {"Days": dt.timedelta(days=1), "Hours": dt.timedelta(hours=1)}
_ATTRIBUTES: Mapping[PolicyType, frozenset[str]] = {
    PolicyType.EXPIRATION: frozenset({"Timestamp"}),
    PolicyType.EXPIRATION_NOTIFICATION: frozenset({"Before", "Unit"}),
    PolicyType.NO_CHANGE_NOTIFICATION: frozenset({"After", "Unit"}),
}
_MEMBERS = frozenset({"Type", "Version", "Attributes"})
# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
_AMOUNT = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """One parsed policy; ``text`` is its canonical JSON, returned as ``PolicyText``."""

    type: PolicyType
    text: str
    expires_at: dt.datetime | None = None
    period: dt.timedelta | None = None


def parse_policies(text: str, *, now: dt.datetime) -> list[Policy]:
    """Parse PutParameter's ``Policies``; an empty list means "remove every policy".

    ``[]`` and ``[{}]`` clear the policies (User Guide). At most 10 policies; at most one
    Expiration and one NoChangeNotification; an ExpirationNotification needs an Expiration to
    count back from; an Expiration must lie in the future.
    """
    try:
        doc = jsontext.loads(text)
    except ValueError:
        raise ValidationException(
            "Invalid policies input: Policies must be a JSON array of policy objects."
        ) from None
    if not isinstance(doc, list) or not all(isinstance(item, dict) for item in doc):
        raise ValidationException(
            "Invalid policies input: Policies must be a JSON array of policy objects."
        )
    items = [item for item in doc if item]
    if len(items) > MAX_POLICIES:
        raise PoliciesLimitExceededException(
            f"You specified {len(items)} policies; a parameter can have at most {MAX_POLICIES}."
        )
    policies = [_parse_one(item, now) for item in items]
    _check_compatible(policies)
    return policies


def _parse_one(item: Mapping[str, Any], now: dt.datetime, *, stored: bool = False) -> Policy:
    raw_type = item.get("Type")
    try:
        kind = PolicyType(raw_type) if isinstance(raw_type, str) else None
    except ValueError:
        kind = None
    if kind is None:
        raise InvalidPolicyTypeException(
            f"Policy type {raw_type} is not supported. Parameter Store supports the following "
            "policy types: Expiration, ExpirationNotification, and NoChangeNotification."
        )
    unknown = set(item) - _MEMBERS
    if unknown:
        raise InvalidPolicyAttributeException(
            f"{kind} policy has unknown members: {', '.join(sorted(unknown))}."
        )
    version = item.get("Version", POLICY_VERSION)
    if version != POLICY_VERSION:
        raise InvalidPolicyAttributeException(
            f"{kind} policy Version must be {POLICY_VERSION}, not {version}."
        )
    attributes = item.get("Attributes")
    if not isinstance(attributes, dict):
        raise InvalidPolicyAttributeException(f"{kind} policy needs an Attributes object.")
    expected = _ATTRIBUTES[kind]
    if set(attributes) != expected:
        raise InvalidPolicyAttributeException(
            f"{kind} policy Attributes must be exactly: {', '.join(sorted(expected))}."
        )
    text = json.dumps(
        {"Type": str(kind), "Version": POLICY_VERSION, "Attributes": attributes},
        separators=(",", ":"),
    )
    if kind == PolicyType.EXPIRATION:
        expires_at = parse_timestamp(attributes["Timestamp"])
        if expires_at <= now:
            raise InvalidPolicyAttributeException(
                f"Expiration policy Timestamp {attributes['Timestamp']} is in the past."
            )
        return Policy(type=kind, text=text, expires_at=expires_at)
    key = "Before" if kind == PolicyType.EXPIRATION_NOTIFICATION else "After"
    period = _period(kind, attributes[key], attributes["Unit"], capped=not stored)
    return Policy(type=kind, text=text, period=period)


def parse_timestamp(raw: object) -> dt.datetime:
    """ISO_INSTANT or ISO_OFFSET_DATE_TIME, e.g. ``2030-12-02T21:34:33.000Z`` or ``…+01:00``."""
    if not isinstance(raw, str):
        raise InvalidPolicyAttributeException("Expiration policy Timestamp must be a string.")
    try:
        parsed = dt.datetime.fromisoformat(raw)
        # In UTC a time late on 9999-12-31 with a negative offset falls past year 9999.
        utc = parsed.astimezone(dt.UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None or "T" not in raw:
        raise InvalidPolicyAttributeException(
            f"Expiration policy Timestamp {raw} is not an ISO-8601 date and time with a zone, "
            "such as 2030-12-02T21:34:33.000Z, before the year 10000 in UTC."
        )
    return utc


def _period(kind: PolicyType, amount: object, unit: object, *, capped: bool) -> dt.timedelta:
    text = str(amount) if isinstance(amount, int | str) and not isinstance(amount, bool) else ""
    if not _AMOUNT.fullmatch(text) or int(text) < 1:
        raise InvalidPolicyAttributeException(
            f"{kind} policy amount {amount} must be a positive whole number."
        )
    if not isinstance(unit, str) or unit not in _UNITS:
        raise InvalidPolicyAttributeException(
            f"{kind} policy Unit {unit} is not valid. Valid units: Days, Hours."
        )
    most = dt.timedelta(days=MAX_PERIOD_DAYS) // _UNITS[unit]
    # Compared before multiplying: a timedelta of 10**20 days is itself an OverflowError.
    # A set stored before the cap existed still loads (and is due "never", see _later).
    if capped and int(text) > most:
        raise InvalidPolicyAttributeException(
            f"{kind} policy period {text} {unit} is too long: at most {most} {unit}."
        )
    return min(int(text), dt.timedelta.max // _UNITS[unit]) * _UNITS[unit]


def _check_compatible(policies: Sequence[Policy]) -> None:
    counts = {kind: sum(p.type == kind for p in policies) for kind in PolicyType}
    for kind in (PolicyType.EXPIRATION, PolicyType.NO_CHANGE_NOTIFICATION):
        if counts[kind] > 1:
            raise IncompatiblePolicyException(
                f"A parameter can have only one {kind} policy; {counts[kind]} were given."
            )
    if counts[PolicyType.EXPIRATION_NOTIFICATION] and not counts[PolicyType.EXPIRATION]:
        raise IncompatiblePolicyException(
            "An ExpirationNotification policy needs an Expiration policy to count back from."
        )


def policies_text(policies: Sequence[Policy]) -> str | None:
    """The policy set as stored with a version; None when there are none."""
    if not policies:
        return None
    return "[" + ",".join(p.text for p in policies) + "]"


def load_policies(text: str | None) -> list[Policy]:
    """Re-read a stored policy set (no 'in the future' check: it was checked when stored)."""
    if not text:
        return []
    far_past = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return [_parse_one(item, far_past, stored=True) for item in json.loads(text)]


def expiration_of(policies: Sequence[Policy]) -> dt.datetime | None:
    return next((p.expires_at for p in policies if p.type == PolicyType.EXPIRATION), None)


def _later(at: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``at + delta``, saturated at the calendar's ends: a due date past year 9999 is "never",
    and an OverflowError here would fail every scheduler tick that met the policy."""
    try:
        return at + delta
    except OverflowError:
        if delta > dt.timedelta(0):
            return dt.datetime.max.replace(tzinfo=dt.UTC)
        return dt.datetime.min.replace(tzinfo=dt.UTC)


def first_due(
    policy: Policy, *, expires_at: dt.datetime | None, modified_at: dt.datetime
) -> dt.datetime | None:
    """When a freshly set (or re-armed) policy first comes due."""
    if policy.type == PolicyType.EXPIRATION:
        return policy.expires_at
    assert policy.period is not None
    if policy.type == PolicyType.EXPIRATION_NOTIFICATION:
        return None if expires_at is None else _later(expires_at, -policy.period)
    return _later(modified_at, policy.period)


def next_no_change_due(due_at: dt.datetime, period: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """The next NoChangeNotification after one fired: once per further unchanged period.

    A server that was down for several periods sends one catch-up event, not one per period.
    """
    following = _later(due_at, period)
    if following <= now:
        skipped = (now - due_at) // period
        following = _later(due_at, (skipped + 1) * period)
    return following
