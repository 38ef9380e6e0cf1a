"""Amazon's built-in documents, served from memory in every account and region.

The catalog (``openssm.documents.catalog``) is package data that never changes while the server
runs, so it is read and validated once per process and shared by every request; it is never
copied into an account's tables. Each built-in document has exactly one version, ``1``, which is
both its default and its latest, and the Owner ``Amazon``. Its ARN has no account id:
``arn:aws:ssm:<region>::document/<name>``, as AWS writes the ARNs of its own documents.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from openssm import arns
from openssm.documents.catalog import CatalogDocument, load_catalog
from openssm.documents.names import is_reserved_name
from openssm.documents.schema import Document, load_document
from openssm.server.context import RequestContext
from openssm.server.services.documents.records import AMAZON, DocumentRecord, Summary, summarize

# A fixed CreatedDate, so built-in documents look the same on every server and restart.
CREATED_AT = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def amazon_arn(region: str, name: str) -> str:
    return arns.ssm_arn(region, "", f"document/{name}")


def document_arn(ctx: RequestContext, name: str) -> str:
    """The ARN IAM checks for a document named in a request: as given when an ARN, Amazon's
    for a reserved name, the caller's own otherwise."""
    if name.startswith("arn:"):
        return name
    if is_reserved_name(name):
        return amazon_arn(ctx.region, name)
    return arns.document_arn(ctx.region, ctx.account_id, name)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltinDocument:
    source: CatalogDocument
    document: Document
    summary: Summary

    @property
    def name(self) -> str:
        return self.source.name

    def record(self, region: str) -> DocumentRecord:
        source = self.source
        return DocumentRecord(
            name=source.name,
            plain_name=source.name,
            arn=amazon_arn(region, source.name),
            owner=AMAZON,
            document_type=source.document_type.value,
            version=1,
            version_name=None,
            display_name=None,
            content=source.content,
            document_format=source.document_format.value,
            hash=source.hash,
            target_type=source.target_type,
            summary=self.summary,
            created_at=CREATED_AT,
            default_version=1,
            latest_version=1,
            is_own=False,
        )


@dataclass(frozen=True, slots=True)
class Catalog:
    by_name: dict[str, BuiltinDocument]

    def get(self, name: str) -> BuiltinDocument | None:
        return self.by_name.get(name)

    def __iter__(self) -> Iterator[BuiltinDocument]:
        return iter(self.by_name.values())


@functools.cache
def builtin_catalog() -> Catalog:
    """The built-in documents, parsed once (a broken catalog file fails the first request)."""
    entries: dict[str, BuiltinDocument] = {}
    for source in load_catalog():
        document = load_document(source.content, source.document_format, source.document_type)
        entries[source.name] = BuiltinDocument(
            source=source, document=document, summary=summarize(document)
        )
    return Catalog(by_name=entries)
