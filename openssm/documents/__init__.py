"""SSM documents, shared by the server (validation, SendCommand) and the agent (execution).

Pure and I/O-free: no sockets, no database, no Parameter Store. Callers pass a
resolver for ``{{ssm:…}}`` references. Nothing here imports the server, the
agent or the CLI.

    content.py         Content text ⇄ dict (JSON, YAML), the Sha256 hash
    schema.py          Document: type, schemaVersion, parameters, steps or session
    steps.py           mainSteps / runtimeConfig steps, preconditions
    sessions.py        Session document body (sessionType, inputs, properties)
    actions.py         plugin actions and the platforms they run on
    parameters.py      ParameterDef, typing and checking supplied values
    parameter_defs.py  parsing a document's ``parameters`` block
    patterns.py        refusing allowedPattern regexes that backtrack exponentially
    placeholders.py    ``{{ name }}``, ``{{ssm:…}}``, ``{{ssm-secure:…}}`` substitution
    plan.py            render(): document + values → the steps an agent runs
    names.py           document/step name rules, reserved prefixes
    catalog/           the built-in AWS-* documents
    errors.py          DocumentContentError, DocumentSchemaVersionError, DocumentParameterError
"""

from openssm.documents.actions import PlatformType
from openssm.documents.content import (
    HASH_TYPE,
    DocumentFormat,
    convert_content,
    document_hash,
    parse_content,
    serialize_content,
)
from openssm.documents.errors import (
    DocumentContentError,
    DocumentError,
    DocumentParameterError,
    DocumentSchemaVersionError,
)
from openssm.documents.names import is_reserved_name, is_valid_document_name
from openssm.documents.parameters import (
    ParameterDef,
    ParameterType,
    ParamValue,
    validate_parameters,
)
from openssm.documents.placeholders import (
    Reference,
    Resolver,
    find_parameter_references,
    interpolate,
    resolve_references,
)
from openssm.documents.plan import (
    Plan,
    RenderedDocument,
    RenderedStep,
    plan_from_dict,
    plan_to_dict,
    render,
)
from openssm.documents.schema import Document, DocumentType, load_document, parse_document
from openssm.documents.sessions import SessionSpec, SessionType
from openssm.documents.steps import OnFailure, Precondition, Step

__all__ = [
    "HASH_TYPE",
    "Document",
    "DocumentContentError",
    "DocumentError",
    "DocumentFormat",
    "DocumentParameterError",
    "DocumentSchemaVersionError",
    "DocumentType",
    "OnFailure",
    "ParamValue",
    "ParameterDef",
    "ParameterType",
    "Plan",
    "PlatformType",
    "Precondition",
    "Reference",
    "RenderedDocument",
    "RenderedStep",
    "Resolver",
    "SessionSpec",
    "SessionType",
    "Step",
    "convert_content",
    "document_hash",
    "find_parameter_references",
    "interpolate",
    "is_reserved_name",
    "is_valid_document_name",
    "load_document",
    "parse_content",
    "parse_document",
    "plan_from_dict",
    "plan_to_dict",
    "render",
    "resolve_references",
    "serialize_content",
    "validate_parameters",
]
