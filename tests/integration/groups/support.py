"""boto3's resource-groups client against a test server, and resource queries to give it."""

from __future__ import annotations

import json
from collections.abc import Sequence

import boto3
from botocore.config import Config
from types_boto3_resource_groups.client import ResourceGroupsClient
from types_boto3_resource_groups.type_defs import ResourceQueryTypeDef

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
    return boto3.client(
        "resource-groups",
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate
        ),
    )


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
