"""Where association results become Association compliance: the one seam to compliance.

With SyncCompliance AUTO, each host's result of a run is one compliance item of type
Association (Id = the association id, Details DocumentName and DocumentVersion, COMPLIANT only
when the run succeeded, the association's ComplianceSeverity), written by the compliance
service as AWS's agent would write it; deleting the association, or a host leaving its
targets, removes the item.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.errors import ValidationException
from openssm.server.context import RequestContext
from openssm.server.events.outbox import EventScope
from openssm.server.services.compliance import writes as compliance
from openssm.server.store.associations import repo

# ExecutionSummary.ExecutionType of an association's items: its runs are commands.
EXECUTION_TYPE = "Command"


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
    executed_at: dt.datetime


def record(conn: Connection, scope: EventScope, results: Sequence[HostResult]) -> None:
    """Write each host's Association item (in the caller's transaction), all hosts in a few
    statements: a scheduler pass records up to hundreds of results at once."""
    compliance.put_association_results(
        conn,
        scope,
        [
            compliance.AssociationResult(
                instance_id=result.instance_id,
                association_id=result.association_id,
                document_name=result.document_name,
                document_version=result.document_version,
                succeeded=result.succeeded,
                severity=result.severity,
                execution=compliance.Execution(
                    time=result.executed_at,
                    execution_id=result.execution_id,
                    execution_type=EXECUTION_TYPE,
                ),
            )
            for result in results
        ],
    )


def check_manual_upload(conn: Connection, ctx: RequestContext, item_ids: Sequence[str]) -> None:
    """A PARTIAL PutComplianceItems of Association items overwrites one association's item,
    which AWS allows only for associations with SyncCompliance MANUAL: an AUTO association's
    item is State Manager's to write. ValidationException naming them otherwise."""
    automatic = sorted(
        row.association_id
        for row in repo.many(conn, set(item_ids))
        if (row.account_id, row.region) == (ctx.account_id, ctx.region)
        and json.loads(row.spec).get("SyncCompliance", "AUTO") != "MANUAL"
    )
    if automatic:
        raise ValidationException(
            f"UploadType PARTIAL writes Association compliance only for associations with "
            f"SyncCompliance MANUAL; {', '.join(automatic)} "
            f"{'has' if len(automatic) == 1 else 'have'} SyncCompliance AUTO, so State "
            "Manager writes its compliance from each run. Update the association with "
            "SyncCompliance MANUAL to report its compliance yourself."
        )


def clear(
    conn: Connection, scope: EventScope, association_id: str, instance_ids: Sequence[str] | None
) -> None:
    """Remove the association's items from these hosts (all hosts when None)."""
    compliance.delete_association_items(conn, scope, association_id, instance_ids)
