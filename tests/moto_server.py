"""moto's server on loopback, standing in for an AWS service a user would run beside openssm
(an S3-compatible store, SNS, EventBridge): a real HTTP server, in a thread of the test
process, answering any AWS client pointed at its URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
