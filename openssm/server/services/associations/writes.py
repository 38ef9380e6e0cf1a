"""CreateAssociation, UpdateAssociation, DeleteAssociation, StartAssociationsOnce and
UpdateAssociationStatus: each one write transaction.

A new or updated association asks for an immediate run (unless ApplyOnlyAtCronInterval) and
sets when its schedule next comes due; the scheduler loop starts the runs. Every update is a
new version; history is never rewritten.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import ApiError, InvalidInstanceId, ValidationException
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services import tags as tag_service
from openssm.server.services.associations import (
    compliance_link,
    events,
    membership,
    scheduling,
    spec,
)
from openssm.server.services.associations.errors import (
    AssociationAlreadyExists,
    AssociationDoesNotExist,
    AssociationLimitExceeded,
    AssociationVersionLimitExceeded,
    InvalidAssociationVersion,
    StatusUnchanged,
)
from openssm.server.store.associations import repo, runs
from openssm.server.store.associations.repo import AssociationRow
from openssm.server.store.fleet import instances as fleet_rows

MAX_ASSOCIATIONS = 2000
MAX_VERSIONS = 1000
TAG_RESOURCE_TYPE = "Association"


def _first_run(settings: spec.Spec, ctx: RequestContext) -> dict[str, Any]:
    """When a new version runs: now (unless ApplyOnlyAtCronInterval), and on its schedule."""
    next_run_at = scheduling.next_run_after(settings, None, ctx.now)
    run_now = not settings.get("ApplyOnlyAtCronInterval") or spec.schedule_of(settings) is None
    return {"next_run_at": next_run_at, "run_requested_at": ctx.now if run_now else None}


def _check_legacy_instance(conn: Connection, ctx: RequestContext, settings: spec.Spec) -> None:
    instance_id = settings.get("InstanceId")
    if instance_id is None:
        return
    if not fleet_rows.is_active(
        conn, account_id=ctx.account_id, region=ctx.region, instance_id=instance_id
    ):
        raise InvalidInstanceId(f"Instance ID {instance_id} is not a registered managed node.")
    if repo.find_legacy(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        name=settings["Name"],
        instance_id=instance_id,
    ):
        raise AssociationAlreadyExists(
            f"{instance_id} is already associated with {settings['Name']}."
        )


def create_association(
    conn: Connection, ctx: RequestContext, keyring: Keyring, request: Mapping[str, Any]
) -> AssociationRow:
    settings = spec.build(conn, ctx, keyring, request)
    _check_legacy_instance(conn, ctx, settings)
    if repo.count(conn, account_id=ctx.account_id, region=ctx.region) >= MAX_ASSOCIATIONS:
        raise AssociationLimitExceeded(
            f"An account can have at most {MAX_ASSOCIATIONS:,} active associations per region."
        )
    tags = tag_service.tags_from_wire(request.get("Tags"))
    row = AssociationRow(
        association_id=str(uuid.uuid4()),
        account_id=ctx.account_id,
        region=ctx.region,
        version=1,
        name=settings["Name"],
        association_name=settings.get("AssociationName"),
        instance_id=settings.get("InstanceId"),
        spec=json.dumps(settings, sort_keys=True),
        created_at=ctx.now,
        updated_at=ctx.now,
        **_first_run(settings, ctx),
    )
    repo.insert(conn, row)
    membership.settle(conn, ctx, row)
    tag_service.set_initial_tags(
        conn, ctx, resource_type=TAG_RESOURCE_TYPE, resource_id=row.association_id, tags=tags
    )
    events.association_changed(conn, ctx, row, status="Pending", counts={})
    return row


def create_batch(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    entries: Sequence[Mapping[str, Any]],
) -> tuple[list[AssociationRow], list[tuple[Mapping[str, Any], str, str]]]:
    """Each entry on its own: (created, [(entry, message, fault)]). A failed entry leaves no
    trace (each runs in a savepoint)."""
    created: list[AssociationRow] = []
    failed: list[tuple[Mapping[str, Any], str, str]] = []
    for entry in entries:
        savepoint = conn.begin_nested()
        try:
            created.append(create_association(conn, ctx, keyring, entry))
        except ApiError as exc:
            savepoint.rollback()
            failed.append((entry, exc.message or exc.code, "Client"))
        else:
            savepoint.commit()
    return created, failed


def locate(
    conn: Connection,
    ctx: RequestContext,
    *,
    association_id: str | None,
    name: str | None = None,
    instance_id: str | None = None,
    lock: bool = False,
) -> AssociationRow:
    """By AssociationId, or by Name and InstanceId (the legacy form); AssociationDoesNotExist."""
    found: AssociationRow | None = None
    if association_id is not None:
        found = repo.get(
            conn,
            account_id=ctx.account_id,
            region=ctx.region,
            association_id=association_id,
            lock=lock,
        )
    elif name is not None and instance_id is not None:
        found = repo.find_legacy(
            conn, account_id=ctx.account_id, region=ctx.region, name=name, instance_id=instance_id
        )
    else:
        raise ValidationException("Specify AssociationId, or both Name and InstanceId.")
    if found is None:
        raise AssociationDoesNotExist("The specified association does not exist.")
    return found


def update_association(
    conn: Connection, ctx: RequestContext, keyring: Keyring, request: Mapping[str, Any]
) -> AssociationRow:
    current = locate(conn, ctx, association_id=request["AssociationId"], lock=True)
    expected = request.get("AssociationVersion")
    if expected not in (None, "$LATEST") and expected != str(current.version):
        raise InvalidAssociationVersion(
            f"AssociationVersion {expected} is not the association's latest version "
            f"({current.version}): it was updated since; describe it and try again."
        )
    if current.version >= MAX_VERSIONS:
        raise AssociationVersionLimitExceeded(
            f"An association can have at most {MAX_VERSIONS} versions."
        )
    merged = spec.merge_update(json.loads(current.spec), request)
    settings = spec.build(conn, ctx, keyring, merged)
    row = AssociationRow(
        association_id=current.association_id,
        account_id=current.account_id,
        region=current.region,
        version=current.version + 1,
        name=settings["Name"],
        association_name=settings.get("AssociationName"),
        instance_id=settings.get("InstanceId"),
        spec=json.dumps(settings, sort_keys=True),
        created_at=current.created_at,
        updated_at=ctx.now,
        last_execution_at=current.last_execution_at,
        last_successful_execution_at=current.last_successful_execution_at,
        status=current.status,
        **_first_run(settings, ctx),
    )
    repo.replace(conn, row)
    membership.settle(conn, ctx, row)
    counts = runs.status_counts(conn, [row.association_id])[row.association_id]
    events.association_changed(conn, ctx, row, status="Pending", counts=counts)
    return row


def delete_association(conn: Connection, ctx: RequestContext, body: Mapping[str, Any]) -> None:
    row = locate(
        conn,
        ctx,
        association_id=body.get("AssociationId"),
        name=body.get("Name"),
        instance_id=body.get("InstanceId"),
        lock=True,
    )
    counts = runs.status_counts(conn, [row.association_id])[row.association_id]
    compliance_link.clear(conn, ctx, row.association_id, None)
    tag_service.drop_all_tags(
        conn, ctx, resource_type=TAG_RESOURCE_TYPE, resource_id=row.association_id
    )
    repo.delete(conn, row.association_id)
    events.association_changed(conn, ctx, row, status="Deleted", counts=counts)


def start_once(conn: Connection, ctx: RequestContext, association_ids: Sequence[str]) -> None:
    for association_id in association_ids:
        locate(conn, ctx, association_id=association_id)
    repo.request_run(conn, list(dict.fromkeys(association_ids)), ctx.now)


def update_status(conn: Connection, ctx: RequestContext, body: Mapping[str, Any]) -> AssociationRow:
    """The legacy form's status, set by the caller (AssociationStatus); StatusUnchanged when
    it is already that."""
    row = locate(conn, ctx, association_id=None, name=body["Name"], instance_id=body["InstanceId"])
    given = body["AssociationStatus"]
    status = {
        "Date": given["Date"],
        "Name": given["Name"],
        "Message": given["Message"],
        **({"AdditionalInfo": given["AdditionalInfo"]} if given.get("AdditionalInfo") else {}),
    }
    if row.status is not None and json.loads(row.status).get("Name") == status["Name"]:
        raise StatusUnchanged(f"The association's status is already {status['Name']}.")
    repo.set_status(conn, row.association_id, json.dumps(status), ctx.now)
    found = repo.get_by_id(conn, row.association_id)
    assert found is not None
    return found


def tag_target(conn: Connection, ctx: RequestContext, resource_id: str) -> str | None:
    """AddTagsToResource and friends with ResourceType Association: the id, when it exists."""
    found = repo.get(conn, account_id=ctx.account_id, region=ctx.region, association_id=resource_id)
    return None if found is None else found.association_id
