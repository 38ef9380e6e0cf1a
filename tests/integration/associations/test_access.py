"""Who may touch associations (SECURITY.md 2 and 3): a Deny of CreateAssociation holds for
CreateAssociationBatch too, and a caller denied an association by ARN gets the same
AccessDenied whether it exists or not.
"""

from __future__ import annotations

import uuid
from typing import Any

from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.support import ServerProcess

SHELL = "AWS-RunShellScript"


def _user(server: ServerProcess, policy: dict[str, Any]) -> SSMClient:
    key_id, secret = server.new_user(policy)
    return server.client(access_key_id=key_id, secret_access_key=secret)


def _allow_all_but(*denied: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
            {"Effect": "Deny", "Action": list(denied), "Resource": resource},
        ],
    }


def test_a_deny_of_create_association_holds_for_the_batch_form(server: ServerProcess) -> None:
    user = _user(server, _allow_all_but("ssm:CreateAssociation"))
    entry: dict[str, Any] = {
        "Name": SHELL,
        "Targets": [{"Key": "tag:Role", "Values": [uuid.uuid4().hex]}],
        "Parameters": {"commands": ["true"]},
    }
    assert error_of(user.create_association, **entry).code == "AccessDeniedException"
    assert error_of(user.create_association_batch, Entries=[entry]).code == (
        "AccessDeniedException"
    )


def test_denied_associations_look_the_same_whether_they_exist_or_not(
    server: ServerProcess,
) -> None:
    admin = server.client()
    existing = admin.create_association(
        Name=SHELL,
        Targets=[{"Key": "tag:Role", "Values": [uuid.uuid4().hex]}],
        Parameters={"commands": ["true"]},
    )["AssociationDescription"]["AssociationId"]
    user = _user(
        server,
        _allow_all_but(
            "ssm:DescribeAssociation",
            "ssm:DeleteAssociation",
            resource="arn:aws:ssm:*:*:association/*",
        ),
    )
    for association_id in (existing, str(uuid.uuid4())):
        for call in (user.describe_association, user.delete_association):
            refused = error_of(call, AssociationId=association_id)
            assert (refused.code, refused.status) == ("AccessDeniedException", 400)
    assert admin.describe_association(AssociationId=existing)["AssociationDescription"]
