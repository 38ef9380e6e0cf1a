"""aws:runDocument steps: the documents they run, rendered when the command is sent.

Each is resolved and rendered exactly as SendCommand renders the command's own document
(the caller's access, Parameter Store references, parameter checks), to ``MAX_DEPTH``, and
travels sealed with the plan. A document that does not exist fails SendCommand at once
(InvalidDocument) instead of failing later on every node.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from openssm.documents.nested import (
    MAX_DEPTH,
    RUN_DOCUMENT,
    NestedDocument,
    parse_document_path,
    wire_parameters,
)
from openssm.documents.plan import Plan
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services.documents import reads as document_reads
from openssm.server.services.documents import rendering


def resolve_nested(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    plan: Plan,
    check_access: rendering.AccessCheck,
    *,
    depth: int = 1,
) -> list[NestedDocument]:
    """The documents ``plan``'s aws:runDocument steps run, and theirs, rendered."""
    found: list[NestedDocument] = []
    if depth > MAX_DEPTH:
        return found  # the agent fails the step that would nest deeper, by name
    for step in plan.steps:
        if step.action != RUN_DOCUMENT:
            continue
        path = step.inputs.get("documentPath")
        parameters = wire_parameters(step.inputs.get("documentParameters"))
        if step.inputs.get("documentType", "SSMDocument") != "SSMDocument":
            continue  # the agent says what it does not support
        if not isinstance(path, str) or not path or parameters is None:
            continue  # the agent fails the step with the reason
        name, version = parse_document_path(path)
        _, document = document_reads.resolve_for_execution(conn, ctx, name, version)
        secrets: list[str] = []
        rendered = rendering.render_for_execution(
            conn,
            ctx,
            keyring,
            document,
            parameters,
            check_access=check_access,
            secure_values=secrets,
        )
        found.append(
            NestedDocument(
                name=name,
                version=version,
                parameters=parameters,
                plan=rendered.agent,
                secrets=tuple(dict.fromkeys(secrets)),
            )
        )
        found += resolve_nested(conn, ctx, keyring, rendered.agent, check_access, depth=depth + 1)
    return found
