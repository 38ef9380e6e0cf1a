"""What the document services hand to callers: one version of a document, as a reader sees it.

A ``DocumentRecord`` looks the same whether the document is Amazon's (built in, in memory), the
caller's own, or another account's shared with the caller. This module also holds the summary
derived from a parsed document when a version is written (parameters, platforms, schema version),
and the mapping from the document core's errors to AWS error codes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from openssm.documents.errors import (
    DocumentContentError,
    DocumentError,
    DocumentParameterError,
    DocumentSchemaVersionError,
)
from openssm.documents.schema import Document
from openssm.errors import (
    ApiError,
    InvalidDocumentContent,
    InvalidDocumentSchemaVersion,
    InvalidParameters,
)

AMAZON = "Amazon"
STATUS_ACTIVE = "Active"
RESOURCE_TYPE = "Document"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterInfo:
    """A document parameter as DescribeDocument reports it (``DocumentParameter``)."""

    name: str
    type: str
    description: str
    default_value: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Facts derived from a parsed document, stored beside each version."""

    schema_version: str
    platform_types: tuple[str, ...]
    description: str
    parameters: tuple[ParameterInfo, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentRecord:
    """One version of a document as the reader sees it.

    ``name`` is what the reader calls it: the plain name for their own and Amazon's documents,
    the document ARN for a document another account shares with them.
    """

    name: str
    plain_name: str
    arn: str
    owner: str
    document_type: str
    version: int
    version_name: str | None
    display_name: str | None
    content: str = field(repr=False)
    document_format: str
    hash: str
    target_type: str | None
    summary: Summary
    created_at: dt.datetime
    default_version: int
    latest_version: int
    is_own: bool

    @property
    def is_amazon(self) -> bool:
        return self.owner == AMAZON


def summarize(document: Document) -> Summary:
    return Summary(
        schema_version=document.schema_version,
        platform_types=tuple(p.value for p in document.platform_types),
        description=document.description,
        parameters=tuple(
            ParameterInfo(
                name=p.name,
                type=p.wire_type,
                description=p.description,
                default_value=p.default_text,
            )
            for p in document.parameters
        ),
    )


def parameters_to_json(parameters: tuple[ParameterInfo, ...]) -> str:
    return json.dumps(
        [
            {
                "Name": p.name,
                "Type": p.type,
                "Description": p.description,
                "Default": p.default_value,
            }
            for p in parameters
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def parameters_from_json(text: str) -> tuple[ParameterInfo, ...]:
    return tuple(
        ParameterInfo(
            name=item["Name"],
            type=item["Type"],
            description=item["Description"],
            default_value=item["Default"],
        )
        for item in json.loads(text)
    )


def api_error(exc: DocumentError) -> ApiError:
    """The wire error for a fault the document core found (its message names the path)."""
    if isinstance(exc, DocumentSchemaVersionError):
        return InvalidDocumentSchemaVersion(exc.message)
    if isinstance(exc, DocumentParameterError):
        return InvalidParameters(exc.message)
    if isinstance(exc, DocumentContentError):
        return InvalidDocumentContent(exc.message)
    return InvalidDocumentContent(exc.message)
