"""The parameter-policy schedule: arming policies when a parameter changes, and acting on
them when they come due (the scheduler's side of Parameter Store).

Expiration deletes the parameter with its versions, labels and tags; ExpirationNotification
writes one event; NoChangeNotification writes an event per unchanged period. Each action and
its event commit together, in the caller's transaction (transactional outbox). Events carry
names, types and policy facts, never a value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.context import RequestContext
from openssm.server.events.outbox import SSM_SOURCE, EventScope, Scope, write_event
from openssm.server.services.parameters import policies as pol
from openssm.server.store import tags as tags_repo
from openssm.server.store.parameters import policies as repo
from openssm.server.store.parameters import repo as params_repo

RESOURCE_TYPE = "Parameter"
POLICY_EVENT = "Parameter Store Policy Action"


def arm(
    conn: Connection,
    ctx: RequestContext,
    parameter_id: int,
    policies: Sequence[pol.Policy],
    *,
    replaced: bool,
) -> None:
    """Arm new policies, or on a plain update re-arm NoChangeNotification from now."""
    if replaced:
        expires_at = pol.expiration_of(policies)
        repo.replace_policies(
            conn,
            parameter_id=parameter_id,
            policies=[
                (
                    p.type,
                    p.text,
                    pol.PolicyStatus.PENDING,
                    pol.first_due(p, expires_at=expires_at, modified_at=ctx.now),
                )
                for p in policies
            ],
        )
        return
    by_text = {p.text: p for p in policies}
    for row in repo.policy_rows(conn, parameter_id=parameter_id):
        policy = by_text.get(row.policy_text)
        if policy is not None and policy.type == pol.PolicyType.NO_CHANGE_NOTIFICATION:
            repo.update_policy(
                conn,
                policy_id=row.id,
                status=pol.PolicyStatus.PENDING,
                due_at=pol.first_due(policy, expires_at=None, modified_at=ctx.now),
            )


def enforce_due_policies(conn: Connection, *, now: dt.datetime, limit: int = 100) -> int:
    """Act on every policy due by ``now`` (up to ``limit``); returns how many were handled.

    Expiration deletes the parameter; ExpirationNotification writes one event; and
    NoChangeNotification writes an event and re-arms itself for the next unchanged period.
    Each action and its event commit together (transactional outbox).
    """
    handled = 0
    gone: set[int] = set()
    for due in repo.claim_due_policies(conn, now=now, limit=limit):
        policy = due.policy
        if policy.parameter_id in gone:
            continue
        handled += 1
        scope = Scope(account_id=due.account_id, region=due.region, now=now)
        kind = pol.PolicyType(policy.policy_type)
        if kind == pol.PolicyType.EXPIRATION:
            params_repo.delete_parameter(conn, parameter_id=policy.parameter_id)
            tags_repo.delete_tags(
                conn,
                account_id=due.account_id,
                region=due.region,
                resource_type=RESOURCE_TYPE,
                resource_id=due.name,
            )
            gone.add(policy.parameter_id)
            reason = "The parameter expired and was deleted."
        elif kind == pol.PolicyType.EXPIRATION_NOTIFICATION:
            repo.update_policy(
                conn, policy_id=policy.id, status=pol.PolicyStatus.FINISHED, due_at=None
            )
            reason = "The parameter is about to expire."
        else:
            (parsed,) = pol.load_policies("[" + policy.policy_text + "]")
            assert parsed.period is not None
            assert policy.due_at is not None
            following = pol.next_no_change_due(policy.due_at, parsed.period, now)
            repo.update_policy(
                conn, policy_id=policy.id, status=pol.PolicyStatus.PENDING, due_at=following
            )
            reason = "The parameter has not been changed for the period the policy sets."
        _policy_event(conn, scope, due, kind, reason)
    return handled


def _policy_event(
    conn: Connection, scope: EventScope, due: repo.DuePolicy, kind: str, reason: str
) -> None:
    digest = hashlib.sha1(due.policy.policy_text.encode(), usedforsecurity=False).hexdigest()
    detail: dict[str, Any] = {
        "parameter-name": due.name,
        "parameter-type": due.type,
        "policy-type": kind,
        "policy-content-sha1": digest,
        "action-status": pol.PolicyStatus.FINISHED,
        "action-reason": reason,
    }
    arn = arns.parameter_arn(due.region, due.account_id, due.name)
    write_event(conn, scope, SSM_SOURCE, POLICY_EVENT, [arn], detail)
