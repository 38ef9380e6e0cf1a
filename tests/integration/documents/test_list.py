"""ListDocuments: owners, filters and paging, over boto3 on both databases.

Rules checked (SSM API reference, ListDocuments and DocumentKeyValuesFilter): several filter
keys must all hold and several values of one key are alternatives; ``Name`` matches a name
prefix; ``Owner`` takes one value (Self, Amazon, Private, Public, ThirdParty); ``tag:<key>``
matches tagged documents; an unknown key is InvalidFilterKey; the deprecated DocumentFilterList
still works; NextToken pages through and a made-up token is InvalidNextToken. Amazon's documents
are listed with Owner Amazon in every account.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import DocumentIdentifierTypeDef

from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE
from tests.support import TEST_ACCOUNT_ID

SESSION = {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {}}
POWERSHELL = {
    "schemaVersion": "2.2",
    "description": "PowerShell runs on Windows, Linux and macOS.",
    "mainSteps": [
        {
            "action": "aws:runPowerShellScript",
            "name": "run",
            "inputs": {"runCommand": ["Get-Date"]},
        }
    ],
}


def list_all(ssm: SSMClient, **kwargs: Any) -> list[DocumentIdentifierTypeDef]:
    found: list[DocumentIdentifierTypeDef] = []
    while True:
        page = ssm.list_documents(**kwargs)
        found.extend(page["DocumentIdentifiers"])
        if "NextToken" not in page:
            return found
        kwargs["NextToken"] = page["NextToken"]


def names(items: list[DocumentIdentifierTypeDef]) -> list[str]:
    return [item["Name"] for item in items]


def seed(ssm: SSMClient) -> str:
    """Four documents under a fresh prefix: two shell commands, one PowerShell, one session."""
    prefix = f"ls{uuid.uuid4().hex[:8]}"
    ssm.create_document(
        Name=f"{prefix}-a", Content=json.dumps(SIMPLE), Tags=[{"Key": "team", "Value": "blue"}]
    )
    ssm.create_document(
        Name=f"{prefix}-b", Content=json.dumps(SIMPLE), Tags=[{"Key": "team", "Value": "red"}]
    )
    ssm.create_document(Name=f"{prefix}-c", Content=json.dumps(POWERSHELL))
    ssm.create_document(Name=f"{prefix}-d", Content=json.dumps(SESSION), DocumentType="Session")
    return prefix


def test_owner_amazon_lists_the_builtin_catalog(ssm: SSMClient) -> None:
    found = list_all(ssm, Filters=[{"Key": "Owner", "Values": ["Amazon"]}])
    listed = set(names(found))
    assert {
        "AWS-RunShellScript",
        "AWS-RunPowerShellScript",
        "AWS-RunPatchBaseline",
        "AWS-GatherSoftwareInventory",
        "AWS-StartPortForwardingSession",
        "AWS-StartSSHSession",
    } <= listed
    assert {item["Owner"] for item in found} == {"Amazon"}
    shell = next(item for item in found if item["Name"] == "AWS-RunShellScript")
    assert shell["DocumentType"] == "Command"
    assert shell["DocumentVersion"] == "1"
    assert shell["SchemaVersion"] == "1.2"


def test_owner_self_lists_only_own_documents(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    found = list_all(ssm, Filters=[{"Key": "Owner", "Values": ["Self"]}])
    assert {item["Owner"] for item in found} == {TEST_ACCOUNT_ID}
    assert {f"{prefix}-a", f"{prefix}-b", f"{prefix}-c", f"{prefix}-d"} <= set(names(found))
    assert "AWS-RunShellScript" not in names(found)


def test_default_listing_holds_own_and_amazon_documents(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    listed = set(names(list_all(ssm)))
    assert f"{prefix}-a" in listed
    assert "AWS-RunShellScript" in listed


def test_name_filter_matches_a_prefix(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    found = list_all(ssm, Filters=[{"Key": "Name", "Values": [prefix]}])
    assert names(found) == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c", f"{prefix}-d"]
    found = list_all(ssm, Filters=[{"Key": "Name", "Values": [f"{prefix}-a", f"{prefix}-d"]}])
    assert names(found) == [f"{prefix}-a", f"{prefix}-d"]
    assert list_all(ssm, Filters=[{"Key": "Name", "Values": [prefix.upper()]}]) == []


def test_keys_and_values_combine(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    by_name = {"Key": "Name", "Values": [prefix]}
    sessions = list_all(ssm, Filters=[by_name, {"Key": "DocumentType", "Values": ["Session"]}])
    assert names(sessions) == [f"{prefix}-d"]
    commands = {"Key": "DocumentType", "Values": ["Command"]}
    windows = list_all(
        ssm, Filters=[by_name, commands, {"Key": "PlatformTypes", "Values": ["Windows"]}]
    )
    assert names(windows) == [f"{prefix}-c"]
    either = list_all(
        ssm, Filters=[by_name, commands, {"Key": "PlatformTypes", "Values": ["Windows", "Linux"]}]
    )
    assert names(either) == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    # A shell session runs on every platform.
    anywhere = list_all(ssm, Filters=[by_name, {"Key": "PlatformTypes", "Values": ["Windows"]}])
    assert names(anywhere) == [f"{prefix}-c", f"{prefix}-d"]


def test_tag_filter_matches_tagged_documents(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    by_name = {"Key": "Name", "Values": [prefix]}
    blue = list_all(ssm, Filters=[by_name, {"Key": "tag:team", "Values": ["blue"]}])
    assert names(blue) == [f"{prefix}-a"]
    assert blue[0]["Tags"] == [{"Key": "team", "Value": "blue"}]
    any_team = list_all(ssm, Filters=[by_name, {"Key": "tag:team", "Values": []}])
    assert names(any_team) == [f"{prefix}-a", f"{prefix}-b"]


def test_legacy_document_filter_list_still_works(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    found = list_all(
        ssm,
        DocumentFilterList=[
            {"key": "Name", "value": prefix},
            {"key": "DocumentType", "value": "Session"},
        ],
    )
    assert names(found) == [f"{prefix}-d"]
    amazon = list_all(ssm, DocumentFilterList=[{"key": "Owner", "value": "Amazon"}])
    assert {item["Owner"] for item in amazon} == {"Amazon"}


def test_paging_walks_every_document_once(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    pages = []
    kwargs: dict[str, Any] = {"Filters": [{"Key": "Name", "Values": [prefix]}], "MaxResults": 3}
    while True:
        page = ssm.list_documents(**kwargs)
        pages.append(names(page["DocumentIdentifiers"]))
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert pages == [[f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"], [f"{prefix}-d"]]


def test_token_of_another_listing_is_refused(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    page = ssm.list_documents(Filters=[{"Key": "Name", "Values": [prefix]}], MaxResults=1)
    err = error_of(
        ssm.list_documents,
        Filters=[{"Key": "Owner", "Values": ["Self"]}],
        NextToken=page["NextToken"],
    )
    assert err.code == "InvalidNextToken"
    assert error_of(ssm.list_documents, NextToken="made-up").code == "InvalidNextToken"


def test_bad_filters_are_refused(ssm: SSMClient) -> None:
    unknown = error_of(ssm.list_documents, Filters=[{"Key": "Colour", "Values": ["x"]}])
    assert unknown.code == "InvalidFilterKey"
    keyless = error_of(ssm.list_documents, Filters=[{"Values": ["x"]}])  # Key is optional
    assert keyless.code == "InvalidFilterKey"
    assert "no Key" in keyless.message
    two = error_of(ssm.list_documents, Filters=[{"Key": "Owner", "Values": ["Self", "Amazon"]}])
    assert two.code == "ValidationException"
    wrong = error_of(ssm.list_documents, Filters=[{"Key": "Owner", "Values": ["Someone"]}])
    assert wrong.code == "ValidationException"


def test_list_shows_the_default_version(ssm: SSMClient) -> None:
    prefix = seed(ssm)
    name = f"{prefix}-a"
    changed = json.loads(json.dumps(SIMPLE))
    changed["description"] = "Changed."
    ssm.update_document(Name=name, Content=json.dumps(changed), VersionName="second")
    found = list_all(ssm, Filters=[{"Key": "Name", "Values": [name]}])
    assert (found[0]["DocumentVersion"], found[0].get("VersionName")) == ("1", None)
    ssm.update_document_default_version(Name=name, DocumentVersion="2")
    found = list_all(ssm, Filters=[{"Key": "Name", "Values": [name]}])
    assert (found[0]["DocumentVersion"], found[0]["VersionName"]) == ("2", "second")
