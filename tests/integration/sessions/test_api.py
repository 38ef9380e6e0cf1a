"""Session Manager's API with AWS's shapes, errors and authorization, against a real server and
a test-side agent on the real channel (the session itself is in the end-to-end tests):
StartSession's id, URL and token, the session_start frame the agent gets, ResumeSession,
TerminateSession, DescribeSessions and its filters, GetConnectionStatus, ssm:StartSession on
both the node and the document (the default shell document included), ``${aws:username}``
for "only my own sessions", the SSMSessionRunAs tag, and a KMS document refused.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import SessionFilterTypeDef
from websockets.sync.client import connect

from tests.aws_errors import error_of
from tests.integration.channel_client import Identity, activate, register, signed_hello
from tests.integration.commands.driver import DrivenAgent
from tests.support import TEST_ACCOUNT_ID, ServerProcess

NODE_ARNS = f"arn:aws:ssm:*:{TEST_ACCOUNT_ID}:managed-instance/*"
SHELL_DOC = f"arn:aws:ssm:*:{TEST_ACCOUNT_ID}:document/SSM-SessionManagerRunShell"
PORT_DOC = "arn:aws:ssm:*::document/AWS-StartPortForwardingSession"


@pytest.fixture(scope="module")
def agent(server: ServerProcess) -> Iterator[DrivenAgent]:
    activation_id, code = activate(server.client())
    identity = register(server.url, activation_id, code)
    driven = DrivenAgent(server.url, identity).connect()
    try:
        yield driven
    finally:
        driven.disconnect()


def _user(server: ServerProcess, policy: dict[str, Any] | None) -> tuple[str, SSMClient]:
    """A new user (name, client) with ``policy``."""
    name = "u" + uuid.uuid4().hex[:10]
    assert server.admin("user", "create", name).returncode == 0
    created = server.admin("key", "create", name)
    lines = dict(line.split(" = ", 1) for line in created.stdout.strip().splitlines())
    if policy is not None:
        put = server.admin("policy", "put", name, "p", "--document", json.dumps(policy))
        assert put.returncode == 0, put.stderr
    client = server.client(
        access_key_id=lines["aws_access_key_id"], secret_access_key=lines["aws_secret_access_key"]
    )
    return name, client


def _allow(*statements: tuple[str | list[str], str | list[str]]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": a, "Resource": r} for a, r in statements],
    }


def test_start_session_answers_an_id_a_stream_url_and_a_token(
    server: ServerProcess, ssm: SSMClient, agent: DrivenAgent
) -> None:
    started = ssm.start_session(Target=agent.instance_id, Reason="looking around")
    session_id = started["SessionId"]
    assert re.fullmatch(r"admin-[0-9a-f]{17}", session_id), session_id
    host = server.url.removeprefix("http://")
    assert started["StreamUrl"] == (
        f"ws://{host}/v1/data-channel/{session_id}?role=publish_subscribe"
    )
    assert len(started["TokenValue"]) >= 40
    frame = agent.next_frame("session_start")
    assert frame["session_id"] == session_id
    assert frame["session_type"] == "Standard_Stream"
    # Run-as is off in the default preferences: the agent's own default, never root.
    assert frame["run_as"] == ""
    assert frame["idle_timeout_s"] == 20 * 60

    active = ssm.describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": session_id}]
    )["Sessions"]
    assert len(active) == 1
    assert active[0]["Status"] == "Connecting"
    assert active[0]["Target"] == agent.instance_id
    assert active[0]["DocumentName"] == "SSM-SessionManagerRunShell"
    assert active[0]["Owner"] == f"arn:aws:iam::{TEST_ACCOUNT_ID}:user/admin"
    assert active[0]["Reason"] == "looking around"

    resumed = ssm.resume_session(SessionId=session_id)
    assert resumed["SessionId"] == session_id
    assert resumed["TokenValue"] not in ("", started["TokenValue"])

    assert ssm.terminate_session(SessionId=session_id)["SessionId"] == session_id
    ended = agent.next_frame("session_end")
    assert ended["session_id"] == session_id
    history = ssm.describe_sessions(
        State="History", Filters=[{"key": "SessionId", "value": session_id}]
    )["Sessions"]
    assert [s["Status"] for s in history] == ["Terminated"]
    assert "EndDate" in history[0]
    # An ended session resumes with an empty token, which makes AWS's plugin exit.
    assert ssm.resume_session(SessionId=session_id)["TokenValue"] == ""


def test_a_node_that_is_not_connected_is_refused(ssm: SSMClient, agent: DrivenAgent) -> None:
    err = error_of(ssm.start_session, Target="mi-00000000000000000")
    assert err.code == "TargetNotConnected"
    assert "mi-00000000000000000 is not connected" in err.message
    assert ssm.get_connection_status(Target="mi-00000000000000000")["Status"] == "notconnected"
    got = ssm.get_connection_status(Target=agent.instance_id)
    assert got == {"Target": agent.instance_id, "Status": "connected", **_meta(got)}


def _meta(answer: Any) -> dict[str, Any]:
    return {"ResponseMetadata": answer["ResponseMetadata"]}


def test_resume_of_an_unknown_session_does_not_exist(ssm: SSMClient) -> None:
    err = error_of(ssm.resume_session, SessionId="admin-00000000000000000")
    assert err.code == "DoesNotExistException"


def test_a_policy_for_port_forwarding_refuses_a_shell(
    server: ServerProcess, agent: DrivenAgent
) -> None:
    _name, client = _user(server, _allow(("ssm:StartSession", [NODE_ARNS, PORT_DOC])))
    err = error_of(client.start_session, Target=agent.instance_id)
    assert err.code == "AccessDeniedException"
    assert "document/SSM-SessionManagerRunShell" in err.message
    started = client.start_session(
        Target=agent.instance_id,
        DocumentName="AWS-StartPortForwardingSession",
        Parameters={"portNumber": ["5432"], "localPortNumber": ["15432"]},
    )
    frame = agent.next_frame("session_start")
    assert frame["session_id"] == started["SessionId"]
    assert frame["session_type"] == "Port"
    assert frame["properties"]["portNumber"] == "5432"
    assert frame["properties"]["type"] == "LocalPortForwarding"


def test_the_document_alone_is_not_enough(server: ServerProcess, agent: DrivenAgent) -> None:
    _name, client = _user(server, _allow(("ssm:StartSession", SHELL_DOC)))
    err = error_of(client.start_session, Target=agent.instance_id)
    assert err.code == "AccessDeniedException"
    assert f"managed-instance/{agent.instance_id}" in err.message


def test_users_terminate_only_their_own_sessions(server: ServerProcess, agent: DrivenAgent) -> None:
    own = _allow(
        ("ssm:StartSession", [NODE_ARNS, SHELL_DOC]),
        (
            ["ssm:TerminateSession", "ssm:ResumeSession"],
            "arn:aws:ssm:*:*:session/${aws:username}-*",
        ),
    )
    alice_name, alice = _user(server, own)
    _bob_name, bob = _user(server, own)
    session_id = alice.start_session(Target=agent.instance_id)["SessionId"]
    assert session_id.startswith(f"{alice_name}-")
    for kind in ("session_start",):
        agent.next_frame(kind)
    err = error_of(bob.terminate_session, SessionId=session_id)
    assert err.code == "AccessDeniedException"
    assert error_of(bob.resume_session, SessionId=session_id).code == "AccessDeniedException"
    alice.resume_session(SessionId=session_id)
    alice.terminate_session(SessionId=session_id)
    assert agent.next_frame("session_end")["session_id"] == session_id


def test_run_as_follows_the_users_tag_then_the_documents_default(
    server: ServerProcess, ssm: SSMClient, agent: DrivenAgent
) -> None:
    doc = f"RunAs-{uuid.uuid4().hex[:8]}"
    content = {
        "schemaVersion": "1.0",
        "description": "shell as a chosen user",
        "sessionType": "Standard_Stream",
        "inputs": {"runAsEnabled": True, "runAsDefaultUser": "deploy", "idleSessionTimeout": "5"},
    }
    ssm.create_document(Name=doc, Content=json.dumps(content), DocumentType="Session")
    policy = _allow(("ssm:StartSession", [NODE_ARNS, f"arn:aws:ssm:*:*:document/{doc}"]))
    name, client = _user(server, policy)

    client.start_session(Target=agent.instance_id, DocumentName=doc)
    frame = agent.next_frame("session_start")
    assert (frame["run_as"], frame["idle_timeout_s"]) == ("deploy", 300)

    assert server.admin("user", "run-as", name, "operator").returncode == 0
    client.start_session(Target=agent.instance_id, DocumentName=doc)
    assert agent.next_frame("session_start")["run_as"] == "operator"

    assert server.admin("user", "run-as", name, "--clear").returncode == 0
    assert server.admin("user", "run-as", name, "not a user").returncode == 2


def test_run_as_with_nobody_named_is_refused(ssm: SSMClient, agent: DrivenAgent) -> None:
    doc = f"RunAsNobody-{uuid.uuid4().hex[:8]}"
    content = {
        "schemaVersion": "1.0",
        "sessionType": "Standard_Stream",
        "inputs": {"runAsEnabled": True},
    }
    ssm.create_document(Name=doc, Content=json.dumps(content), DocumentType="Session")
    err = error_of(ssm.start_session, Target=agent.instance_id, DocumentName=doc)
    assert err.code == "InvalidDocument"
    assert "SSMSessionRunAs" in err.message


def test_a_document_asking_for_kms_is_refused(ssm: SSMClient, agent: DrivenAgent) -> None:
    doc = f"Kms-{uuid.uuid4().hex[:8]}"
    content = {
        "schemaVersion": "1.0",
        "sessionType": "Standard_Stream",
        "inputs": {"kmsKeyId": "alias/sessions"},
    }
    ssm.create_document(Name=doc, Content=json.dumps(content), DocumentType="Session")
    err = error_of(ssm.start_session, Target=agent.instance_id, DocumentName=doc)
    assert err.code == "InvalidDocument"
    assert "KMS" in err.message
    err = error_of(ssm.start_session, Target=agent.instance_id, DocumentName="AWS-RunShellScript")
    assert err.code == "InvalidDocument"
    assert "not a Session document" in err.message


def test_describe_sessions_filters_and_pages(ssm: SSMClient, agent: DrivenAgent) -> None:
    ids = [ssm.start_session(Target=agent.instance_id)["SessionId"] for _ in range(3)]
    for _ in ids:
        agent.next_frame("session_start")
    mine: list[SessionFilterTypeDef] = [
        {"key": "Target", "value": agent.instance_id},
        {"key": "Owner", "value": f"arn:aws:iam::{TEST_ACCOUNT_ID}:user/admin"},
        {"key": "Status", "value": "Connecting"},
        {"key": "InvokedAfter", "value": "2020-01-01T00:00:00Z"},
    ]
    seen: list[str] = []
    token: str | None = None
    while True:
        page = ssm.describe_sessions(
            State="Active", Filters=mine, MaxResults=2, **({"NextToken": token} if token else {})
        )
        assert len(page["Sessions"]) <= 2
        seen += [s["SessionId"] for s in page["Sessions"]]
        token = page.get("NextToken")
        if not token:
            break
    assert set(ids) <= set(seen)
    assert len(seen) == len(set(seen))
    before: list[SessionFilterTypeDef] = [{"key": "InvokedBefore", "value": "2020-01-01T00:00:00Z"}]
    assert ssm.describe_sessions(State="Active", Filters=before)["Sessions"] == []
    err = error_of(ssm.describe_sessions, State="Active", Filters=[{"key": "Nope", "value": "x"}])
    assert err.code in ("InvalidFilterKey", "ValidationException")
    err = error_of(
        ssm.describe_sessions, State="Active", Filters=[{"key": "Status", "value": "Sleeping"}]
    )
    assert err.code == "InvalidFilterValue"
    for session_id in ids:
        ssm.terminate_session(SessionId=session_id)


def _open_leg(server: ServerProcess, session_id: str, identity: Identity) -> dict[str, Any]:
    """Open the agent's leg of ``session_id`` as ``identity``: the server's answer to the
    hello (welcome or rejected)."""
    url = "ws" + server.url.removeprefix("http") + f"/agent/v1/session/{session_id}"
    with connect(url, open_timeout=10, close_timeout=2) as ws:
        challenge = json.loads(ws.recv(timeout=10))
        ws.send(json.dumps(signed_hello(identity, challenge["nonce"])))
        answer: dict[str, Any] = json.loads(ws.recv(timeout=10))
        return answer


def test_only_the_target_agent_opens_a_sessions_leg(
    server: ServerProcess, ssm: SSMClient, agent: DrivenAgent
) -> None:
    """SECURITY.md #7: agent B can neither carry nor read A's session."""
    activation_id, code = activate(ssm)
    other = register(server.url, activation_id, code)
    session_id = ssm.start_session(Target=agent.instance_id)["SessionId"]
    agent.next_frame("session_start")
    refused = _open_leg(server, session_id, other)
    assert refused["type"] == "rejected"
    assert _open_leg(server, "admin-00000000000000000", agent.identity)["type"] == "rejected"
    # The same words whether the session is another node's or does not exist at all.
    assert refused["message"] == _open_leg(server, "nope", other)["message"]
    assert _open_leg(server, session_id, agent.identity)["type"] == "welcome"
    ssm.terminate_session(SessionId=session_id)
