"""boto3's resource-groups client against a test server, and resource queries to give it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from types_boto3_resource_groups.client import ResourceGroupsClient
from types_boto3_resource_groups.type_defs import ResourceQueryTypeDef

from tests.integration.signing import exchange
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess


def groups_client(
    server: ServerProcess,
    *,
    access_key_id: str = ADMIN_KEY_ID,
    secret_access_key: str = ADMIN_SECRET,
    region: str = TEST_REGION,
    validate: bool = True,
) -> ResourceGroupsClient:
    """The client a user points at the server's one URL; ``validate=False`` sends what
    botocore would refuse to."""
    groups: ResourceGroupsClient = server.aws_client(
        "resource-groups",
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        region=region,
        validate=validate,
    )
    return groups


def tag_query(
    tags: dict[str, Sequence[str]],
    resource_types: Sequence[str] = ("AWS::SSM::ManagedInstance",),
) -> ResourceQueryTypeDef:
    """A TAG_FILTERS_1_0 query: every key of ``tags`` with one of its values (any if none)."""
    query = {
        "ResourceTypeFilters": list(resource_types),
        "TagFilters": [{"Key": k, "Values": list(v)} for k, v in tags.items()],
    }
    return {"Type": "TAG_FILTERS_1_0", "Query": json.dumps(query)}


def rest_request(
    url: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    service: str = "resource-groups",
    access_key_id: str = ADMIN_KEY_ID,
    secret_access_key: str = ADMIN_SECRET,
) -> AWSRequest:
    """A hand-made REST-JSON request signed for ``service``, for what boto3 would not send."""
    request = AWSRequest(
        method=method, url=url + path, data=body, headers={"Content-Type": "application/json"}
    )
    credentials = Credentials(access_key_id, secret_access_key)
    botocore.auth.SigV4Auth(credentials, service, TEST_REGION).add_auth(request)
    return request


def send_rest(request: AWSRequest) -> tuple[int, str, dict[str, Any]]:
    """Send it: (status, x-amzn-ErrorType or "", decoded JSON body)."""
    status, headers, body = exchange(request)
    return status, headers.get("x-amzn-ErrorType", ""), json.loads(body or b"{}")
