"""A parsed SSM document: its type, schema version, parameters and steps.

``parse_document`` validates parsed Content (see ``content.py``) for the three
document types openssm runs, and raises on the first fault with its path:

- Command, schemaVersion 1.2, 2.0 and 2.2: steps, see ``steps.py``. In 2.2 a
  step whose platform does not match the node is skipped, so the document's
  platforms are the union over its steps; 1.2 and 2.0 fail on a foreign
  platform, so theirs are the intersection.
- Policy, schemaVersion 2.0 and 2.2: as Command. AWS-GatherSoftwareInventory is
  one; AWS only lets associations run Policy documents.
- Session, schemaVersion 1.0: see ``sessions.py``.

Unknown top-level members are refused (``runtimeConfig`` in a 2.2 document,
a misspelt ``mainStep``). A missing schemaVersion is InvalidDocumentContent; one
the document type does not support is InvalidDocumentSchemaVersion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openssm.documents.actions import ALL_PLATFORMS, PlatformType, ordered_platforms
from openssm.documents.content import DocumentFormat, parse_content
from openssm.documents.errors import DocumentContentError, DocumentSchemaVersionError
from openssm.documents.kinds import DocumentType
from openssm.documents.parameter_defs import parse_parameter_defs
from openssm.documents.parameters import ALL_TYPES, BASIC_TYPES, ParameterDef
from openssm.documents.sessions import parse_session
from openssm.documents.steps import Step, parse_main_steps, parse_runtime_config
from openssm.documents.values import SessionSpec

SCHEMA_VERSIONS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.COMMAND: ("1.2", "2.0", "2.2"),
    DocumentType.POLICY: ("2.0", "2.2"),
    DocumentType.SESSION: ("1.0",),
}
_TOP_LEVEL = {
    "1.2": {"schemaVersion", "description", "parameters", "runtimeConfig"},
    "2.0": {"schemaVersion", "description", "parameters", "mainSteps"},
    "2.2": {"schemaVersion", "description", "parameters", "mainSteps"},
    "1.0": {
        "schemaVersion",
        "description",
        "sessionType",
        "inputs",
        "parameters",
        "properties",
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    document_type: DocumentType
    schema_version: str
    description: str = ""
    parameters: tuple[ParameterDef, ...] = ()
    steps: tuple[Step, ...] = ()
    session: SessionSpec | None = None
    platform_types: tuple[PlatformType, ...] = ()

    def parameter(self, name: str) -> ParameterDef | None:
        return next((p for p in self.parameters if p.name == name), None)


def load_document(
    content: str,
    document_format: DocumentFormat | str,
    document_type: DocumentType | str = DocumentType.COMMAND,
) -> Document:
    """Content text → validated Document (CreateDocument, UpdateDocument, the agent)."""
    return parse_document(parse_content(content, document_format), document_type)


def parse_document(data: dict[str, Any], document_type: DocumentType | str) -> Document:
    """Validated Document from parsed Content, or DocumentContentError / SchemaVersionError."""
    try:
        doc_type = DocumentType(document_type)
    except ValueError:
        raise DocumentContentError(
            f"DocumentType {document_type!r} is not supported; use Command, Policy or Session"
        ) from None
    version = _schema_version(data, doc_type)
    for key in data:
        if key not in _TOP_LEVEL[version]:
            raise DocumentContentError(
                f"'{key}' is not allowed in a schemaVersion {version} {doc_type.value} document",
                path=key,
            )
    description = data.get("description", "")
    if not isinstance(description, str):
        raise DocumentContentError("description must be a string", path="description")
    types = ALL_TYPES if version in ("2.0", "2.2") else BASIC_TYPES
    parameters = parse_parameter_defs(data.get("parameters"), allowed_types=types)
    if doc_type is DocumentType.SESSION:
        session = parse_session(data)
        platforms = session.platforms
        steps: tuple[Step, ...] = ()
    else:
        session = None
        if version == "1.2":
            steps = parse_runtime_config(data.get("runtimeConfig"))
        else:
            steps = parse_main_steps(data.get("mainSteps"), version, parameters)
        platforms = _document_platforms(steps, version)
    return Document(
        document_type=doc_type,
        schema_version=version,
        description=description,
        parameters=parameters,
        steps=steps,
        session=session,
        platform_types=ordered_platforms(platforms),
    )


def _schema_version(data: dict[str, Any], doc_type: DocumentType) -> str:
    raw = data.get("schemaVersion")
    if raw is None:
        raise DocumentContentError("schemaVersion is required", path="schemaVersion")
    # An unquoted YAML 2.2 arrives as a float; its text is still the version meant.
    version = str(raw) if isinstance(raw, float | int) and not isinstance(raw, bool) else raw
    supported = SCHEMA_VERSIONS[doc_type]
    if version not in supported:
        raise DocumentSchemaVersionError(
            f"schemaVersion {raw!r} is not supported for {doc_type.value} documents "
            f"(supported: {', '.join(supported)})",
            path="schemaVersion",
        )
    return str(version)


def _document_platforms(steps: tuple[Step, ...], version: str) -> frozenset[PlatformType]:
    sets = [step.platforms for step in steps]
    if not sets:
        return frozenset()
    if version == "2.2":
        return frozenset().union(*sets)
    return frozenset(ALL_PLATFORMS).intersection(*sets)
