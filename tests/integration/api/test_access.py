"""Users, access keys and IAM-style policies, managed with `openssm admin`.

Rules checked: Allow/Deny with wildcards in Action and Resource, explicit Deny
wins, a denied call gets AccessDeniedException naming the action and the
resource, the same answer whether or not the resource exists (SECURITY.md #3),
the same decision for single and batch calls (#2), and a disabled or expired
key is refused at once (#5).
"""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.clocked_server import clocked_server
from tests.support import TEST_ACCOUNT_ID, ServerProcess


def _new_user(server: ServerProcess, policy: dict[str, Any] | None) -> tuple[str, SSMClient]:
    key_id, secret = server.new_user(policy)
    return key_id, server.client(access_key_id=key_id, secret_access_key=secret)


def test_policy_allows_by_resource_wildcard(sqlite_server: ServerProcess) -> None:
    prefix = f"/acc{uuid.uuid4().hex[:8]}"
    admin = sqlite_server.client()
    admin.put_parameter(Name=f"{prefix}/app/x", Value="1", Type="String")
    admin.put_parameter(Name=f"{prefix}/other/x", Value="2", Type="String")
    _, reader = _new_user(
        sqlite_server,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ssm:GetParameter*",
                    "Resource": f"arn:aws:ssm:*:*:parameter{prefix}/app/*",
                }
            ],
        },
    )
    assert reader.get_parameter(Name=f"{prefix}/app/x")["Parameter"]["Value"] == "1"
    denied = error_of(reader.get_parameter, Name=f"{prefix}/other/x")
    assert denied.code == "AccessDeniedException"
    arn = f"arn:aws:ssm:us-east-1:{TEST_ACCOUNT_ID}:parameter{prefix}/other/x"
    assert "ssm:GetParameter" in denied.message
    assert arn in denied.message
    # A resource that does not exist is refused with the same words (SECURITY.md #3).
    missing = error_of(reader.get_parameter, Name=f"{prefix}/other/nope")
    assert missing.message == denied.message.replace("/other/x", "/other/nope")
    # The batch form asks about every name (SECURITY.md #2).
    batch = error_of(reader.get_parameters, Names=[f"{prefix}/app/x", f"{prefix}/other/x"])
    assert batch.code == "AccessDeniedException"
    # Actions outside the policy are refused too.
    assert error_of(reader.describe_parameters).code == "AccessDeniedException"


def test_explicit_deny_wins(sqlite_server: ServerProcess) -> None:
    name = f"/deny{uuid.uuid4().hex[:8]}/x"
    sqlite_server.client().put_parameter(Name=name, Value="v", Type="String")
    _, user = _new_user(
        sqlite_server,
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ssm:DeleteParameter", "Resource": "*"},
            ]
        },
    )
    assert user.get_parameter(Name=name)["Parameter"]["Value"] == "v"
    error = error_of(user.delete_parameter, Name=name)
    assert error.code == "AccessDeniedException"
    assert "explicit deny" in error.message


def test_a_deny_holds_in_every_form_of_a_read(sqlite_server: ServerProcess) -> None:
    """SECURITY.md #2: a Deny of GetParameter can't be stepped around by a batch, a path
    walk, the history or a listing; the paths leave the parameter out, the rest refuse."""
    prefix = f"/forms{uuid.uuid4().hex[:8]}"
    secret, plain = f"{prefix}/app/secret", f"{prefix}/app/plain"
    admin = sqlite_server.client()
    admin.put_parameter(Name=secret, Value="canary-value", Type="SecureString")
    admin.put_parameter(Name=plain, Value="p", Type="String")
    admin.put_parameter(Name=f"{prefix}/app/z", Value="z", Type="String")
    secret_arn = f"arn:aws:ssm:us-east-1:{TEST_ACCOUNT_ID}:parameter{secret}"
    _, user = _new_user(
        sqlite_server,
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": ["ssm:GetParameter", "ssm:DescribeParameters"],
                    "Resource": secret_arn,
                },
            ]
        },
    )
    assert user.get_parameter(Name=plain)["Parameter"]["Value"] == "p"
    refusals = [
        error_of(user.get_parameter, Name=secret),
        error_of(user.get_parameters, Names=[plain, secret]),
        error_of(user.get_parameter_history, Name=secret),
    ]
    for error in refusals:
        assert error.code == "AccessDeniedException"
        assert "explicit deny" in error.message
    # Every page of a path walk and of a listing leaves the denied parameter out.
    for page_size in (10, 1):
        seen: list[str] = []
        for page in user.get_paginator("get_parameters_by_path").paginate(
            Path=prefix,
            Recursive=True,
            WithDecryption=True,
            PaginationConfig={"PageSize": page_size},
        ):
            seen += [p["Name"] for p in page["Parameters"]]
            assert "canary-value" not in json.dumps(page, default=str)
        assert seen == [plain, f"{prefix}/app/z"]
        listed: list[str] = []
        for listing in user.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [prefix]}],
            PaginationConfig={"PageSize": page_size},
        ):
            listed += [p["Name"] for p in listing["Parameters"]]
        assert sorted(listed) == [plain, f"{prefix}/app/z"]
    # The administrator, denied nothing, sees all three.
    everything = admin.get_parameters_by_path(Path=prefix, Recursive=True)["Parameters"]
    assert len(everything) == 3


def test_a_deny_of_one_delete_form_holds_for_the_other(sqlite_server: ServerProcess) -> None:
    name = f"/deldeny{uuid.uuid4().hex[:8]}/x"
    admin = sqlite_server.client()
    admin.put_parameter(Name=name, Value="v", Type="String")
    _, user = _new_user(
        sqlite_server,
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ssm:DeleteParameters", "Resource": "*"},
            ]
        },
    )
    assert error_of(user.delete_parameter, Name=name).code == "AccessDeniedException"
    assert error_of(user.delete_parameters, Names=[name]).code == "AccessDeniedException"
    assert admin.get_parameter(Name=name)["Parameter"]["Value"] == "v"


def test_user_without_policy_can_do_nothing(sqlite_server: ServerProcess) -> None:
    _, user = _new_user(sqlite_server, None)
    assert error_of(user.describe_parameters).code == "AccessDeniedException"


def test_disabled_key_is_refused_at_once(sqlite_server: ServerProcess) -> None:
    key_id, user = _new_user(
        sqlite_server, {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    user.describe_parameters()
    assert sqlite_server.admin("key", "disable", key_id).returncode == 0
    assert error_of(user.describe_parameters).code == "UnrecognizedClientException"
    assert sqlite_server.admin("key", "enable", key_id).returncode == 0
    user.describe_parameters()
    assert sqlite_server.admin("key", "delete", key_id).returncode == 0
    assert error_of(user.describe_parameters).code == "UnrecognizedClientException"


def test_policy_change_applies_at_once(sqlite_server: ServerProcess) -> None:
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    key_id, user = _new_user(sqlite_server, allow_all)
    user.describe_parameters()
    user.describe_parameters()  # the principal is now cached by the server
    user_name = next(
        line.split("\t")[1]
        for line in sqlite_server.admin("key", "list").stdout.splitlines()
        if line.startswith(key_id)
    )
    deny = {"Statement": [{"Effect": "Deny", "Action": "ssm:Describe*", "Resource": "*"}]}
    put = sqlite_server.admin("policy", "put", user_name, "deny", "--document", json.dumps(deny))
    assert put.returncode == 0, put.stderr
    assert error_of(user.describe_parameters).code == "AccessDeniedException"


def test_a_key_works_until_it_expires(tmp_path: Path) -> None:
    with clocked_server(tmp_path / "data") as server:
        name = "u" + uuid.uuid4().hex[:10]
        server.admin("user", "create", name)
        allow_all = '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
        server.admin("policy", "put", name, "all", "--document", allow_all)
        # The key's expiry is set from the real time, which the server's clock started at.
        created = server.admin("key", "create", name, "--expires-in-days", str(60 / 86400))
        lines = dict(line.split(" = ", 1) for line in created.stdout.strip().splitlines())
        user = server.client(
            access_key_id=lines["aws_access_key_id"],
            secret_access_key=lines["aws_secret_access_key"],
        )
        user.describe_parameters()
        server.clock.advance(30)
        user.describe_parameters()
        server.clock.advance(120)
        assert error_of(user.describe_parameters).code == "UnrecognizedClientException"


def test_data_is_scoped_by_region(sqlite_server: ServerProcess) -> None:
    name = f"/region{uuid.uuid4().hex[:8]}"
    sqlite_server.client(region="us-east-1").put_parameter(Name=name, Value="east", Type="String")
    west = sqlite_server.client(region="eu-west-1")
    assert error_of(west.get_parameter, Name=name).code == "ParameterNotFound"
    west.put_parameter(Name=name, Value="west", Type="String")
    found = west.get_parameter(Name=name)["Parameter"]
    assert found["Value"] == "west"
    assert found["ARN"] == f"arn:aws:ssm:eu-west-1:{TEST_ACCOUNT_ID}:parameter{name}"


def test_arn_partition_follows_the_region(sqlite_server: ServerProcess) -> None:
    name = f"/cn{uuid.uuid4().hex[:8]}"
    china = sqlite_server.client(region="cn-north-1")
    china.put_parameter(Name=name, Value="v", Type="String")
    arn = china.get_parameter(Name=name)["Parameter"]["ARN"]
    assert arn.startswith("arn:aws-cn:ssm:cn-north-1:")


def test_credentials_file_is_private_and_usable(
    sqlite_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sqlite_server.data_dir / "credentials"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.startswith("[openssm]\n")
    # The way a user points boto3 at the file the server wrote.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    session = boto3.Session(profile_name="openssm", region_name="us-east-1")
    client = session.client("ssm", endpoint_url=sqlite_server.url)
    assert "Parameters" in client.describe_parameters()


def test_admin_cli_refuses_a_malformed_policy(sqlite_server: ServerProcess) -> None:
    name = "u" + uuid.uuid4().hex[:10]
    sqlite_server.admin("user", "create", name)
    result = sqlite_server.admin("policy", "put", name, "bad", "--document", '{"Statement": 5}')
    assert result.returncode == 2
    assert "invalid policy" in result.stderr
