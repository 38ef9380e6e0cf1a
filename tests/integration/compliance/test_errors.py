"""PutComplianceItems refusals, each with AWS's exception name and a message naming the fault.

AWS's modelled errors: InvalidResourceId (not a registered managed node), InvalidResourceType
(only ManagedInstance), ComplianceTypeCountLimitExceededException (at most 10 custom types;
openssm counts per resource), InvalidItemContentException, ItemSizeLimitExceededException
and TotalSizeLimitExceededException (openssm's limits: 32 KiB an item, 1 MiB a request).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import ComplianceItemEntryTypeDef

from tests.aws_errors import AwsError, error_of
from tests.integration.channel_client import register_hosts
from tests.integration.compliance.support import custom_type, item, put
from tests.support import ServerProcess


@pytest.fixture(scope="module")
def host(server: ServerProcess) -> str:
    [instance_id] = register_hosts(server, 1)
    return instance_id


def _refused(ssm: SSMClient, **overrides: Any) -> AwsError:
    request: dict[str, Any] = {
        "ResourceId": "mi-00000000000000000",
        "ResourceType": "ManagedInstance",
        "ComplianceType": "Custom:Refused",
        "ExecutionSummary": {"ExecutionTime": dt.datetime.now(dt.UTC)},
        "Items": [item("x")],
        **overrides,
    }
    return error_of(ssm.put_compliance_items, **request)


def _big(count: int) -> dict[str, str]:
    return {f"k{n}": "v" * 4096 for n in range(count)}


def test_unknown_instance_is_invalid_resource_id(ssm: SSMClient) -> None:
    error = _refused(ssm)
    assert error.code == "InvalidResourceId"
    assert "mi-00000000000000000" in error.message


def test_other_resource_types_are_invalid(ssm: SSMClient, host: str) -> None:
    error = _refused(ssm, ResourceId=host, ResourceType="Document")
    assert error.code == "InvalidResourceType"
    assert "ManagedInstance" in error.message


def test_types_are_reserved_or_custom(ssm: SSMClient, host: str) -> None:
    error = _refused(ssm, ResourceId=host, ComplianceType="Firewall")
    assert error.code == "ValidationException"
    assert "Custom:" in error.message
    assert _refused(ssm, ResourceId=host, ComplianceType="Custom:x").code == (
        "ValidationException"
    )  # the model's pattern wants two characters after Custom:


def test_eleventh_custom_type_is_over_the_limit(server: ServerProcess, ssm: SSMClient) -> None:
    [fresh] = register_hosts(server, 1)
    for _ in range(10):
        put(ssm, fresh, custom_type(), [item("a")])
    error = _refused(ssm, ResourceId=fresh, ComplianceType=custom_type())
    assert error.code == "ComplianceTypeCountLimitExceededException"
    assert "10" in error.message
    put(ssm, fresh, "Association", [item("a")])  # reserved types do not count


@pytest.mark.parametrize(
    ("items", "code", "says"),
    [
        ([item("same"), item("same")], "InvalidItemContentException", "same"),
        ([item("i" * 101)], "InvalidItemContentException", "100"),
        ([item("big", Details=_big(9))], "ItemSizeLimitExceededException", "32768"),
        (
            [item(f"n{n}", Details=_big(7)) for n in range(40)],
            "TotalSizeLimitExceededException",
            "1048576",
        ),
    ],
)
def test_item_content_and_sizes(
    ssm: SSMClient, host: str, items: list[ComplianceItemEntryTypeDef], code: str, says: str
) -> None:
    error = _refused(ssm, ResourceId=host, Items=items)
    assert (error.code, error.status) == (code, 400)
    assert says in error.message
