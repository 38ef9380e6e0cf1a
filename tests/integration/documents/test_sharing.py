"""Sharing documents between two accounts of one server, and IAM on document ARNs.

Rules checked (SSM API reference, ModifyDocumentPermission / DescribeDocumentPermission, and the
User Guide's "Sharing SSM documents"): PermissionType Share; AccountIdsToAdd/Remove take account
ids or ``all``; another account reaches a shared document by its ARN, and before sharing (or after
unsharing) gets InvalidDocument; SharedDocumentVersion limits which version it sees; a shared
document is listed for the other account with Owner Private (or Public for ``all``); a shared
document can't be deleted until it is unshared. IAM (SECURITY 1-3): the resource of a document
call is its ARN, Amazon's documents have no account in theirs.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE, unique
from tests.support import TEST_ACCOUNT_ID, ServerProcess

OTHER_ACCOUNT = "210987654321"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def user_client(server: ServerProcess, *, account_id: str, policy: dict[str, Any]) -> SSMClient:
    """A boto3 client for a new user of ``account_id`` with one inline policy."""
    name = "u" + uuid.uuid4().hex[:10]
    scope = ("--account-id", account_id)
    created = server.admin(*scope, "user", "create", name)
    assert created.returncode == 0, created.stderr
    key = server.admin(*scope, "key", "create", name)
    assert key.returncode == 0, key.stderr
    lines = dict(line.split(" = ", 1) for line in key.stdout.strip().splitlines())
    put = server.admin(*scope, "policy", "put", name, "p1", "--document", json.dumps(policy))
    assert put.returncode == 0, put.stderr
    return server.client(
        access_key_id=lines["aws_access_key_id"], secret_access_key=lines["aws_secret_access_key"]
    )


@pytest.fixture(scope="module")
def other(server: ServerProcess) -> SSMClient:
    return user_client(server, account_id=OTHER_ACCOUNT, policy=ALLOW_ALL)


def arn_of(name: str, account: str = TEST_ACCOUNT_ID) -> str:
    return f"arn:aws:ssm:us-east-1:{account}:document/{name}"


def two_versions(ssm: SSMClient) -> str:
    name = unique("shared")
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE))
    changed = {**SIMPLE, "description": "Second."}
    ssm.update_document(Name=name, Content=json.dumps(changed))
    return name


def share(ssm: SSMClient, name: str, *accounts: str, version: str | None = None) -> None:
    extra = {"SharedDocumentVersion": version} if version else {}
    ssm.modify_document_permission(
        Name=name, PermissionType="Share", AccountIdsToAdd=list(accounts), **extra
    )


def unshare(ssm: SSMClient, name: str, *accounts: str) -> None:
    ssm.modify_document_permission(
        Name=name, PermissionType="Share", AccountIdsToRemove=list(accounts)
    )


def test_other_account_reaches_a_document_only_while_shared(
    ssm: SSMClient, other: SSMClient
) -> None:
    name = two_versions(ssm)
    arn = arn_of(name)
    assert error_of(other.get_document, Name=arn).code == "InvalidDocument"
    # The same words for a document that does not exist at all (SECURITY 3).
    missing = error_of(other.get_document, Name=arn_of(unique("none")))
    assert missing.code == "InvalidDocument"
    share(ssm, name, OTHER_ACCOUNT)
    desc = other.describe_document(Name=arn)["Document"]
    assert desc["Owner"] == TEST_ACCOUNT_ID
    assert desc["Name"] == arn
    assert desc["DocumentVersion"] == "1"
    assert desc["Tags"] == []
    got = other.get_document(Name=arn)
    assert json.loads(got["Content"]) == SIMPLE
    # The plain name means the other account's own document, which does not exist.
    assert error_of(other.get_document, Name=name).code == "InvalidDocument"
    # Shared at $DEFAULT: the other versions stay private.
    later = error_of(other.get_document, Name=arn, DocumentVersion="2")
    assert later.code == "InvalidDocumentVersion"
    versions = other.list_document_versions(Name=arn)["DocumentVersions"]
    assert [v["DocumentVersion"] for v in versions] == ["1"]
    unshare(ssm, name, OTHER_ACCOUNT)
    assert error_of(other.describe_document, Name=arn).code == "InvalidDocument"


def test_shared_version_latest_and_all(ssm: SSMClient, other: SSMClient) -> None:
    name = two_versions(ssm)
    arn = arn_of(name)
    share(ssm, name, OTHER_ACCOUNT, version="$LATEST")
    assert other.get_document(Name=arn)["DocumentVersion"] == "2"
    assert error_of(other.get_document, Name=arn, DocumentVersion="1").code == (
        "InvalidDocumentVersion"
    )
    share(ssm, name, OTHER_ACCOUNT, version="$ALL")
    assert other.get_document(Name=arn)["DocumentVersion"] == "1"
    assert other.get_document(Name=arn, DocumentVersion="2")["DocumentVersion"] == "2"
    unshare(ssm, name, OTHER_ACCOUNT)


def test_other_account_cannot_change_a_shared_document(ssm: SSMClient, other: SSMClient) -> None:
    name = two_versions(ssm)
    share(ssm, name, OTHER_ACCOUNT)
    try:
        # Changes take a plain name, which is always the caller's own document.
        assert error_of(other.delete_document, Name=name).code == "InvalidDocument"
        update = error_of(other.update_document, Name=name, Content=json.dumps(SIMPLE))
        assert update.code == "InvalidDocument"
        perms = error_of(other.describe_document_permission, Name=name, PermissionType="Share")
        assert perms.code == "InvalidDocument"
    finally:
        unshare(ssm, name, OTHER_ACCOUNT)


def test_describe_permission_lists_accounts_and_versions(ssm: SSMClient) -> None:
    name = two_versions(ssm)
    share(ssm, name, "111122223333", "444455556666")
    share(ssm, name, "777788889999", version="$LATEST")
    page = ssm.describe_document_permission(Name=name, PermissionType="Share")
    assert page["AccountIds"] == ["111122223333", "444455556666", "777788889999"]
    assert page["AccountSharingInfoList"][2] == {
        "AccountId": "777788889999",
        "SharedDocumentVersion": "$LATEST",
    }
    first = ssm.describe_document_permission(Name=name, PermissionType="Share", MaxResults=2)
    assert first["AccountIds"] == ["111122223333", "444455556666"]
    rest = ssm.describe_document_permission(
        Name=name, PermissionType="Share", MaxResults=2, NextToken=first["NextToken"]
    )
    assert rest["AccountIds"] == ["777788889999"]
    assert "NextToken" not in rest
    unshare(ssm, name, "111122223333", "444455556666", "777788889999")
    assert ssm.describe_document_permission(Name=name, PermissionType="Share")["AccountIds"] == []


def test_shared_document_must_be_unshared_before_delete(ssm: SSMClient) -> None:
    name = two_versions(ssm)
    share(ssm, name, "111122223333")
    err = error_of(ssm.delete_document, Name=name)
    assert err.code == "InvalidDocumentOperation"
    unshare(ssm, name, "111122223333")
    ssm.delete_document(Name=name)


def test_listing_of_the_other_account_shows_shared_documents(
    ssm: SSMClient, other: SSMClient
) -> None:
    private = two_versions(ssm)
    public = two_versions(ssm)
    share(ssm, private, OTHER_ACCOUNT)
    share(ssm, public, "ALL")
    try:
        shown = {
            d["Name"]: d
            for d in other.list_documents(Filters=[{"Key": "Owner", "Values": ["Private"]}])[
                "DocumentIdentifiers"
            ]
        }
        assert arn_of(private) in shown
        assert arn_of(public) not in shown
        assert shown[arn_of(private)]["Owner"] == TEST_ACCOUNT_ID
        publics = other.list_documents(Filters=[{"Key": "Owner", "Values": ["Public"]}])
        assert arn_of(public) in [d["Name"] for d in publics["DocumentIdentifiers"]]
        mine = other.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])
        assert mine["DocumentIdentifiers"] == []
        assert other.describe_document(Name=arn_of(public))["Document"]["Owner"] == (
            TEST_ACCOUNT_ID
        )
        perms = ssm.describe_document_permission(Name=public, PermissionType="Share")
        assert perms["AccountIds"] == ["all"]
        # The owner's own listing never shows its documents as shared.
        own = ssm.list_documents(Filters=[{"Key": "Name", "Values": [private]}])
        assert [d["Name"] for d in own["DocumentIdentifiers"]] == [private]
    finally:
        unshare(ssm, private, OTHER_ACCOUNT)
        unshare(ssm, public, "all")


def test_modify_permission_faults(ssm: SSMClient) -> None:
    name = two_versions(ssm)
    nothing = error_of(ssm.modify_document_permission, Name=name, PermissionType="Share")
    assert nothing.code == "ValidationException"
    own = error_of(
        ssm.modify_document_permission,
        Name=name,
        PermissionType="Share",
        AccountIdsToAdd=[TEST_ACCOUNT_ID],
    )
    assert own.code == "ValidationException"
    bad_id = error_of(
        ssm.modify_document_permission,
        Name=name,
        PermissionType="Share",
        AccountIdsToAdd=["12345"],
    )
    assert bad_id.code == "ValidationException"
    missing = error_of(
        ssm.modify_document_permission,
        Name=unique("none"),
        PermissionType="Share",
        AccountIdsToAdd=["111122223333"],
    )
    assert missing.code == "InvalidDocument"


def test_account_both_added_and_removed_is_removed(ssm: SSMClient) -> None:
    """botocore's model: given the same id to add and to remove, the system removes access."""
    name = two_versions(ssm)
    share(ssm, name, "111122223333")
    ssm.modify_document_permission(
        Name=name,
        PermissionType="Share",
        AccountIdsToAdd=["111122223333", "444455556666"],
        AccountIdsToRemove=["111122223333"],
    )
    perms = ssm.describe_document_permission(Name=name, PermissionType="Share")
    assert perms["AccountIds"] == ["444455556666"]
    # Removal wins even for the owner's own id and for "all" in another letter case.
    ssm.modify_document_permission(
        Name=name,
        PermissionType="Share",
        AccountIdsToAdd=[TEST_ACCOUNT_ID, "All"],
        AccountIdsToRemove=[TEST_ACCOUNT_ID, "all", "444455556666"],
    )
    assert ssm.describe_document_permission(Name=name, PermissionType="Share")["AccountIds"] == []


def test_iam_resource_of_amazon_documents_has_no_account(server: ServerProcess) -> None:
    """A policy on Amazon's document ARNs lets a user read AWS-* but not the account's own."""
    admin = server.client()
    name = unique("iam")
    admin.create_document(Name=name, Content=json.dumps(SIMPLE))
    reader = user_client(
        server,
        account_id=TEST_ACCOUNT_ID,
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ssm:DescribeDocument", "ssm:GetDocument"],
                    "Resource": "arn:aws:ssm:*::document/*",
                }
            ],
        },
    )
    assert reader.describe_document(Name="AWS-RunShellScript")["Document"]["Owner"] == "Amazon"
    denied = error_of(reader.describe_document, Name=name)
    assert denied.code == "AccessDeniedException"
    assert arn_of(name) in denied.message
    # Same answer for a document that does not exist (SECURITY 3).
    ghost = unique("ghost")
    assert error_of(reader.get_document, Name=ghost).message == denied.message.replace(
        "DescribeDocument", "GetDocument"
    ).replace(name, ghost)
    assert error_of(reader.list_documents).code == "AccessDeniedException"
