"""No principal can widen its own permissions (SECURITY.md #4).

Users, keys, policies and the run-as tag are kept by `openssm admin` on the server's host and by
nothing on the wire. These tests take a user whose policy allows every action on every resource
the API serves, try each way a caller could reach its own identity over the wire (IAM's calls on
the same endpoint, tags on a user, a tag that names the run-as user on its own instance), and
check afterwards that a second user's narrower policy still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.parsers
import pytest

from tests.aws_errors import error_of
from tests.support import ServerProcess

ALLOW_ALL = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY = {
    "Statement": [{"Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"}]
}


def _iam(server: ServerProcess, key_id: str, secret: str) -> Any:  # no IAM stubs are installed
    return server.aws_client("iam", access_key_id=key_id, secret_access_key=secret)


def _user_of(server: ServerProcess, key_id: str) -> str:
    listed = server.admin("key", "list").stdout.splitlines()
    return next(line.split("\t")[1] for line in listed if line.startswith(key_id))


def test_iam_calls_on_the_endpoint_change_nothing(sqlite_server: ServerProcess) -> None:
    admin_key, admin_secret = sqlite_server.new_user(ALLOW_ALL)
    narrow_key, narrow_secret = sqlite_server.new_user(READ_ONLY)
    narrow = sqlite_server.client(access_key_id=narrow_key, secret_access_key=narrow_secret)
    narrow_name = _user_of(sqlite_server, narrow_key)
    iam = _iam(sqlite_server, admin_key, admin_secret)
    attempts: list[Callable[[], object]] = [
        lambda: iam.put_user_policy(
            UserName=narrow_name, PolicyName="widen", PolicyDocument='{"Statement": []}'
        ),
        lambda: iam.create_access_key(UserName=narrow_name),
        lambda: iam.tag_user(
            UserName=narrow_name, Tags=[{"Key": "SSMSessionRunAs", "Value": "root"}]
        ),
    ]
    for attempt in attempts:
        # The endpoint answers IAM's calls with an SSM-style JSON refusal (the credential is
        # scoped to a service it does not serve), which IAM's XML parser cannot read.
        with pytest.raises(botocore.parsers.ResponseParserError) as refused:
            attempt()
        assert "InvalidSignatureException" in str(refused.value)
        assert "scoped to correct service" in str(refused.value)
    narrow.describe_parameters()
    assert error_of(narrow.get_parameters_by_path, Path="/").code == "AccessDeniedException"
    keys = sqlite_server.admin("key", "list").stdout
    assert sum(line.split("\t")[1] == narrow_name for line in keys.splitlines()) == 1


def test_a_user_is_not_a_taggable_resource(sqlite_server: ServerProcess) -> None:
    key_id, secret = sqlite_server.new_user(ALLOW_ALL)
    user = sqlite_server.client(access_key_id=key_id, secret_access_key=secret)
    name = _user_of(sqlite_server, key_id)
    for resource_type in ("User", "IAMUser", "Role"):
        refused = error_of(
            user.add_tags_to_resource,
            ResourceType=resource_type,
            ResourceId=name,
            Tags=[{"Key": "SSMSessionRunAs", "Value": "root"}],
        )
        assert refused.code in {"InvalidResourceType", "ValidationException"}
        assert resource_type in refused.message
