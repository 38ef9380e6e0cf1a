"""ListDocumentVersions as another account sees a shared document.

A document shared at ``$DEFAULT`` or ``$LATEST`` shows that one version, whatever page size the
reader asks for and however many versions come before it; each entry names the document the way
the reader reaches it (its ARN), as GetDocument and DescribeDocument do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.integration.documents.support import SIMPLE, unique
from tests.integration.documents.test_sharing import arn_of, other, share, unshare

__all__ = ["other"]  # the fixture, imported for pytest to find
OTHER_ACCOUNT = "210987654321"


def _three_versions(ssm: SSMClient) -> str:
    name = unique("shared")
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE))
    for text in ("Second.", "Third."):
        ssm.update_document(Name=name, Content=json.dumps({**SIMPLE, "description": text}))
    return name


@pytest.mark.parametrize(
    ("shared_at", "default", "expected"),
    [
        ("$DEFAULT", "3", "3"),
        ("$DEFAULT", "2", "2"),
        ("$LATEST", "1", "3"),
    ],
)
def test_the_shared_version_is_listed_whatever_the_page_size(
    ssm: SSMClient, other: SSMClient, shared_at: str, default: str, expected: str
) -> None:
    name = _three_versions(ssm)
    ssm.update_document_default_version(Name=name, DocumentVersion=default)
    share(ssm, name, OTHER_ACCOUNT, version=shared_at)
    arn = arn_of(name)
    try:
        for page_size in (1, 2, 50):
            page = other.list_document_versions(Name=arn, MaxResults=page_size)
            assert [v["DocumentVersion"] for v in page["DocumentVersions"]] == [expected]
            assert "NextToken" not in page
            assert page["DocumentVersions"][0]["Name"] == arn
            assert page["DocumentVersions"][0]["IsDefaultVersion"] == (expected == default)
    finally:
        unshare(ssm, name, OTHER_ACCOUNT)


def test_a_document_shared_at_all_versions_pages_through_them(
    ssm: SSMClient, other: SSMClient
) -> None:
    name = _three_versions(ssm)
    share(ssm, name, OTHER_ACCOUNT, version="$ALL")
    arn = arn_of(name)
    try:
        seen: list[str] = []
        kwargs: dict[str, Any] = {"Name": arn, "MaxResults": 2}
        while True:
            page = other.list_document_versions(**kwargs)
            seen += [v["DocumentVersion"] for v in page["DocumentVersions"]]
            assert {v["Name"] for v in page["DocumentVersions"]} == {arn}
            if "NextToken" not in page:
                break
            kwargs["NextToken"] = page["NextToken"]
        assert seen == ["1", "2", "3"]
        # The owner still sees its plain name.
        own = ssm.list_document_versions(Name=name)["DocumentVersions"]
        assert {v["Name"] for v in own} == {name}
    finally:
        unshare(ssm, name, OTHER_ACCOUNT)
