"""``render``: the one place a document and its parameter values become concrete steps.

Run Command, State Manager and maintenance windows all call ``render`` and hand
``RenderedDocument.agent`` to the agent. The steps are computed twice:

- ``display``: what may be stored, listed and echoed. ``{{ssm:…}}`` references
  are resolved; ``{{ssm-secure:…}}`` references stay as their literal text.
- ``agent``: the same with ``{{ssm-secure:…}}`` resolved. It never goes into
  repr() and must only travel to the agent (encrypted channel) and not be
  stored in clear.

Order of work, each a single pass (SECURITY item 13):

1. defaults fill in missing values; unknown or missing required names raise;
2. references inside the values are resolved;
3. values are typed and checked against the definitions (on the agent form,
   so constraints see the real text; messages never quote values);
4. placeholders in the document's steps or session are replaced: ``{{ name }}``
   by the values and ``{{ssm:…}}`` written in the document itself by Parameter
   Store. Text that came from a value is never scanned again.

A parameter precondition (``StringEquals: ["{{ os }}", "ubuntu"]``) is decided
here, from the agent-form value; a platformType precondition is left to the
agent, which knows its platform.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from openssm.documents.errors import DocumentContentError, DocumentParameterError
from openssm.documents.parameters import (
    ParameterDef,
    ParameterType,
    ParamValue,
    check_value,
    coerce_value,
    with_defaults,
)
from openssm.documents.placeholders import (
    Reference,
    ReferenceTable,
    Resolver,
    as_text,
    find_parameter_references,
    interpolate,
    resolve_references,
)
from openssm.documents.plan import Plan, RenderedStep
from openssm.documents.schema import Document
from openssm.documents.sessions import parse_session
from openssm.documents.steps import Step
from openssm.documents.values import SessionSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedDocument:
    display: Plan
    agent: Plan = field(repr=False)
    parameters: dict[str, ParamValue] = field(default_factory=dict)
    has_secure_references: bool = False


def render(
    document: Document,
    parameters: Mapping[str, Sequence[str]],
    resolver: Resolver,
    *,
    secure_resolver: Resolver,
) -> RenderedDocument:
    """Concrete steps for ``document`` run with wire-shaped ``parameters``.

    ``resolver`` looks up ``{{ssm:…}}`` names and ``secure_resolver`` ``{{ssm-secure:…}}``
    names in Parameter Store, each returning None when the parameter does not exist.
    Raises DocumentParameterError.
    """
    resolve_plain = _memo(resolver)
    defs = {d.name: d for d in document.parameters}
    wire = with_defaults(defs.values(), parameters)
    display_wire = resolve_references(wire, resolve_plain)
    agent_wire = resolve_references(wire, resolve_plain, secure_resolver=secure_resolver)
    agent_values = {
        name: check_value(defs[name], coerce_value(defs[name], items))
        for name, items in agent_wire.items()
    }
    display_values = {
        name: value
        if display_wire[name] == agent_wire[name]
        else _display_value(defs[name], display_wire[name])
        for name, value in agent_values.items()
    }
    display = _plan(document, display_values, agent_values, ReferenceTable(resolve_plain, None))
    agent = _plan(
        document, agent_values, agent_values, ReferenceTable(resolve_plain, secure_resolver)
    )
    if agent.session is not None:
        _check_session(agent.session)
    references = find_parameter_references(wire) | document_references(document)
    return RenderedDocument(
        display=display,
        agent=agent,
        parameters=display_values,
        has_secure_references=any(ref.is_secure for ref in references),
    )


def document_references(document: Document) -> set[Reference]:
    """Parameter Store references written in the document's steps or session."""
    parts: list[object] = [[step.inputs, step.settings] for step in document.steps]
    if document.session is not None:
        parts += [document.session.inputs, document.session.properties]
    return find_parameter_references(parts)


def _plan(
    document: Document,
    values: Mapping[str, ParamValue],
    real_values: Mapping[str, ParamValue],
    references: ReferenceTable,
) -> Plan:
    steps = tuple(_render_step(step, values, real_values, references) for step in document.steps)
    session = None
    if document.session is not None:
        spec = document.session
        session = SessionSpec(
            session_type=spec.session_type,
            inputs=interpolate(spec.inputs, values, references=references, path="inputs"),
            properties=interpolate(
                spec.properties, values, references=references, path="properties"
            ),
        )
    return Plan(
        document_type=document.document_type,
        schema_version=document.schema_version,
        steps=steps,
        session=session,
    )


def _render_step(
    step: Step,
    values: Mapping[str, ParamValue],
    real_values: Mapping[str, ParamValue],
    references: ReferenceTable,
) -> RenderedStep:
    condition = step.precondition
    met = True
    if condition is not None and condition.parameter is not None:
        met = as_text(real_values[condition.parameter]) == condition.expected
    return RenderedStep(
        name=step.name,
        action=step.action,
        plugin_id=step.plugin_id,
        inputs=interpolate(step.inputs, values, references=references, path=f"{step.path}.inputs"),
        precondition=condition,
        precondition_met=met,
        on_failure=step.on_failure,
        exit_on_success=step.exit_on_success,
        is_finally=step.is_finally,
        max_attempts=step.max_attempts,
        timeout_s=step.timeout_s,
        is_critical=step.is_critical,
        is_end=step.is_end,
        settings=interpolate(
            step.settings, values, references=references, path=f"{step.path}.settings"
        ),
    )


def _display_value(defn: ParameterDef, items: list[str]) -> ParamValue:
    # The value still holds {{ssm-secure:…}} text, which need not have the parameter's type.
    if defn.type is ParameterType.STRING_LIST:
        return list(items)
    return items[0] if len(items) == 1 else list(items)


def _check_session(spec: SessionSpec) -> None:
    data = {
        "sessionType": spec.session_type.value,
        "inputs": spec.inputs,
        "properties": spec.properties,
    }
    try:
        parse_session(data)
    except DocumentContentError as exc:
        raise DocumentParameterError(f"after substitution, {exc.detail}", path=exc.path) from None


def _memo(resolver: Resolver) -> Resolver:
    seen: dict[str, str | None] = {}

    def lookup(name: str) -> str | None:
        if name not in seen:
            seen[name] = resolver(name)
        return seen[name]

    return lookup
