"""aws:runDocument: run another stored document's steps inside this step.

Inputs, as in AWS's plugin reference: ``documentType`` (``SSMDocument``; ``LocalPath``
needs aws:downloadContent, which this agent does not have yet), ``documentPath`` (a
document name, ``name:version``, or a document ARN) and ``documentParameters`` (a map, or
its JSON text, of parameter name to a value or a list of values).

The document is rendered by the server when the command is sent and travels in the
invocation (``documents.nested``); ``RunContext.resolve_document`` hands it over, so its
``{{ssm:}}`` references and parameter checks are the server's, and its steps run here
with the same sequencing as any plan, their output in this step's. Documents may nest
``MAX_DEPTH`` deep, which also ends a document that runs itself. A nested script may not
ask for a reboot (AWS's agent refuses it too).
"""

from __future__ import annotations

from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.run.outcome import StepStatus
from openssm.documents.nested import MAX_DEPTH, parse_document_path, wire_parameters
from openssm.documents.plan import RenderedStep
from openssm.errors import OpenSSMError
from openssm.statuses import InvocationStatus

_STEP_STATUS = {
    InvocationStatus.SUCCESS: StepStatus.SUCCESS,
    InvocationStatus.FAILED: StepStatus.FAILED,
    InvocationStatus.TIMED_OUT: StepStatus.TIMED_OUT,
    InvocationStatus.CANCELLED: StepStatus.CANCELLED,
}


async def run_document(step: RenderedStep, env: StepEnv) -> PluginResult:
    inputs = step.inputs
    document_type = inputs.get("documentType", "SSMDocument")
    if document_type != "SSMDocument":
        return await env.fail(
            f"documentType {document_type} is not supported: openssm's agent runs stored "
            "documents (documentType SSMDocument); LocalPath needs aws:downloadContent, "
            "which it does not have yet"
        )
    path = inputs.get("documentPath")
    if not isinstance(path, str) or not path:
        return await env.fail("documentPath must name the document to run")
    parameters = wire_parameters(inputs.get("documentParameters"))
    if parameters is None:
        return await env.fail("documentParameters must be a map of parameter names to values")
    if env.depth + 1 > MAX_DEPTH:
        return await env.fail(
            f"aws:runDocument may nest documents {MAX_DEPTH} deep; {path} would be deeper"
        )
    name, version = parse_document_path(path)
    try:
        document = await env.context.resolve_document(name, version, parameters)
    except (LookupError, OpenSSMError) as exc:
        return await env.fail(f"cannot run document {path}: {exc}")
    if not document.plan.steps:
        return await env.fail(f"document {path} has no steps to run")
    outcome = await env.run_nested(document, env)
    status = _STEP_STATUS[outcome.status]
    return PluginResult(
        status=status,
        response_code=outcome.response_code,
        message="" if status is StepStatus.SUCCESS else f"document {path} ended {outcome.status}",
        nested_stdout_bytes=sum(s.stdout_bytes for s in outcome.steps),
        nested_stderr_bytes=sum(s.stderr_bytes for s in outcome.steps),
    )
