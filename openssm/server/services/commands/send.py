"""SendCommand: check the document and parameters, resolve the targets, and write the command
with one Pending invocation per target, in one transaction.

The plan the agents run is rendered once, here, with ``{{ssm:…}}`` and ``{{ssm-secure:…}}``
resolved. It is stored sealed by the keyring (it may hold decrypted secrets, which must never
be a plaintext row) together with the secret values the agent masks in output. What the API
shows (Parameters) keeps ``{{ssm-secure:…}}`` as the caller wrote it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy.engine import Connection

from openssm import ids
from openssm.documents.kinds import DocumentType
from openssm.documents.nested import NestedDocument
from openssm.documents.plan import Plan
from openssm.errors import AccessDeniedException, InvalidDocument, InvalidParameters
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services.commands import nested, ratecontrol, rollup, targets
from openssm.server.services.documents import reads as document_reads
from openssm.server.services.documents import rendering
from openssm.server.store.commands import repo
from openssm.server.store.notify import COMMANDS_CHANNEL, notify
from openssm.statuses import InvocationDetail

DEFAULT_DELIVERY_TIMEOUT_S = 3600
DEFAULT_STEP_TIMEOUT_S = 3600
DEFAULT_MAX_CONCURRENCY = "50"
DEFAULT_MAX_ERRORS = "0"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendInput:
    document_name: str
    document_version: str | None = None
    document_hash: str | None = None
    parameters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    instance_ids: Sequence[str] = ()
    targets: Sequence[Mapping[str, Any]] = ()
    delivery_timeout_s: int | None = None
    comment: str = ""
    output_s3_region: str = ""
    output_s3_bucket: str = ""
    output_s3_prefix: str = ""
    max_concurrency: str | None = None
    max_errors: str | None = None
    service_role: str = ""
    notification_config: Mapping[str, Any] | None = None
    cloudwatch_output_config: Mapping[str, Any] | None = None
    # SendCommand runs Command documents only; an association's run may also be a Policy
    # document's (AWS-GatherSoftwareInventory is one), which AWS runs through associations only.
    document_types: frozenset[DocumentType] = frozenset({DocumentType.COMMAND})


@dataclass(frozen=True, slots=True, kw_only=True)
class SealedPlan:
    """What an agent is sent: the plan with secrets resolved, and the secrets to mask."""

    plan: Plan = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # What the plan's aws:runDocument steps run (services.commands.nested).
    documents: tuple[NestedDocument, ...] = field(default=(), repr=False)


def seal_plan(keyring: Keyring, command_id: str, sealed: SealedPlan) -> str:
    text = msgspec.json.encode(sealed).decode()
    return keyring.seal_secret(text, bound_to=f"command:{command_id}")


def open_plan(keyring: Keyring, command_id: str, token: str) -> SealedPlan:
    text = keyring.open_secret(token, bound_to=f"command:{command_id}")
    return msgspec.json.decode(text, type=SealedPlan)


def execution_timeout_s(plan: Plan) -> int:
    """How long the document may run on a node: the sum of its steps' timeouts."""
    total = 0
    for step in plan.steps:
        given = step.inputs.get("timeoutSeconds")
        if isinstance(given, str) and given.isdigit():
            given = int(given)
        if isinstance(given, int) and given > 0:
            total += given
        else:
            total += step.timeout_s or DEFAULT_STEP_TIMEOUT_S
    return total or DEFAULT_STEP_TIMEOUT_S


def _refuse_unsupported(request: SendInput) -> None:
    cloudwatch = request.cloudwatch_output_config or {}
    if cloudwatch.get("CloudWatchOutputEnabled"):
        raise InvalidParameters(
            "CloudWatchOutputConfig: this server does not send output to CloudWatch Logs. "
            "The whole output is kept in its object store (see OutputS3BucketName); "
            "set CloudWatchOutputEnabled to false."
        )


def _limit(text: str, name: str) -> ratecontrol.Limit:
    try:
        return ratecontrol.parse_limit(text)
    except ValueError as exc:
        raise InvalidParameters(f"{name}: {exc}") from None


def _access_check(ctx: RequestContext) -> rendering.AccessCheck:
    def check(arn: str) -> None:
        if ctx.hides is not None and ctx.hides(arn):
            raise AccessDeniedException(
                f"{ctx.principal_arn} may not read {arn}, which the command's parameters reference."
            )

    return check


def _wrong_type(name: str, document_type: str) -> str:
    why = f"SendCommand runs Command documents; {name} is a {document_type} document"
    if document_type == DocumentType.POLICY:
        return f"{why}, which runs through a State Manager association (CreateAssociation)."
    return f"{why}."


def send_command(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    request: SendInput,
    *,
    online_cutoff: dt.datetime,
) -> repo.CommandRow:
    """Write the command and its invocations; InvalidDocument, InvalidDocumentVersion,
    InvalidParameters or InvalidInstanceId when it cannot be sent."""
    _refuse_unsupported(request)
    targets.check_choice(request.instance_ids, request.targets)
    record, document = document_reads.resolve_for_execution(
        conn, ctx, request.document_name, request.document_version
    )
    if record.document_type not in request.document_types:
        raise InvalidDocument(_wrong_type(request.document_name, record.document_type))
    if request.document_hash is not None and request.document_hash != record.hash:
        raise InvalidDocument(
            f"DocumentHash does not match version {record.version} of {request.document_name}."
        )
    secrets: list[str] = []
    rendered = rendering.render_for_execution(
        conn,
        ctx,
        keyring,
        document,
        request.parameters,
        check_access=_access_check(ctx),
        secure_values=secrets,
    )
    found = targets.resolve(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        online_cutoff=online_cutoff,
        instance_ids=list(dict.fromkeys(request.instance_ids)),
        targets=request.targets,
    )
    max_concurrency = request.max_concurrency or DEFAULT_MAX_CONCURRENCY
    max_errors = request.max_errors or DEFAULT_MAX_ERRORS
    concurrency = ratecontrol.concurrency_for(_limit(max_concurrency, "MaxConcurrency"), len(found))
    errors_allowed = ratecontrol.errors_allowed(_limit(max_errors, "MaxErrors"), len(found))
    command_id = ids.command_id()
    delivery_timeout = request.delivery_timeout_s or DEFAULT_DELIVERY_TIMEOUT_S
    execution_timeout = execution_timeout_s(rendered.agent)
    platforms = set(record.summary.platform_types)
    invocations = [
        repo.InvocationRow(
            command_id=command_id,
            instance_id=target.instance_id,
            instance_name=target.name,
            status_details=(
                InvocationDetail.INVALID_PLATFORM
                if target.platform_type and target.platform_type not in platforms
                else InvocationDetail.PENDING
            ),
            requested_at=ctx.now,
            ended_at=(
                ctx.now if target.platform_type and target.platform_type not in platforms else None
            ),
        )
        for target in found
    ]
    rolled = rollup.roll_up(
        (InvocationDetail(i.status_details) for i in invocations), errors_allowed=errors_allowed
    )
    row = repo.CommandRow(
        command_id=command_id,
        account_id=ctx.account_id,
        region=ctx.region,
        document_name=request.document_name,
        document_version=request.document_version,
        comment=request.comment,
        parameters=json.dumps({k: list(v) for k, v in request.parameters.items()}),
        instance_ids=json.dumps(list(dict.fromkeys(request.instance_ids))),
        targets=json.dumps(list(request.targets)),
        requested_at=ctx.now,
        expires_at=ctx.now + dt.timedelta(seconds=delivery_timeout + execution_timeout),
        delivery_timeout_s=delivery_timeout,
        execution_timeout_s=execution_timeout,
        output_s3_region=request.output_s3_region,
        output_s3_bucket=request.output_s3_bucket,
        output_s3_prefix=request.output_s3_prefix,
        max_concurrency=max_concurrency,
        max_errors=max_errors,
        concurrency=concurrency,
        errors_allowed=errors_allowed,
        service_role=request.service_role,
        notification_config=json.dumps(request.notification_config or {}),
        cloudwatch_output_config=json.dumps(request.cloudwatch_output_config or {}),
        sealed_plan=seal_plan(
            keyring,
            command_id,
            SealedPlan(
                plan=rendered.agent,
                secrets=tuple(dict.fromkeys(secrets)),
                documents=tuple(
                    nested.resolve_nested(conn, ctx, keyring, rendered.agent, _access_check(ctx))
                ),
            ),
        ),
        status=rolled.status,
        status_details=rolled.detail,
        target_count=rolled.target_count,
        completed_count=rolled.completed_count,
        error_count=rolled.error_count,
        delivery_timed_out_count=rolled.delivery_timed_out_count,
        cancel_requested=False,
        finished=rolled.completed_count == rolled.target_count,
    )
    repo.insert_command(conn, row)
    repo.insert_invocations(conn, invocations)
    notify(conn, COMMANDS_CHANNEL)
    return row
