"""moto's server on loopback, standing in for an AWS service a user would run beside openssm
(an S3-compatible store, SNS, EventBridge): a real HTTP server, in a thread of the test
process, answering any AWS client pointed at its URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.agents import AgentFactory, AgentProcess
from tests.support import TEST_REGION, ServerProcess

# Any credentials do; moto checks none.
MOTO_KEY_ID = "testing"
MOTO_SECRET = "testing-secret"


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """The URL of a fresh moto server on 127.0.0.1, stopped on exit."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def moto_client(service: str, endpoint: str, region: str = "us-east-1") -> Any:
    """A boto3 client of ``service`` on the moto server at ``endpoint``."""
    import boto3

    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=MOTO_KEY_ID,
        aws_secret_access_key=MOTO_SECRET,
    )


@contextmanager
def s3_world(
    root: Path, env: Mapping[str, str]
) -> Iterator[tuple[ServerProcess, AgentProcess, Any, str]]:
    """A server whose S3 service is moto (and ``env``), one agent, and moto's S3 client with a
    fresh bucket; all stopped on exit."""
    with moto_endpoint() as endpoint:
        s3 = moto_client("s3", endpoint, TEST_REGION)
        bucket = f"bucket-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        server = ServerProcess(
            data_dir=root / "server",
            env={
                **env,
                "OPENSSM_S3_ENDPOINT_URL": endpoint,
                "OPENSSM_S3_ACCESS_KEY_ID": MOTO_KEY_ID,
                "OPENSSM_S3_SECRET_ACCESS_KEY": MOTO_SECRET,
            },
        )
        server.start()
        agents = AgentFactory(server=server, root=root)
        try:
            (agent,) = agents(1)
            yield server, agent, s3, bucket
        finally:
            agents.stop_all()
            server.stop()
