"""Document changes: CreateDocument, UpdateDocument, UpdateDocumentDefaultVersion, DeleteDocument.

Every version is a row that is never rewritten; UpdateDocument adds one and the default version
is a pointer that only UpdateDocumentDefaultVersion moves. Version numbers are never reused:
after deleting the latest version the next update still gets a new number. Content is stored
exactly as submitted, and its Sha256 is the ``Hash`` AWS reports, so a ``DocumentHash`` given to
SendCommand can be checked against it.

Decisions where AWS is silent:

- DocumentType defaults to Command. openssm stores and runs Command, Policy and Session
  documents; any other type is refused with ValidationException naming the supported ones.
- DocumentFormat defaults to JSON on both Create and Update, as AWS documents. When JSON parsing
  fails and no format was given, the message says so, since YAML content is the usual cause.
- UpdateDocument without DocumentVersion means ``$LATEST``. DisplayName and TargetType carry over
  from the latest version when the update leaves them out; VersionName never does (it is unique).
- DeleteDocument refuses while the document is shared (unshare it first), and refuses to delete
  the default version on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from openssm.documents.content import document_hash
from openssm.documents.errors import DocumentContentError, DocumentError
from openssm.documents.names import is_reserved_name
from openssm.documents.schema import Document, load_document
from openssm.errors import (
    DocumentAlreadyExists,
    DocumentLimitExceeded,
    DocumentVersionLimitExceeded,
    DuplicateDocumentContent,
    DuplicateDocumentVersionName,
    InvalidDocumentContent,
    InvalidDocumentOperation,
    InvalidDocumentVersion,
    MaxDocumentSizeExceeded,
    ValidationException,
)
from openssm.server.context import RequestContext
from openssm.server.services import tags
from openssm.server.services.documents import reads as docs
from openssm.server.services.documents import records
from openssm.server.services.documents.records import RESOURCE_TYPE
from openssm.server.store.documents import repo

MAX_CONTENT_BYTES = 64 * 1024
MAX_DOCUMENTS = 500
MAX_VERSIONS = 1000
SUPPORTED_TYPES = ("Command", "Policy", "Session")
DEFAULT_TYPE = "Command"
DEFAULT_FORMAT = "JSON"


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateInput:
    name: str
    content: str = field(repr=False)
    document_type: str | None = None
    document_format: str | None = None
    version_name: str | None = None
    display_name: str | None = None
    target_type: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    has_attachments: bool = False
    has_requires: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateInput:
    name: str
    content: str = field(repr=False)
    document_version: str | None = None
    document_format: str | None = None
    version_name: str | None = None
    display_name: str | None = None
    target_type: str | None = None
    has_attachments: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DefaultVersion:
    name: str
    default_version: int
    default_version_name: str | None


def check_new_name(name: str) -> None:
    """CreateDocument's name rules beyond the model's pattern: AWS's reserved prefixes."""
    if is_reserved_name(name):
        raise ValidationException(
            f"Document name {name} is not valid: names that begin with aws, amazon or amzn "
            "(in any letter case) are reserved for documents that Amazon owns."
        )


def validate_content(
    content: str, document_format: str | None, document_type: str
) -> tuple[Document, str]:
    """Size, format and schema checks of submitted Content; returns (document, format)."""
    size = len(content.encode("utf-8"))  # the request's validation refused lone surrogates
    if size > MAX_CONTENT_BYTES:
        raise MaxDocumentSizeExceeded(
            f"The content is {size} bytes; a document can be at most {MAX_CONTENT_BYTES} bytes."
        )
    fmt = document_format or DEFAULT_FORMAT
    try:
        return load_document(content, fmt, document_type), fmt
    except DocumentContentError as exc:
        if document_format is None and exc.detail.startswith("JSON not well-formed"):
            raise InvalidDocumentContent(
                f"{exc.message}. DocumentFormat defaults to JSON; "
                "send DocumentFormat YAML for YAML content."
            ) from None
        raise records.api_error(exc) from None
    except DocumentError as exc:
        raise records.api_error(exc) from None


def _check_attachments(has_attachments: bool, has_requires: bool) -> None:
    if has_attachments:
        raise ValidationException(
            "openssm does not store document attachments; Attachments apply to Automation "
            "and Package documents, which openssm does not support."
        )
    if has_requires:
        raise ValidationException(
            "openssm does not support Requires; it applies to ApplicationConfiguration "
            "documents, which openssm does not support."
        )


def _new_version(
    ctx: RequestContext,
    *,
    content: str,
    document_format: str,
    document: Document,
    version_name: str | None,
    display_name: str | None,
    target_type: str | None,
) -> repo.NewVersion:
    summary = records.summarize(document)
    return repo.NewVersion(
        version_name=version_name,
        display_name=display_name,
        content=content,
        document_format=document_format,
        hash=document_hash(content),
        target_type=target_type,
        schema_version=summary.schema_version,
        platform_types=summary.platform_types,
        description=summary.description,
        parameters=records.parameters_to_json(summary.parameters),
        created_at=ctx.now,
    )


def create_document(
    conn: Connection,
    ctx: RequestContext,
    request: CreateInput,
    *,
    max_documents: int = MAX_DOCUMENTS,
) -> docs.Described:
    """CreateDocument: version 1, which is both default and latest."""
    check_new_name(request.name)
    _check_attachments(request.has_attachments, request.has_requires)
    document_type = request.document_type or DEFAULT_TYPE
    if document_type not in SUPPORTED_TYPES:
        raise ValidationException(
            f"DocumentType {document_type} is not supported by openssm; "
            f"use one of {', '.join(SUPPORTED_TYPES)}."
        )
    existing = repo.get_document(
        conn, account_id=ctx.account_id, region=ctx.region, name=request.name, for_update=True
    )
    if existing is not None:
        raise DocumentAlreadyExists(f"Document with name {request.name} already exists.")
    document, fmt = validate_content(request.content, request.document_format, document_type)
    if repo.count_documents(conn, account_id=ctx.account_id, region=ctx.region) >= max_documents:
        raise DocumentLimitExceeded(
            f"You have reached the limit of {max_documents} documents in this account and "
            "Region. Delete one or more documents and try again."
        )
    document_id = repo.insert_document(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        name=request.name,
        document_type=document_type,
        created_at=ctx.now,
    )
    repo.insert_version(
        conn,
        document_id=document_id,
        version=1,
        new=_new_version(
            ctx,
            content=request.content,
            document_format=fmt,
            document=document,
            version_name=request.version_name,
            display_name=request.display_name,
            target_type=request.target_type,
        ),
    )
    if request.tags:
        tags.set_initial_tags(
            conn, ctx, resource_type=RESOURCE_TYPE, resource_id=request.name, tags=request.tags
        )
    return docs.describe_document(conn, ctx, request.name, document_version="1")


def update_document(
    conn: Connection,
    ctx: RequestContext,
    request: UpdateInput,
    *,
    max_versions: int = MAX_VERSIONS,
) -> docs.Described:
    """UpdateDocument: a new version after the latest; the default version stays where it is."""
    _check_attachments(request.has_attachments, False)
    located = docs.locate_own(conn, ctx, request.name, action="update")
    row = located.row
    assert row is not None
    wanted = docs.version_number(
        conn, located, document_version=request.document_version or docs.LATEST, version_name=None
    )
    if wanted != row.latest_version:
        raise InvalidDocumentVersion(
            f"Only the latest version of {request.name} can be updated; the latest version is "
            f"{row.latest_version}, not {wanted}. Pass $LATEST or {row.latest_version}."
        )
    latest = repo.get_version(conn, document_id=row.id, version=row.latest_version)
    assert latest is not None
    document, fmt = validate_content(request.content, request.document_format, row.document_type)
    if document_hash(request.content) == latest.hash:
        raise DuplicateDocumentContent(
            f"The content matches version {latest.version} of {request.name}, the latest "
            "version. Change the content and try again."
        )
    if request.version_name is not None and (
        repo.find_version_name(conn, document_id=row.id, version_name=request.version_name)
        is not None
    ):
        raise DuplicateDocumentVersionName(
            f"Document {request.name} already has a version named {request.version_name}. "
            "Choose another VersionName."
        )
    if repo.count_versions(conn, document_id=row.id) >= max_versions:
        raise DocumentVersionLimitExceeded(
            f"Document {request.name} has reached the limit of {max_versions} versions. "
            "Delete old versions and try again."
        )
    version = row.last_version + 1
    repo.insert_version(
        conn,
        document_id=row.id,
        version=version,
        new=_new_version(
            ctx,
            content=request.content,
            document_format=fmt,
            document=document,
            version_name=request.version_name,
            display_name=_keep(request.display_name, latest.display_name),
            target_type=_keep(request.target_type, latest.target_type),
        ),
    )
    repo.update_document(conn, document_id=row.id, last_version=version)
    return docs.describe_document(conn, ctx, request.name, document_version=str(version))


def _keep(given: str | None, previous: str | None) -> str | None:
    return previous if given is None else given


def update_default_version(
    conn: Connection, ctx: RequestContext, name: str, document_version: str
) -> DefaultVersion:
    """UpdateDocumentDefaultVersion: point the default at an existing version."""
    located = docs.locate_own(conn, ctx, name, action="change the default version of")
    row = located.row
    assert row is not None
    number = docs.version_number(
        conn, located, document_version=document_version, version_name=None
    )
    found = repo.get_version(conn, document_id=row.id, version=number)
    if found is None:
        raise docs.version_not_found(name, number)
    repo.update_document(conn, document_id=row.id, default_version=number)
    return DefaultVersion(
        name=name, default_version=number, default_version_name=found.version_name
    )


def delete_document(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    document_version: str | None = None,
    version_name: str | None = None,
) -> None:
    """DeleteDocument: every version, or the one DocumentVersion / VersionName names."""
    located = docs.locate_own(conn, ctx, name, action="delete")
    row = located.row
    assert row is not None
    if document_version is None and version_name is None:
        if repo.list_permissions(conn, document_id=row.id):
            raise InvalidDocumentOperation(
                f"Document {name} is shared with other accounts. Stop sharing it with "
                "ModifyDocumentPermission before you delete it."
            )
        repo.delete_document(conn, document_id=row.id)
        tags.drop_all_tags(conn, ctx, resource_type=RESOURCE_TYPE, resource_id=name)
        return
    number = docs.version_number(
        conn, located, document_version=document_version, version_name=version_name
    )
    if repo.get_version(conn, document_id=row.id, version=number) is None:
        raise docs.version_not_found(name, number)
    if number == row.default_version:
        raise InvalidDocumentOperation(
            f"Version {number} is the default version of {name} and can't be deleted on its "
            "own. Make another version the default, or delete the whole document."
        )
    repo.delete_version(conn, document_id=row.id, version=number)
