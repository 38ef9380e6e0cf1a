"""Transcripts where the session preferences say (s3BucketName, s3KeyPrefix): a shell's
transcript is written to that bucket on the S3-compatible service the server is configured
with (moto's server on loopback), under that prefix, and DescribeSessions' OutputUrl reads it
from there; a server with no S3 service refuses such preferences at StartSession."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.agents import AgentProcess
from tests.integration.commands.output_support import signed_get
from tests.integration.sessions.driver import history, shell_at_prompt
from tests.moto_server import s3_world as s3_world_of
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

PREFIX = "audit/shells"


def _preferences(bucket: str) -> str:
    return json.dumps(
        {
            "schemaVersion": "1.0",
            "description": "shell transcripts in a bucket",
            "sessionType": "Standard_Stream",
            "inputs": {"s3BucketName": bucket, "s3KeyPrefix": f"/{PREFIX}/"},
        }
    )


@pytest.fixture(scope="module")
def s3_world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, AgentProcess, Any, str]]:
    root = tmp_path_factory.mktemp("transcripts-s3")
    with s3_world_of(root, {"OPENSSM_HEARTBEAT_INTERVAL_S": "0.5"}) as world:
        yield world


def test_a_shells_transcript_goes_to_the_preferences_bucket_and_prefix(
    s3_world: tuple[ServerProcess, AgentProcess, Any, str],
) -> None:
    server, agent, s3, bucket = s3_world
    ssm = server.client()
    ssm.create_document(
        Name="SSM-SessionManagerRunShell", Content=_preferences(bucket), DocumentType="Session"
    )
    started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id))

    async def drive() -> None:
        session = await shell_at_prompt(started)
        await session.type("echo into-the-$((1+1))-bucket\r")
        await session.expect(r"[\r\n]into-the-2-bucket\r\n")
        await session.type("exit\r")
        await session.closed()

    asyncio.run(drive())
    ended = history(ssm, started["SessionId"])
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/sessions/")["Contents"]
    keys = sorted(item["Key"] for item in listed)
    assert keys
    assert all(started["SessionId"] in key for key in keys)
    stored = b"".join(s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys)
    assert b"into-the-2-bucket" in stored
    status, transcript = signed_get(ended["OutputUrl"]["S3OutputUrl"])
    assert status == 200
    assert transcript == stored


def test_a_bucket_without_an_s3_service_is_refused_at_start(
    session_server: ServerProcess, agent: AgentProcess
) -> None:
    ssm = session_server.client()
    name = f"Bucketed-{uuid.uuid4().hex[:8]}"
    ssm.create_document(Name=name, Content=_preferences("some-bucket"), DocumentType="Session")
    with pytest.raises(ClientError) as refused:
        ssm.start_session(Target=agent.instance_id, DocumentName=name)
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidDocument"
    assert "no S3-compatible service" in error["Message"]
