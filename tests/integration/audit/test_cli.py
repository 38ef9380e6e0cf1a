"""`openssm audit` and `aws cloudtrail lookup-events` against a real server, as people run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.clocked_server import ClockedServer
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION


def _env(server: ClockedServer) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "COLUMNS": "60",  # a narrow terminal's width must not cut anything when piped
    }


def _audit(server: ClockedServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openssm", "audit", "--endpoint-url", server.url, *args],
        capture_output=True,
        text=True,
        env=_env(server),
        check=False,
        timeout=60,
    )


def _send_command(server: ClockedServer) -> str:
    sent = server.client().send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Audit", "Values": [uuid.uuid4().hex]}],
        Parameters={"commands": ["uptime"]},
    )
    return sent["ResponseMetadata"]["RequestId"]


def test_audit_since_an_hour_lists_a_send_command_with_who_made_it(
    audit_server: ClockedServer,
) -> None:
    _send_command(audit_server)
    deny_all = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    policy = {"Version": "2012-10-17", "Statement": [deny_all]}
    key, secret = audit_server.new_user(policy)
    name = f"/cli/{uuid.uuid4().hex}/{'long' * 20}"
    with pytest.raises(Exception, match="AccessDenied"):
        audit_server.client(access_key_id=key, secret_access_key=secret).put_parameter(
            Name=name, Value="v", Type="String"
        )
    shown = _audit(audit_server, "--since", "1h")
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if "ssm:SendCommand" in line]
    assert rows
    for word in ("admin", "127.0.0.1", "OK"):
        assert word in rows[0]
    # Not a terminal: the long ARN of the refused call is printed whole, on one line.
    denied = [line for line in shown.stdout.splitlines() if "ssm:PutParameter" in line]
    assert any(name.lstrip("/") in line and "AccessDenied" in line for line in denied)


def test_audit_filters_by_user_and_operation_and_prints_json(
    audit_server: ClockedServer,
) -> None:
    request_id = _send_command(audit_server)
    audit_server.client().describe_parameters()
    shown = _audit(audit_server, "--user", "admin", "--operation", "SendCommand", "--json")
    assert shown.returncode == 0, shown.stderr
    records = json.loads(shown.stdout)
    assert {r["eventName"] for r in records} == {"SendCommand"}
    assert request_id in {r["requestID"] for r in records}
    assert all(r["userIdentity"]["userName"] == "admin" for r in records)


def test_a_bad_duration_is_one_line(audit_server: ClockedServer) -> None:
    shown = _audit(audit_server, "--since", "yesterday")
    assert shown.returncode == 2
    assert "is not a duration like 90s, 15m, 1h or 7d" in shown.stderr
    assert "Traceback" not in shown.stderr


@pytest.mark.cli
def test_aws_cloudtrail_lookup_events_reads_the_trail(audit_server: ClockedServer) -> None:
    request_id = _send_command(audit_server)
    aws = Path(sys.executable).with_name("aws")
    done = subprocess.run(
        [str(aws), "cloudtrail", "lookup-events", "--endpoint-url", audit_server.url,
         "--lookup-attributes", "AttributeKey=EventName,AttributeValue=SendCommand",
         "--output", "json"],
        capture_output=True, text=True, env=_env(audit_server), check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    assert request_id in {r["requestID"] for r in records}
    assert all(e["Username"] == "admin" for e in events)
