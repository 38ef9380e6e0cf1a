"""Document quotas and the execution entry point, against a real SQLite store.

Rules checked (SSM API reference and service quotas): an account holds at most 500 documents
(DocumentLimitExceeded), a document at most 1,000 versions (DocumentVersionLimitExceeded), a
document is shared with at most 1,000 accounts and an account shares at most 5 documents
publicly (DocumentPermissionLimit). The quotas are parameters so the tests can use small ones.
``resolve_for_execution`` returns the version SendCommand runs and its Sha256 ``DocumentHash``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.engine import Connection

from openssm.documents.kinds import DocumentType
from openssm.errors import (
    DocumentLimitExceeded,
    DocumentPermissionLimit,
    DocumentVersionLimitExceeded,
    InvalidDocument,
    InvalidDocumentVersion,
)
from openssm.server.services.documents import permissions, writes
from openssm.server.services.documents import reads as docs
from openssm.server.store.engine import Store
from tests.unit.server.services.documents.store import OTHER_ACCOUNT, context, open_store

T = TypeVar("T")


def content(description: str) -> str:
    return json.dumps(
        {
            "schemaVersion": "2.2",
            "description": description,
            "mainSteps": [
                {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["id"]}}
            ],
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path) as (opened, _keyring):
        yield opened


def write(store: Store, fn: Callable[[Connection], T]) -> T:
    return store.write_sync(fn)


def create(store: Store, name: str, *, max_documents: int = writes.MAX_DOCUMENTS) -> None:
    request = writes.CreateInput(name=name, content=content(name))
    write(
        store, lambda c: writes.create_document(c, context(), request, max_documents=max_documents)
    )


def test_document_limit_per_account(store: Store) -> None:
    create(store, "one", max_documents=2)
    create(store, "two", max_documents=2)
    with pytest.raises(DocumentLimitExceeded):
        create(store, "three", max_documents=2)
    # Another account has its own quota.
    other = context(account_id=OTHER_ACCOUNT)
    request = writes.CreateInput(name="three", content=content("x"))
    write(store, lambda c: writes.create_document(c, other, request, max_documents=2))


def test_version_limit_per_document(store: Store) -> None:
    create(store, "versioned")

    def update(text: str) -> Callable[[Connection], docs.Described]:
        request = writes.UpdateInput(name="versioned", content=content(text))
        return lambda c: writes.update_document(c, context(), request, max_versions=2)

    write(store, update("second"))
    with pytest.raises(DocumentVersionLimitExceeded):
        write(store, update("third"))
    # Deleting a version makes room again; the new version still gets a fresh number.
    write(store, lambda c: writes.delete_document(c, context(), "versioned", document_version="2"))
    described = write(store, update("third"))
    assert described.record.version == 3


def test_permission_limits(store: Store) -> None:
    for name in ("p1", "p2"):
        create(store, name)
    ctx = context()
    write(
        store,
        lambda c: permissions.modify_permission(
            c, ctx, "p1", add=["111111111111", "222222222222"], max_accounts=2
        ),
    )
    with pytest.raises(DocumentPermissionLimit):
        write(
            store,
            lambda c: permissions.modify_permission(
                c, ctx, "p1", add=["333333333333"], max_accounts=2
            ),
        )
    write(store, lambda c: permissions.modify_permission(c, ctx, "p1", add=["all"], max_public=1))
    with pytest.raises(DocumentPermissionLimit):
        write(
            store, lambda c: permissions.modify_permission(c, ctx, "p2", add=["All"], max_public=1)
        )


def test_resolve_for_execution_gives_the_version_and_its_hash(store: Store) -> None:
    create(store, "runme")
    request = writes.UpdateInput(name="runme", content=content("second"))
    write(store, lambda c: writes.update_document(c, context(), request))
    ctx = context()
    record, document = store.read_sync(lambda c: docs.resolve_for_execution(c, ctx, "runme"))
    assert record.version == 1
    assert record.hash == hashlib.sha256(content("runme").encode()).hexdigest()
    assert document.description == "runme"
    latest, parsed = store.read_sync(
        lambda c: docs.resolve_for_execution(c, ctx, "runme", "$LATEST")
    )
    assert (latest.version, parsed.description) == (2, "second")
    with pytest.raises(InvalidDocumentVersion):
        store.read_sync(lambda c: docs.resolve_for_execution(c, ctx, "runme", "3"))
    builtin, shell = store.read_sync(
        lambda c: docs.resolve_for_execution(c, ctx, "AWS-RunShellScript")
    )
    assert (builtin.owner, shell.document_type) == ("Amazon", DocumentType.COMMAND)


def test_resolve_for_execution_of_a_shared_document(store: Store) -> None:
    create(store, "shareme")
    arn = "arn:aws:ssm:us-east-1:123456789012:document/shareme"
    other = context(account_id=OTHER_ACCOUNT)
    with pytest.raises(InvalidDocument):
        store.read_sync(lambda c: docs.resolve_for_execution(c, other, arn))
    write(
        store,
        lambda c: permissions.modify_permission(c, context(), "shareme", add=[OTHER_ACCOUNT]),
    )
    record, _ = store.read_sync(lambda c: docs.resolve_for_execution(c, other, arn))
    assert (record.owner, record.name, record.is_own) == ("123456789012", arn, False)
    # Another region of the same account does not see it.
    elsewhere = context(account_id=OTHER_ACCOUNT, region="eu-west-1")
    with pytest.raises(InvalidDocument):
        store.read_sync(lambda c: docs.resolve_for_execution(c, elsewhere, arn))
