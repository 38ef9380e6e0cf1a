"""Resource Groups under the same users, keys and policies as SSM: ``resource-groups:*`` actions on
group ARNs, ForbiddenException naming the action and the resource, the same answer for a group
that exists and one that does not (SECURITY.md #3), a Deny that holds in the listing too (#2),
and SigV4 scoped to the service ``resource-groups``."""

from __future__ import annotations

import uuid

from types_boto3_resource_groups.type_defs import GroupFilterTypeDef

from tests.aws_errors import error_of
from tests.integration.groups.support import (
    groups_client,
    rest_request,
    send_rest,
    tag_query,
)
from tests.support import TEST_ACCOUNT_ID, ServerProcess

GROUP_ARN = f"arn:aws:resource-groups:us-east-1:{TEST_ACCOUNT_ID}:group/"


def test_a_policy_allows_group_actions_by_arn_wildcard(sqlite_server: ServerProcess) -> None:
    prefix = f"acc-{uuid.uuid4().hex[:8]}"
    admin = groups_client(sqlite_server)
    admin.create_group(Name=f"{prefix}-web", ResourceQuery=tag_query({"k": []}))
    admin.create_group(Name=f"{prefix}-db", ResourceQuery=tag_query({"k": []}))
    key, secret = sqlite_server.new_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "resource-groups:Get*",
                    "Resource": f"arn:aws:resource-groups:*:*:group/{prefix}-web*",
                }
            ],
        },
    )
    user = groups_client(sqlite_server, access_key_id=key, secret_access_key=secret)
    assert user.get_group(Group=f"{prefix}-web")["Group"]["Name"] == f"{prefix}-web"
    assert user.get_group_query(Group=f"{prefix}-web")["GroupQuery"]["GroupName"]

    denied = error_of(user.get_group, Group=f"{prefix}-db")
    assert (denied.code, denied.status) == ("ForbiddenException", 403)
    assert "resource-groups:GetGroup" in denied.message
    assert GROUP_ARN + f"{prefix}-db" in denied.message
    missing = error_of(user.get_group, Group=f"{prefix}-dbx")
    assert missing.message == denied.message.replace(f"{prefix}-db", f"{prefix}-dbx")
    # Allowed to read a group that does not exist: then it is not found.
    assert error_of(user.get_group, Group=f"{prefix}-web-none").code == "NotFoundException"
    for refused in (
        error_of(user.delete_group, Group=f"{prefix}-web"),
        error_of(user.list_groups),
        error_of(user.create_group, Name=f"{prefix}-web2", ResourceQuery=tag_query({"k": []})),
    ):
        assert refused.code == "ForbiddenException"
    assert admin.get_group(Group=f"{prefix}-web")["Group"]["Name"] == f"{prefix}-web"


def test_ssm_permissions_grant_nothing_in_resource_groups(sqlite_server: ServerProcess) -> None:
    key, secret = sqlite_server.new_user(
        {"Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}
    )
    user = groups_client(sqlite_server, access_key_id=key, secret_access_key=secret)
    refused = error_of(user.create_group, Name="x-" + key, ResourceQuery=tag_query({"k": []}))
    assert refused.code == "ForbiddenException"
    assert "resource-groups:CreateGroup" in refused.message


def test_a_denied_group_is_left_out_of_the_listing(sqlite_server: ServerProcess) -> None:
    owner = uuid.uuid4().hex
    admin = groups_client(sqlite_server)
    for suffix in ("open", "secret"):
        admin.create_group(
            Name=f"{owner[:8]}-{suffix}", ResourceQuery=tag_query({"k": []}), Owner=owner
        )
    key, secret = sqlite_server.new_user(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "resource-groups:*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "resource-groups:GetGroup",
                    "Resource": GROUP_ARN + f"{owner[:8]}-secret",
                },
            ]
        },
    )
    user = groups_client(sqlite_server, access_key_id=key, secret_access_key=secret)
    mine: list[GroupFilterTypeDef] = [{"Name": "owner", "Values": [owner]}]
    listed = user.list_groups(Filters=mine)["GroupIdentifiers"]
    assert [g["GroupName"] for g in listed] == [f"{owner[:8]}-open"]
    assert error_of(user.get_group, Group=f"{owner[:8]}-secret").code == "ForbiddenException"
    everything = admin.list_groups(Filters=mine)["GroupIdentifiers"]
    assert len(everything) == 2


def test_signatures_are_for_resource_groups_alone(sqlite_server: ServerProcess) -> None:
    url = sqlite_server.url
    status, code, body = send_rest(rest_request(url, "POST", "/groups-list", b"{}", service="ssm"))
    assert (status, code) == (400, "InvalidSignatureException")
    assert "resource-groups" in body["Message"]
    status, code, _ = send_rest(rest_request(url, "POST", "/groups-list", b"{}"))
    assert (status, code) == (200, "")

    unsigned = rest_request(url, "POST", "/groups-list", b"{}")
    del unsigned.headers["Authorization"]
    status, code, _ = send_rest(unsigned)
    assert (status, code) == (403, "MissingAuthenticationTokenException")
    wrong_key = rest_request(url, "POST", "/groups-list", b"{}", secret_access_key="not-it")
    status, code, _ = send_rest(wrong_key)
    assert code == "InvalidSignatureException"
