"""Command output in S3 (issue 10 item 6), with moto's server on loopback as the service the
server is configured with (``--s3-endpoint-url``): AWS's key layout, the URL the API gives,
and a stream past the server's cap kept up to it with a marker that says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agents import AgentProcess
from tests.integration.commands.output_support import ended_invocation
from tests.integration.conftest import FLEET_ENV
from tests.moto_server import s3_world as s3_world_of
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

CAP = 100_000
CAPPED = {"OPENSSM_OUTPUT_STREAM_MAX_BYTES": str(CAP)}


@pytest.fixture(scope="module")
def s3_world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, AgentProcess, Any, str]]:
    """A server whose S3 service is moto, one agent, and moto's client with a bucket."""
    with s3_world_of(tmp_path_factory.mktemp("s3"), {**FLEET_ENV, **CAPPED}) as world:
        yield world


def _object(s3: Any, bucket: str, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_output_lands_in_the_bucket_under_aws_key_layout(
    s3_world: tuple[ServerProcess, AgentProcess, Any, str],
) -> None:
    server, agent, s3, bucket = s3_world
    ssm = server.client()
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agent.instance_id],
        Parameters={"commands": ["echo hi", "echo oops >&2"]},
        OutputS3BucketName=bucket,
        OutputS3KeyPrefix="runs/nightly",
    )["Command"]["CommandId"]
    got = ended_invocation(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Success", got
    folder = f"runs/nightly/{command_id}/{agent.instance_id}/awsrunShellScript/0.awsrunShellScript"
    assert _object(s3, bucket, f"{folder}/stdout") == b"hi\n"
    assert _object(s3, bucket, f"{folder}/stderr") == b"oops\n"
    assert got["StandardOutputUrl"].endswith(f"/{bucket}/{folder}/stdout")


def test_a_stream_past_the_cap_is_kept_up_to_it_with_a_marker(
    s3_world: tuple[ServerProcess, AgentProcess, Any, str], tmp_path: Path
) -> None:
    server, agent, s3, bucket = s3_world
    ssm = server.client()
    size = 3 * CAP
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[agent.instance_id],
        Parameters={"commands": [f"python3 -c \"import sys; sys.stdout.write('x' * {size})\""]},
        OutputS3BucketName=bucket,
    )["Command"]["CommandId"]
    got = ended_invocation(ssm, command_id, agent.instance_id)
    assert got["Status"] == "Success", got
    key = f"{command_id}/{agent.instance_id}/awsrunShellScript/0.awsrunShellScript/stdout"
    kept = _object(s3, bucket, key)
    assert kept.startswith(b"x" * CAP)
    assert kept[CAP:].decode() == (
        f"\n[openssm: output cut here; the server keeps the first {CAP} bytes of a stream "
        f"(OPENSSM_OUTPUT_STREAM_MAX_BYTES) and this one had {size}]\n"
    )
    assert f"is cut at {CAP} of its {size} bytes" in server.logs()
    assert len(got["StandardOutputContent"]) == 24_000  # AWS's inline limit, as ever
