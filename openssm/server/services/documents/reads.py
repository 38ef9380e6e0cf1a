"""Finding documents and their versions: GetDocument, DescribeDocument, and the one entry point
later capabilities use to run a document (``resolve_for_execution``).

A name resolves, for the caller's account and region, in this order:

1. the caller's own document of that name;
2. Amazon's built-in document of that name (``document_catalog``).

An account may own ``SSM-SessionManagerRunShell`` (Session Manager preferences live in each
account on AWS; the name is not reserved), and its copy then shadows the built-in one everywhere
in that account: Get, Describe, List and StartSession see the account's copy. Deleting it brings
the built-in default back. Every other built-in name begins with a reserved prefix, so no account
can shadow it.

A document ARN names one owner: ``arn:aws:ssm:<region>::document/<name>`` is Amazon's,
``…:<own account>:document/<name>`` the caller's (as a plain name would), and another account's
ARN works only when that account shared the document with the caller's account or with ``all``
(``document_permissions``); otherwise the caller gets InvalidDocument, worded the same whether the
document exists or not.

Changes (Create, Update, Delete, the default version) live in ``document_writes``; listings in
``document_listing``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.documents.content import convert_content
from openssm.documents.errors import DocumentError
from openssm.documents.schema import Document, load_document
from openssm.errors import (
    InvalidDocument,
    InvalidDocumentOperation,
    InvalidDocumentVersion,
    ValidationException,
)
from openssm.server.context import RequestContext
from openssm.server.services.documents import records
from openssm.server.services.documents.catalog import BuiltinDocument, builtin_catalog
from openssm.server.services.documents.records import AMAZON, RESOURCE_TYPE, DocumentRecord, Summary
from openssm.server.store import tags as tags_repo
from openssm.server.store.documents import repo

LATEST = "$LATEST"
DEFAULT = "$DEFAULT"
ALL = "$ALL"
# Version numbers are 64-bit in the store; a wider number names no version and must not reach
# the database driver, which would overflow.
MAX_VERSION_NUMBER = 2**63 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """A document the caller may read, before a version is chosen."""

    plain_name: str
    shown_name: str
    owner: str
    arn: str
    row: repo.DocumentRow | None = None
    builtin: BuiltinDocument | None = None
    # For another account's document: the SharedDocumentVersion the caller was given.
    shared_version: str | None = None

    @property
    def is_own(self) -> bool:
        return self.row is not None and self.shared_version is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Described:
    record: DocumentRecord
    tags: dict[str, str]


def not_found(name: str) -> InvalidDocument:
    return InvalidDocument(f"Document with name {name} does not exist.")


def not_shared(arn: str) -> InvalidDocument:
    return InvalidDocument(f"Document {arn} does not exist or is not shared with your account.")


def version_not_found(name: str, version: int | str) -> InvalidDocumentVersion:
    return InvalidDocumentVersion(f"Version {version} of document {name} does not exist.")


def amazon_owned(name: str, action: str) -> InvalidDocumentOperation:
    return InvalidDocumentOperation(
        f"{name} is a document that Amazon owns; you can't {action} it. "
        "Create a document of your own instead."
    )


# --- locating ---------------------------------------------------------------------------------


def locate(
    conn: Connection, ctx: RequestContext, name: str, *, for_update: bool = False
) -> Located:
    """The document ``name`` (a name or document ARN) as the caller may read it."""
    if not name.startswith("arn:"):
        return _by_name(conn, ctx, name, name, for_update=for_update)
    arn = arns.parse(name)
    if (
        arn is None
        or arn.service != "ssm"
        or arn.region != ctx.region
        or arn.partition != ctx.partition
        or not arn.resource.startswith("document/")
    ):
        raise not_shared(name)
    plain = arn.resource[len("document/") :]
    if arn.account == "":
        builtin = builtin_catalog().get(plain)
        if builtin is None:
            raise not_shared(name)
        return _amazon(ctx, builtin)
    if arn.account == ctx.account_id:
        return _by_name(conn, ctx, plain, name, for_update=for_update)
    found = repo.find_shared(
        conn, reader=ctx.account_id, region=ctx.region, owner=arn.account, name=plain
    )
    if not found:
        raise not_shared(name)
    # Shared both with the account and with everyone: the grant naming the account wins.
    best = min(found, key=lambda s: s.permission.shared_with == repo.PUBLIC)
    return Located(
        plain_name=plain,
        shown_name=arns.document_arn(ctx.region, arn.account, plain),
        owner=arn.account,
        arn=arns.document_arn(ctx.region, arn.account, plain),
        row=best.document,
        shared_version=best.permission.shared_version,
    )


def _by_name(
    conn: Connection, ctx: RequestContext, name: str, requested: str, *, for_update: bool
) -> Located:
    row = repo.get_document(
        conn, account_id=ctx.account_id, region=ctx.region, name=name, for_update=for_update
    )
    if row is not None:
        return Located(
            plain_name=name,
            shown_name=name,
            owner=ctx.account_id,
            arn=arns.document_arn(ctx.region, ctx.account_id, name),
            row=row,
        )
    builtin = builtin_catalog().get(name)
    if builtin is None:
        raise not_found(requested)
    return _amazon(ctx, builtin)


def _amazon(ctx: RequestContext, builtin: BuiltinDocument) -> Located:
    return Located(
        plain_name=builtin.name,
        shown_name=builtin.name,
        owner=AMAZON,
        arn=builtin.record(ctx.region).arn,
        builtin=builtin,
    )


def locate_own(conn: Connection, ctx: RequestContext, name: str, *, action: str) -> Located:
    """The caller's own document for a change; Amazon's documents refuse every change."""
    located = locate(conn, ctx, name, for_update=True)
    if located.builtin is not None:
        raise amazon_owned(located.plain_name, action)
    if not located.is_own:
        raise not_found(name)
    return located


# --- versions ---------------------------------------------------------------------------------


def version_number(
    conn: Connection,
    located: Located,
    *,
    document_version: str | None,
    version_name: str | None,
) -> int:
    """The version a request means: DocumentVersion ($LATEST, $DEFAULT, n) and/or VersionName.

    Without either, the default version; for a document shared at ``$LATEST``, the latest.
    """
    name = located.shown_name
    row = located.row
    if row is None:
        if version_name is not None:
            raise InvalidDocumentVersion(f"Document {name} has no version named {version_name}.")
        if document_version not in (None, LATEST, DEFAULT, "1"):
            raise version_not_found(name, document_version or "")
        return 1
    number: int | None = None
    if document_version == LATEST:
        number = row.latest_version
    elif document_version == DEFAULT:
        number = row.default_version
    elif document_version is not None:
        if not document_version.isdigit() or int(document_version) > MAX_VERSION_NUMBER:
            raise version_not_found(name, document_version)
        number = int(document_version)
    if version_name is not None:
        named = repo.find_version_name(conn, document_id=row.id, version_name=version_name)
        if named is None:
            raise InvalidDocumentVersion(f"Document {name} has no version named {version_name}.")
        if number is not None and named != number:
            raise InvalidDocumentVersion(
                f"VersionName {version_name} is version {named} of document {name}, "
                f"not version {number}."
            )
        number = named
    if number is None:
        number = row.latest_version if located.shared_version == LATEST else row.default_version
    shared = located.shared_version
    if (shared == DEFAULT and number != row.default_version) or (
        shared == LATEST and number != row.latest_version
    ):
        raise InvalidDocumentVersion(
            f"Version {number} of document {name} is not shared with your account."
        )
    return number


def record_of(
    conn: Connection, ctx: RequestContext, located: Located, version: int
) -> DocumentRecord:
    if located.builtin is not None:
        return located.builtin.record(ctx.region)
    row = located.row
    assert row is not None
    found = repo.get_version(conn, document_id=row.id, version=version)
    if found is None:
        raise version_not_found(located.shown_name, version)
    return DocumentRecord(
        name=located.shown_name,
        plain_name=located.plain_name,
        arn=located.arn,
        owner=located.owner,
        document_type=row.document_type,
        version=found.version,
        version_name=found.version_name,
        display_name=found.display_name,
        content=found.content,
        document_format=found.document_format,
        hash=found.hash,
        target_type=found.target_type,
        summary=Summary(
            schema_version=found.schema_version,
            platform_types=found.platform_types,
            description=found.description,
            parameters=records.parameters_from_json(found.parameters),
        ),
        created_at=found.created_at,
        default_version=row.default_version,
        latest_version=row.latest_version,
        is_own=located.is_own,
    )


def get_document(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    document_version: str | None = None,
    version_name: str | None = None,
) -> DocumentRecord:
    """GetDocument: one version (the default unless asked otherwise) with its content."""
    located = locate(conn, ctx, name)
    number = version_number(
        conn, located, document_version=document_version, version_name=version_name
    )
    return record_of(conn, ctx, located, number)


def describe_document(
    conn: Connection,
    ctx: RequestContext,
    name: str,
    *,
    document_version: str | None = None,
    version_name: str | None = None,
) -> Described:
    """DescribeDocument: the record plus its tags (only the owner sees a document's tags)."""
    record = get_document(
        conn, ctx, name, document_version=document_version, version_name=version_name
    )
    return Described(record=record, tags=tags_of(conn, ctx, record))


def tags_of(conn: Connection, ctx: RequestContext, record: DocumentRecord) -> dict[str, str]:
    if not record.is_own:
        return {}
    return tags_repo.list_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=RESOURCE_TYPE,
        resource_id=record.plain_name,
    )


def content_as(record: DocumentRecord, document_format: str) -> str:
    """GetDocument's Content in the DocumentFormat asked for (JSON ⇄ YAML; same format as is)."""
    if document_format == record.document_format:
        return record.content
    if document_format == "TEXT":
        raise ValidationException(
            f"Document {record.name} is {record.document_format}; it can be returned as JSON "
            "or YAML, not TEXT."
        )
    try:
        return convert_content(record.content, record.document_format, document_format)
    except DocumentError as exc:
        raise records.api_error(exc) from None


# --- for the capabilities that run documents ------------------------------------------------


def resolve_for_execution(
    conn: Connection,
    ctx: RequestContext,
    name_or_arn: str,
    version: str | None = None,
    *,
    version_name: str | None = None,
) -> tuple[DocumentRecord, Document]:
    """The document version SendCommand, associations and maintenance windows run, parsed.

    ``version`` is a DocumentVersion (``$LATEST``, ``$DEFAULT``, a number) or None for the
    default. Pass the parsed document and the caller's parameters to
    ``document_rendering.render_for_execution``; ``record.hash`` is what a ``DocumentHash``
    must equal. Raises InvalidDocument or InvalidDocumentVersion.
    """
    located = locate(conn, ctx, name_or_arn)
    number = version_number(conn, located, document_version=version, version_name=version_name)
    record = record_of(conn, ctx, located, number)
    if located.builtin is not None:
        return record, located.builtin.document
    return record, parse_record(record)


def parse_record(record: DocumentRecord) -> Document:
    """A stored version, parsed again (it was valid when written)."""
    try:
        return load_document(record.content, record.document_format, record.document_type)
    except DocumentError as exc:
        raise records.api_error(exc) from None


# --- tags -------------------------------------------------------------------------------------


def tag_target(conn: Connection, ctx: RequestContext, resource_id: str) -> str | None:
    """For the tag operations: the stored name of the caller's document ``resource_id`` names.

    Only an account's own documents carry its tags; Amazon's and shared documents are not
    taggable (InvalidResourceId).
    """
    name = resource_id
    if name.startswith("arn:"):
        arn = arns.parse(name)
        if (
            arn is None
            or arn.service != "ssm"
            or arn.region != ctx.region
            or arn.account != ctx.account_id
            or not arn.resource.startswith("document/")
        ):
            return None
        name = arn.resource[len("document/") :]
    row = repo.get_document(conn, account_id=ctx.account_id, region=ctx.region, name=name)
    return None if row is None else row.name
