"""`openssm output COMMAND_ID --full`: every step's whole output, not only its first characters.

Each step's standard output and standard error are read through the server's output route
(``/output/<command>/<instance>/<plugin>/<step>/<stream>``, a SigV4-signed GET with the same
credentials as the API calls), wherever the server keeps them: its own store or the S3 bucket
the command named. One node with one step prints its output as it is, standard error to
standard error; several print each under a header line naming the node and the step.
"""

from __future__ import annotations

import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

ROUTE = "/output/"
_CHUNK = 64 * 1024


def route_url(endpoint_url: str, output_url: str, command_id: str, instance_id: str) -> str:
    """The server's route for an output URL the API gave (its own, or an S3 object's)."""
    base = endpoint_url.rstrip("/")
    if output_url.startswith(base + ROUTE):
        return output_url
    start = output_url.find(f"/{command_id}/{instance_id}/")
    if start < 0:
        raise ValueError(f"{output_url} is not an output URL of command {command_id}")
    return base + ROUTE + output_url[start + 1 :]


def signed_get(ssm: SSMClient, url: str) -> Iterator[bytes]:
    """GET ``url`` signed as the SSM client signs its calls; the body in chunks."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    client: Any = ssm
    credentials = client._request_signer._credentials  # the client's own resolved credentials
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(credentials.get_frozen_credentials(), "ssm", ssm.meta.region_name).add_auth(request)
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise ValueError(f"{url} is not an http(s) URL")
    signed = urllib.request.Request(url, headers=dict(request.headers.items()))  # noqa: S310 - http(s) checked above
    with urllib.request.urlopen(signed, timeout=60) as answer:  # noqa: S310 - as above
        while chunk := answer.read(_CHUNK):
            yield chunk


def show(ssm: SSMClient, command_id: str, invocations: list[dict[str, Any]]) -> None:
    """Write every step's whole output: standard output to stdout, standard error to stderr."""
    steps = [(i, p) for i in invocations for p in i["CommandPlugins"]]
    headed = len(steps) > 1
    endpoint = ssm.meta.endpoint_url
    for item, plugin in steps:
        for url, out in (
            (plugin["StandardOutputUrl"], sys.stdout),
            (plugin["StandardErrorUrl"], sys.stderr),
        ):
            text = plugin["Output"] if not url and out is sys.stdout else ""
            if headed:
                _write(out, f"== {item['InstanceId']} {plugin['Name']} ==\n".encode())
            if url:
                route = route_url(endpoint, url, command_id, item["InstanceId"])
                for chunk in signed_get(ssm, route):
                    _write(out, chunk)
            elif text:
                _write(out, text.encode())


def _write(out: TextIO, data: bytes) -> None:
    out.flush()
    out.buffer.write(data)
    out.buffer.flush()
