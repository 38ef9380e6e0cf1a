"""Document operations: Create/Get/Describe/Update/Delete/ListDocument(s), versions, the default
version, and sharing permissions.

Each handler turns the validated request into service arguments, runs the service in one store
transaction, and shapes the result as the SSM model names it. The resource IAM checks is the
document's ARN: the caller's account for a plain name, no account
(``arn:aws:ssm:<region>::document/<name>``) for a reserved name, which only Amazon can own, and
the ARN itself when one is given. Listings check ``*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services import tags
from openssm.server.services.documents import listing, permissions, writes
from openssm.server.services.documents import reads as docs
from openssm.server.services.documents.catalog import document_arn
from openssm.server.services.documents.records import STATUS_ACTIVE, DocumentRecord

T = TypeVar("T")
Out = Mapping[str, Any]


# --- resources for authorization -------------------------------------------------------------


def _name_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [document_arn(ctx, body["Name"])]


# --- wire shapes ------------------------------------------------------------------------------


def _description(record: DocumentRecord, found_tags: dict[str, str]) -> dict[str, Any]:
    summary = record.summary
    return {
        "Hash": record.hash,
        "HashType": "Sha256",
        "Name": record.name,
        "DisplayName": record.display_name,
        "VersionName": record.version_name,
        "Owner": record.owner,
        "CreatedDate": record.created_at,
        "Status": STATUS_ACTIVE,
        "DocumentVersion": str(record.version),
        "Description": summary.description or None,
        "Parameters": [
            {
                "Name": p.name,
                "Type": p.type,
                "Description": p.description or None,
                "DefaultValue": p.default_value,
            }
            for p in summary.parameters
        ],
        "PlatformTypes": list(summary.platform_types),
        "DocumentType": record.document_type,
        "SchemaVersion": summary.schema_version,
        "LatestVersion": str(record.latest_version),
        "DefaultVersion": str(record.default_version),
        "DocumentFormat": record.document_format,
        "TargetType": record.target_type,
        "Tags": tags.tags_to_wire(found_tags),
    }


def _identifier(item: listing.Listed) -> dict[str, Any]:
    return {
        "Name": item.name,
        "CreatedDate": item.created_at,
        "DisplayName": item.display_name,
        "Owner": item.owner,
        "VersionName": item.version_name,
        "PlatformTypes": list(item.platform_types),
        "DocumentVersion": str(item.version),
        "DocumentType": item.document_type,
        "SchemaVersion": item.schema_version,
        "DocumentFormat": item.document_format,
        "TargetType": item.target_type,
        "Tags": tags.tags_to_wire(item.tags),
    }


def _version_info(info: listing.VersionInfo) -> dict[str, Any]:
    return {
        "Name": info.name,
        "DisplayName": info.display_name,
        "DocumentVersion": str(info.version),
        "VersionName": info.version_name,
        "CreatedDate": info.created_at,
        "IsDefaultVersion": info.is_default,
        "DocumentFormat": info.document_format,
        "Status": info.status,
    }


# --- operations -------------------------------------------------------------------------------


async def create_document(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = writes.CreateInput(
        name=body["Name"],
        content=body["Content"],
        document_type=body.get("DocumentType"),
        document_format=body.get("DocumentFormat"),
        version_name=body.get("VersionName"),
        display_name=body.get("DisplayName"),
        target_type=body.get("TargetType"),
        tags=tags.tags_from_wire(body.get("Tags")),
        has_attachments=bool(body.get("Attachments")),
        has_requires=bool(body.get("Requires")),
    )
    found = await rt.store.write_retrying(lambda conn: writes.create_document(conn, ctx, request))
    return {"DocumentDescription": _description(found.record, found.tags)}


async def get_document(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    def read(conn: Connection) -> tuple[DocumentRecord, str, str]:
        record = docs.get_document(
            conn,
            ctx,
            body["Name"],
            document_version=body.get("DocumentVersion"),
            version_name=body.get("VersionName"),
        )
        wanted = body.get("DocumentFormat") or record.document_format
        return record, wanted, docs.content_as(record, wanted)

    record, wanted, content = await rt.store.read(read)
    return {
        "Name": record.name,
        "CreatedDate": record.created_at,
        "DisplayName": record.display_name,
        "VersionName": record.version_name,
        "DocumentVersion": str(record.version),
        "Status": STATUS_ACTIVE,
        "Content": content,
        "DocumentType": record.document_type,
        "DocumentFormat": wanted,
    }


async def describe_document(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found = await rt.store.read(
        lambda conn: docs.describe_document(
            conn,
            ctx,
            body["Name"],
            document_version=body.get("DocumentVersion"),
            version_name=body.get("VersionName"),
        )
    )
    return {"Document": _description(found.record, found.tags)}


async def update_document(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = writes.UpdateInput(
        name=body["Name"],
        content=body["Content"],
        document_version=body.get("DocumentVersion"),
        document_format=body.get("DocumentFormat"),
        version_name=body.get("VersionName"),
        display_name=body.get("DisplayName"),
        target_type=body.get("TargetType"),
        has_attachments=bool(body.get("Attachments")),
    )
    found = await rt.store.write_retrying(lambda conn: writes.update_document(conn, ctx, request))
    return {"DocumentDescription": _description(found.record, found.tags)}


async def update_document_default_version(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found = await rt.store.write_retrying(
        lambda conn: writes.update_default_version(
            conn, ctx, body["Name"], body["DocumentVersion"]
        ),
    )
    return {
        "Description": {
            "Name": found.name,
            "DefaultVersion": str(found.default_version),
            "DefaultVersionName": found.default_version_name,
        }
    }


async def delete_document(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write_retrying(
        lambda conn: writes.delete_document(
            conn,
            ctx,
            body["Name"],
            document_version=body.get("DocumentVersion"),
            version_name=body.get("VersionName"),
        ),
    )
    return {}


async def list_documents(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: listing.list_documents(
            conn,
            ctx,
            filters=body.get("Filters"),
            legacy_filters=body.get("DocumentFilterList"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {
        "DocumentIdentifiers": [_identifier(item) for item in page.items],
        "NextToken": page.next_token,
    }


async def list_document_versions(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: listing.list_document_versions(
            conn,
            ctx,
            body["Name"],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {
        "DocumentVersions": [_version_info(info) for info in page.items],
        "NextToken": page.next_token,
    }


async def describe_document_permission(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: permissions.describe_permission(
            conn,
            ctx,
            body["Name"],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {
        "AccountIds": [s.account_id for s in page.items],
        "AccountSharingInfoList": [
            {"AccountId": s.account_id, "SharedDocumentVersion": s.shared_version}
            for s in page.items
        ],
        "NextToken": page.next_token,
    }


async def modify_document_permission(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write_retrying(
        lambda conn: permissions.modify_permission(
            conn,
            ctx,
            body["Name"],
            add=body.get("AccountIdsToAdd") or (),
            remove=body.get("AccountIdsToRemove") or (),
            shared_version=body.get("SharedDocumentVersion"),
        ),
    )
    return {}


OPERATIONS = (
    Operation("CreateDocument", create_document, _name_arn),
    Operation("GetDocument", get_document, _name_arn),
    Operation("DescribeDocument", describe_document, _name_arn),
    Operation("UpdateDocument", update_document, _name_arn),
    Operation("UpdateDocumentDefaultVersion", update_document_default_version, _name_arn),
    Operation("DeleteDocument", delete_document, _name_arn),
    Operation("ListDocuments", list_documents),
    Operation("ListDocumentVersions", list_document_versions, _name_arn),
    Operation("DescribeDocumentPermission", describe_document_permission, _name_arn),
    Operation("ModifyDocumentPermission", modify_document_permission, _name_arn),
)
