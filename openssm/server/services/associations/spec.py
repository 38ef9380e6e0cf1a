"""An association's settings as AWS takes and shows them (the ``spec``), checked.

The spec is the wire shape of one association version (AssociationVersionInfo's members but
the id, version and date), defaults filled in as DescribeAssociation shows them. It is kept as
JSON per version; everything an execution needs is in it.

Checks beyond the model's (which the API layer has made already): the document exists and is a
Command or Policy document, the parameters suit it, the targets are ones we resolve, the
schedule is one State Manager accepts, the legacy InstanceId form is not mixed with what it
cannot carry, and settings that need services openssm does not have (Change Calendar,
cross-account targets, Automation, CloudWatch alarms) are refused by name rather than silently
ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from openssm.documents.kinds import DocumentType
from openssm.errors import InvalidDocument, InvalidParameters, ValidationException
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services import schedules
from openssm.server.services.associations.errors import (
    InvalidSchedule,
    InvalidTarget,
    InvalidTargetMaps,
)
from openssm.server.services.commands import ratecontrol, targets
from openssm.server.services.documents import reads as document_reads
from openssm.server.services.documents import rendering
from openssm.server.services.groups import groups as resource_groups

Spec = dict[str, Any]

MAX_TARGET_KEYS = 5
SHORTEST_RATE = dt.timedelta(minutes=30)
LONGEST_RATE = dt.timedelta(days=31)
# When an association leaves rate control out, all its targets run at once and none stops it.
DEFAULT_MAX_CONCURRENCY = "100%"
DEFAULT_MAX_ERRORS = "100%"
# What an association runs: Command documents, and Policy documents, which only associations
# run (AWS-GatherSoftwareInventory is one).
RUNNABLE_TYPES = frozenset({DocumentType.COMMAND, DocumentType.POLICY})

# Members an association carries from request to spec as they are.
_KEPT = (
    "Name",
    "DocumentVersion",
    "InstanceId",
    "Parameters",
    "Targets",
    "ScheduleExpression",
    "OutputLocation",
    "AssociationName",
    "MaxErrors",
    "MaxConcurrency",
    "ComplianceSeverity",
    "SyncCompliance",
    "ApplyOnlyAtCronInterval",
    "ScheduleOffset",
    "Duration",
    "AssociationDispatchAssumeRole",
)
# Members that need a service openssm does not run: refused when given.
_UNSUPPORTED = {
    "CalendarNames": (
        "openssm has no Change Calendar to gate associations with; leave CalendarNames out "
        "and the association runs on its schedule"
    ),
    "TargetLocations": "openssm runs associations in its own account and region only",
    "AutomationTargetParameterName": "openssm runs Command documents, not Automation runbooks",
    "AlarmConfiguration": "openssm has no CloudWatch alarms to stop associations with",
}
# A legacy InstanceId association cannot carry these (AWS's rule).
_NOT_WITH_INSTANCE_ID = (
    "AssociationName",
    "DocumentVersion",
    "MaxErrors",
    "MaxConcurrency",
    "OutputLocation",
    "ScheduleExpression",
)


def build(
    conn: Connection, ctx: RequestContext, keyring: Keyring, request: Mapping[str, Any]
) -> Spec:
    """The spec of an association from a CreateAssociation (or UpdateAssociation) request."""
    for member, why in _UNSUPPORTED.items():
        if request.get(member):
            raise InvalidParameters(f"{member} is not supported: {why}.")
    if request.get("TargetMaps"):
        raise InvalidTargetMaps(
            "TargetMaps is not supported: it maps an Automation runbook's parameters to "
            "targets, and openssm associations run Command documents; use Targets "
            "(for example Key=tag:Role,Values=web) and Parameters."
        )
    spec: Spec = {k: request[k] for k in _KEPT if request.get(k) is not None}
    spec.setdefault("ComplianceSeverity", "UNSPECIFIED")
    spec.setdefault("SyncCompliance", "AUTO")
    spec.setdefault("ApplyOnlyAtCronInterval", False)
    spec.setdefault("Parameters", {})
    _check_targets(conn, ctx, spec)
    _check_schedule(spec)
    for member in ("MaxConcurrency", "MaxErrors"):
        if member in spec:
            try:
                ratecontrol.parse_limit(spec[member])
            except ValueError as exc:
                raise ValidationException(f"{member}: {exc}.") from None
    _check_document(conn, ctx, keyring, spec)
    return spec


def _check_targets(conn: Connection, ctx: RequestContext, spec: Spec) -> None:
    instance_id = spec.get("InstanceId")
    wanted = spec.get("Targets") or []
    if instance_id is not None:
        if wanted:
            raise InvalidTarget("Specify Targets or InstanceId, not both.")
        mixed = [m for m in _NOT_WITH_INSTANCE_ID if m in spec]
        if mixed:
            raise InvalidParameters(
                "An association made with InstanceId (the legacy form) cannot also have "
                f"{', '.join(mixed)}; use Targets with Key=InstanceIds instead."
            )
        return
    if not wanted:
        raise InvalidTarget("Specify the targets: Targets (for example Key=tag:Role,Values=web).")
    if len(wanted) > MAX_TARGET_KEYS:
        raise InvalidTarget(f"An association takes at most {MAX_TARGET_KEYS} Targets keys.")
    try:
        targets.parse_targets(
            wanted,
            groups=lambda name: resource_groups.query_of(
                conn, account_id=ctx.account_id, region=ctx.region, name=name
            ),
        )
    except (InvalidParameters, ValidationException) as exc:
        raise InvalidTarget(exc.message) from None


def _check_schedule(spec: Spec) -> None:
    expression = spec.get("ScheduleExpression")
    at_cron_only = bool(spec.get("ApplyOnlyAtCronInterval"))
    if expression is None:
        if at_cron_only or "ScheduleOffset" in spec:
            raise InvalidSchedule(
                "ApplyOnlyAtCronInterval and ScheduleOffset need a cron ScheduleExpression."
            )
        if "Duration" in spec:
            raise ValidationException("Duration needs ApplyOnlyAtCronInterval and a schedule.")
        return
    schedule = parse_schedule(expression)
    if isinstance(schedule, schedules.Rate) and (at_cron_only or "ScheduleOffset" in spec):
        raise InvalidSchedule(
            f"{expression}: ApplyOnlyAtCronInterval and ScheduleOffset work with cron "
            "expressions only, not rate expressions."
        )
    if "ScheduleOffset" in spec and not at_cron_only:
        raise InvalidSchedule("ScheduleOffset needs ApplyOnlyAtCronInterval set to true.")
    if "Duration" in spec and not at_cron_only:
        raise ValidationException("Duration needs ApplyOnlyAtCronInterval set to true.")


def parse_schedule(expression: str) -> schedules.Schedule:
    """The schedule of an association; InvalidSchedule saying why when State Manager would
    refuse it (a rate of under 30 minutes or of 31 days or more, runs under 30 minutes apart)."""
    try:
        schedule = schedules.parse(expression)
        schedules.check_shortest_interval(schedule, SHORTEST_RATE, LONGEST_RATE)
    except schedules.ScheduleError as exc:
        raise InvalidSchedule(str(exc)) from None
    return schedule


def _check_document(conn: Connection, ctx: RequestContext, keyring: Keyring, spec: Spec) -> None:
    record, document = document_reads.resolve_for_execution(
        conn, ctx, spec["Name"], spec.get("DocumentVersion")
    )
    if record.document_type not in RUNNABLE_TYPES:
        raise InvalidDocument(
            f"Associations run Command and Policy documents; {spec['Name']} is a "
            f"{record.document_type} document."
        )
    # Renders once to check the parameters (names, types, allowed values, {{ssm:}} names).
    rendering.render_for_execution(conn, ctx, keyring, document, spec["Parameters"])


def merge_update(current: Spec, request: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateAssociation's request as a full association: what it leaves out is cleared, as
    AWS documents, except what identifies the association's work (the document and the
    targets), which stays when not given again."""
    merged = {k: v for k, v in request.items() if k not in ("AssociationId", "AssociationVersion")}
    merged.setdefault("Name", current["Name"])
    if "Targets" not in merged and "InstanceId" in current:
        merged["InstanceId"] = current["InstanceId"]
    merged.setdefault("Targets", current.get("Targets"))
    return merged


def schedule_of(spec: Spec) -> schedules.Schedule | None:
    expression = spec.get("ScheduleExpression")
    return None if expression is None else schedules.parse(expression)
