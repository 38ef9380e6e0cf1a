"""UpdateDocument, versions, the default version and DeleteDocument, over boto3 on both databases.

Rules checked (SSM API reference): every UpdateDocument adds version n+1 and leaves the default
where it is; only the latest version can be updated ($LATEST or its number, otherwise
InvalidDocumentVersion); unchanged content is DuplicateDocumentContent; a VersionName is unique per
document (DuplicateDocumentVersionName); $LATEST and $DEFAULT select versions; only
UpdateDocumentDefaultVersion moves the default; DeleteDocument removes the whole document or one
version, but never the default version alone; Amazon's documents can't be changed
(InvalidDocumentOperation).
"""

from __future__ import annotations

import json
from typing import Any

from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import DocumentVersionInfoTypeDef

from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE, unique


def content(greeting: str) -> str:
    doc = json.loads(json.dumps(SIMPLE))
    doc["parameters"]["greeting"]["default"] = greeting
    return json.dumps(doc)


def make(ssm: SSMClient, versions: int, **kwargs: Any) -> str:
    """A document with ``versions`` versions; version n says "hello n"."""
    name = unique()
    ssm.create_document(Name=name, Content=content("hello 1"), VersionName="v1", **kwargs)
    for n in range(2, versions + 1):
        ssm.update_document(
            Name=name, Content=content(f"hello {n}"), DocumentVersion="$LATEST", VersionName=f"v{n}"
        )
    return name


def greeting(ssm: SSMClient, **kwargs: Any) -> str:
    text: str = json.loads(ssm.get_document(**kwargs)["Content"])["parameters"]["greeting"][
        "default"
    ]
    return text


def test_update_adds_a_version_and_keeps_the_default(ssm: SSMClient) -> None:
    name = make(ssm, 1)
    updated = ssm.update_document(Name=name, Content=content("hello 2"), DocumentVersion="1")
    desc = updated["DocumentDescription"]
    assert desc["DocumentVersion"] == "2"
    assert desc["LatestVersion"] == "2"
    assert desc["DefaultVersion"] == "1"
    assert desc["Parameters"][0]["DefaultValue"] == "hello 2"
    assert greeting(ssm, Name=name) == "hello 1"
    assert greeting(ssm, Name=name, DocumentVersion="$LATEST") == "hello 2"
    assert greeting(ssm, Name=name, DocumentVersion="$DEFAULT") == "hello 1"
    assert greeting(ssm, Name=name, DocumentVersion="2") == "hello 2"


def test_update_without_a_version_means_latest(ssm: SSMClient) -> None:
    name = make(ssm, 2)
    desc = ssm.update_document(Name=name, Content=content("hello 3"))["DocumentDescription"]
    assert desc["DocumentVersion"] == "3"


def test_only_the_latest_version_can_be_updated(ssm: SSMClient) -> None:
    name = make(ssm, 2)
    err = error_of(ssm.update_document, Name=name, Content=content("x"), DocumentVersion="1")
    assert err.code == "InvalidDocumentVersion"
    err = error_of(ssm.update_document, Name=name, Content=content("x"), DocumentVersion="$DEFAULT")
    assert err.code == "InvalidDocumentVersion"
    err = error_of(ssm.update_document, Name=name, Content=content("x"), DocumentVersion="7")
    assert err.code == "InvalidDocumentVersion"


def test_unchanged_content_is_duplicate_document_content(ssm: SSMClient) -> None:
    name = make(ssm, 2)
    err = error_of(ssm.update_document, Name=name, Content=content("hello 2"))
    assert err.code == "DuplicateDocumentContent"


def test_repeated_version_name_is_duplicate_document_version_name(ssm: SSMClient) -> None:
    name = make(ssm, 2)
    err = error_of(ssm.update_document, Name=name, Content=content("new"), VersionName="v1")
    assert err.code == "DuplicateDocumentVersionName"


def test_update_validates_content_like_create(ssm: SSMClient) -> None:
    name = make(ssm, 1)
    broken = json.loads(content("x"))
    broken["mainSteps"][0]["action"] = "aws:runShellScrip"
    err = error_of(ssm.update_document, Name=name, Content=json.dumps(broken))
    assert err.code == "InvalidDocumentContent"
    assert "sayHello" in err.message


def test_update_keeps_the_document_type(ssm: SSMClient) -> None:
    name = make(ssm, 1)
    session = {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {}}
    err = error_of(ssm.update_document, Name=name, Content=json.dumps(session))
    assert err.code == "InvalidDocumentSchemaVersion"


def test_version_name_selects_a_version(ssm: SSMClient) -> None:
    name = make(ssm, 3)
    assert greeting(ssm, Name=name, VersionName="v2") == "hello 2"
    assert ssm.get_document(Name=name, VersionName="v3")["DocumentVersion"] == "3"
    assert greeting(ssm, Name=name, VersionName="v2", DocumentVersion="2") == "hello 2"
    mismatch = error_of(ssm.get_document, Name=name, VersionName="v2", DocumentVersion="3")
    assert mismatch.code == "InvalidDocumentVersion"
    unknown = error_of(ssm.describe_document, Name=name, VersionName="v9")
    assert unknown.code == "InvalidDocumentVersion"
    missing = error_of(ssm.get_document, Name=name, DocumentVersion="42")
    assert missing.code == "InvalidDocumentVersion"


def test_update_default_version_moves_the_default(ssm: SSMClient) -> None:
    name = make(ssm, 3)
    moved = ssm.update_document_default_version(Name=name, DocumentVersion="2")["Description"]
    assert moved == {"Name": name, "DefaultVersion": "2", "DefaultVersionName": "v2"}
    assert greeting(ssm, Name=name) == "hello 2"
    desc = ssm.describe_document(Name=name)["Document"]
    assert (desc["DocumentVersion"], desc["DefaultVersion"], desc["LatestVersion"]) == (
        "2",
        "2",
        "3",
    )
    err = error_of(ssm.update_document_default_version, Name=name, DocumentVersion="9")
    assert err.code == "InvalidDocumentVersion"


def test_list_document_versions_pages_oldest_first(ssm: SSMClient) -> None:
    name = make(ssm, 3)
    ssm.update_document_default_version(Name=name, DocumentVersion="3")
    seen: list[DocumentVersionInfoTypeDef] = []
    kwargs: dict[str, Any] = {"Name": name, "MaxResults": 2}
    while True:
        page = ssm.list_document_versions(**kwargs)
        seen.extend(page["DocumentVersions"])
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert [v["DocumentVersion"] for v in seen] == ["1", "2", "3"]
    assert [v["VersionName"] for v in seen] == ["v1", "v2", "v3"]
    assert [v["IsDefaultVersion"] for v in seen] == [False, False, True]
    assert {v["Status"] for v in seen} == {"Active"}
    assert {v["Name"] for v in seen} == {name}
    bad = error_of(ssm.list_document_versions, Name=name, NextToken="bm90LWEtdG9rZW4")
    assert bad.code == "InvalidNextToken"


def test_builtin_document_has_one_version(ssm: SSMClient) -> None:
    versions = ssm.list_document_versions(Name="AWS-RunShellScript")["DocumentVersions"]
    assert [(v["DocumentVersion"], v["IsDefaultVersion"]) for v in versions] == [("1", True)]
    err = error_of(ssm.get_document, Name="AWS-RunShellScript", DocumentVersion="2")
    assert err.code == "InvalidDocumentVersion"


def test_delete_one_version_but_never_the_default_alone(ssm: SSMClient) -> None:
    name = make(ssm, 3)
    err = error_of(ssm.delete_document, Name=name, DocumentVersion="1")
    assert err.code == "InvalidDocumentOperation"
    ssm.delete_document(Name=name, VersionName="v2")
    assert error_of(ssm.get_document, Name=name, DocumentVersion="2").code == (
        "InvalidDocumentVersion"
    )
    versions = ssm.list_document_versions(Name=name)["DocumentVersions"]
    assert [v["DocumentVersion"] for v in versions] == ["1", "3"]
    # The deleted name is free again, and a version number is never handed out twice.
    ssm.delete_document(Name=name, DocumentVersion="$LATEST")
    desc = ssm.update_document(Name=name, Content=content("later"), VersionName="v2")[
        "DocumentDescription"
    ]
    assert desc["DocumentVersion"] == "4"
    assert desc["LatestVersion"] == "4"


def test_delete_whole_document(ssm: SSMClient) -> None:
    name = make(ssm, 2)
    ssm.delete_document(Name=name)
    assert error_of(ssm.describe_document, Name=name).code == "InvalidDocument"
    # The name can be used again, starting from version 1.
    desc = ssm.create_document(Name=name, Content=content("again"))["DocumentDescription"]
    assert desc["DocumentVersion"] == "1"


def test_delete_unknown_version_is_invalid_document_version(ssm: SSMClient) -> None:
    name = make(ssm, 2)
    assert error_of(ssm.delete_document, Name=name, DocumentVersion="5").code == (
        "InvalidDocumentVersion"
    )


def test_amazon_documents_cannot_be_changed(ssm: SSMClient) -> None:
    name = "AWS-RunShellScript"
    update = error_of(ssm.update_document, Name=name, Content=content("x"))
    assert update.code == "InvalidDocumentOperation"
    assert error_of(ssm.delete_document, Name=name).code == "InvalidDocumentOperation"
    default = error_of(ssm.update_document_default_version, Name=name, DocumentVersion="1")
    assert default.code == "InvalidDocumentOperation"
    share = error_of(
        ssm.modify_document_permission,
        Name=name,
        PermissionType="Share",
        AccountIdsToAdd=["210987654321"],
    )
    assert share.code == "InvalidDocumentOperation"


def test_update_unknown_document_is_invalid_document(ssm: SSMClient) -> None:
    err = error_of(ssm.update_document, Name=unique("missing"), Content=content("x"))
    assert err.code == "InvalidDocument"


def test_display_name_and_target_type_carry_over_to_new_versions(ssm: SSMClient) -> None:
    name = make(ssm, 1, DisplayName="Say hello", TargetType="/AWS::EC2::Instance")
    desc = ssm.update_document(Name=name, Content=content("two"))["DocumentDescription"]
    assert desc["DisplayName"] == "Say hello"
    assert desc["TargetType"] == "/AWS::EC2::Instance"
    assert "VersionName" not in desc


def test_account_copy_of_session_preferences_shadows_the_builtin(ssm: SSMClient) -> None:
    """SSM-SessionManagerRunShell is account-owned on AWS; ours shadows the built-in default."""
    name = "SSM-SessionManagerRunShell"
    assert ssm.describe_document(Name=name)["Document"]["Owner"] == "Amazon"
    update = error_of(ssm.update_document, Name=name, Content="{}")
    assert update.code == "InvalidDocumentOperation"
    prefs = {
        "schemaVersion": "1.0",
        "description": "Our preferences.",
        "sessionType": "Standard_Stream",
        "inputs": {"idleSessionTimeout": "5", "runAsEnabled": False},
    }
    ssm.create_document(Name=name, Content=json.dumps(prefs), DocumentType="Session")
    try:
        desc = ssm.describe_document(Name=name)["Document"]
        assert desc["Owner"] != "Amazon"
        assert desc["Description"] == "Our preferences."
        listed = ssm.list_documents(Filters=[{"Key": "Name", "Values": [name]}])
        owners = [d["Owner"] for d in listed["DocumentIdentifiers"]]
        assert owners == [desc["Owner"]]
        ssm.update_document(Name=name, Content=json.dumps({**prefs, "description": "Changed."}))
    finally:
        ssm.delete_document(Name=name)
    assert ssm.describe_document(Name=name)["Document"]["Owner"] == "Amazon"
