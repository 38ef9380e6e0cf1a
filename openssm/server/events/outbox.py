"""The transactional outbox: events written in the same transaction as the change they report.

Events are EventBridge-shaped (``source``, ``detail-type``, ``resources``, ``detail``) and
stored in ``outbox_events``; a relay delivers them later, at least once. An event must never
carry a secret: callers pass names, types and statuses, never a SecureString value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from openssm.server.store.schema import outbox_events

SSM_SOURCE = "aws.ssm"


class EventScope(Protocol):
    """Whose event it is and when it happened; a RequestContext is one."""

    @property
    def account_id(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def now(self) -> dt.datetime: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """An EventScope for work no API request started (the scheduler's)."""

    account_id: str
    region: str
    now: dt.datetime


_INSERT = outbox_events.insert()


def _row(
    scope: EventScope,
    source: str,
    detail_type: str,
    resources: Sequence[str],
    detail: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "account_id": scope.account_id,
        "region": scope.region,
        "created_at": scope.now,
        "source": source,
        "detail_type": detail_type,
        "resources": json.dumps(list(resources), separators=(",", ":")),
        "detail": json.dumps(dict(detail), separators=(",", ":"), sort_keys=True),
    }


def write_event(
    conn: Connection,
    scope: EventScope,
    source: str,
    detail_type: str,
    resources: Sequence[str],
    detail: Mapping[str, Any],
) -> int:
    """Add one event to the outbox in the caller's transaction; returns its id."""
    # Values bound at execution, not built into the statement: one compiled insert serves all.
    result = conn.execute(_INSERT, _row(scope, source, detail_type, resources, detail))
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def write_events(
    conn: Connection,
    scope: EventScope,
    source: str,
    detail_type: str,
    events: Sequence[tuple[Sequence[str], Mapping[str, Any]]],
) -> None:
    """Add many events of one kind (``(resources, detail)`` each) in one statement: a
    fan-out's thousands of status changes cost one round trip, not thousands."""
    if not events:
        return
    conn.execute(
        _INSERT,
        [_row(scope, source, detail_type, resources, detail) for resources, detail in events],
    )
