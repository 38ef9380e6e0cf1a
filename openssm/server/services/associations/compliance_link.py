"""Where association results become Association compliance: the one seam to compliance.

With SyncCompliance AUTO, each host's result of a run is one compliance item of type
Association (Id = the association id, Details DocumentName and DocumentVersion, COMPLIANT only
when the run succeeded, the association's ComplianceSeverity), and deleting the association or
a host leaving its targets removes the item. The compliance store lands separately; until it
does these functions keep nothing beyond the per-host state State Manager already stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.server.events.outbox import EventScope


@dataclass(frozen=True, slots=True, kw_only=True)
class HostResult:
    """One host's result of one association run, as compliance sees it."""

    instance_id: str
    association_id: str
    document_name: str
    document_version: str
    succeeded: bool
    severity: str
    execution_id: str


def record(conn: Connection, scope: EventScope, results: Sequence[HostResult]) -> None:
    """Write each host's Association item (in the caller's transaction)."""
    del conn, scope, results


def clear(
    conn: Connection, scope: EventScope, association_id: str, instance_ids: Sequence[str] | None
) -> None:
    """Remove the association's items from these hosts (all hosts when None)."""
    del conn, scope, association_id, instance_ids
