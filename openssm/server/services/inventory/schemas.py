"""Inventory types: AWS's built-in schemas, and the rules for Custom: type names.

Attributes marked aggregatable are those GetInventorySchema lists with ``Aggregator`` set
and GetInventory accepts in an aggregator Expression; number attributes are compared as
numbers by LessThan and GreaterThan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openssm.errors import InvalidTypeNameException

INSTANCE_INFORMATION = "AWS:InstanceInformation"
TAG = "AWS:Tag"
APPLICATION = "AWS:Application"
CUSTOM_PREFIX = "Custom:"
# A custom type: "Custom:" then a capital letter (AWS refuses custom:x and Custom:x).
_CUSTOM_NAME = re.compile(r"Custom:[A-Z][^\x00-\x1f]{0,92}")


@dataclass(frozen=True, slots=True)
class Schema:
    type_name: str
    version: str
    attributes: tuple[str, ...]
    aggregatable: tuple[str, ...] = ()
    numbers: frozenset[str] = frozenset()
    display_name: str = ""


def _schema(
    type_name: str, version: str, attributes: str, aggregatable: str = "", numbers: str = ""
) -> Schema:
    return Schema(
        type_name,
        version,
        tuple(attributes.split()),
        tuple(aggregatable.split()),
        frozenset(numbers.split()),
        type_name.partition(":")[2],
    )


BUILT_IN: dict[str, Schema] = {
    s.type_name: s
    for s in (
        _schema(
            INSTANCE_INFORMATION,
            "1.0",
            "AgentType AgentVersion ComputerName InstanceId IpAddress PlatformName PlatformType "
            "PlatformVersion ResourceType AgentStatus InstanceStatus",
            "PlatformName PlatformType PlatformVersion AgentVersion InstanceStatus ResourceType",
        ),
        _schema(
            APPLICATION,
            "1.1",
            "Name ApplicationType Publisher Version Release Epoch InstalledTime Architecture URL "
            "Summary PackageId",
            "Name Version Publisher Architecture ApplicationType",
        ),
        _schema(
            "AWS:AWSComponent",
            "1.0",
            "Name ApplicationType Publisher Version InstalledTime Architecture URL",
            "Name Version",
        ),
        _schema(
            "AWS:File",
            "1.0",
            "Name Size Description FileVersion InstalledDate ModificationTime LastAccessTime "
            "ProductName InstalledDir ProductLanguage CompanyName ProductVersion",
            "Name InstalledDir",
        ),
        _schema(
            "AWS:Network",
            "1.0",
            "Name SubnetMask Gateway DHCPServer DNSServer MacAddress IPV4 IPV6",
            "Name DNSServer Gateway",
        ),
        _schema(
            "AWS:Service",
            "1.0",
            "Name DisplayName ServiceType Status DependentServices ServicesDependedOn StartType",
            "Name DisplayName ServiceType Status StartType",
        ),
        _schema(
            "AWS:InstanceDetailedInformation",
            "1.0",
            "CPUModel CPUCores CPUs CPUSpeedMHz CPUSockets CPUHyperThreadEnabled OSServicePack",
            "CPUModel CPUCores CPUs CPUSockets CPUHyperThreadEnabled",
            "CPUCores CPUs CPUSpeedMHz CPUSockets",
        ),
        _schema("AWS:WindowsUpdate", "1.0", "HotFixId Description InstalledTime InstalledBy"),
        _schema(
            "AWS:WindowsRole",
            "1.0",
            "Name DisplayName Path FeatureType DependsOn Description Installed InstalledState "
            "SubFeatures ServerComponentDescriptor Parent",
            "Name DisplayName FeatureType Installed",
        ),
        _schema("AWS:WindowsRegistry", "1.0", "KeyPath ValueName ValueType Value"),
        _schema(TAG, "1.0", "Key Value", "Key Value"),
    )
}
# Types the server fills from its own fleet data; nobody may put them.
FROM_FLEET = frozenset({INSTANCE_INFORMATION, TAG})


def is_custom(type_name: str) -> bool:
    return type_name.startswith(CUSTOM_PREFIX)


def check_custom_name(type_name: str) -> None:
    if not _CUSTOM_NAME.fullmatch(type_name):
        raise InvalidTypeNameException(
            f"The inventory type name {type_name[:100]!r} is not valid: a custom type is "
            "named Custom: followed by a capital letter, at most 100 characters in all."
        )


def unknown_type(type_name: str) -> InvalidTypeNameException:
    return InvalidTypeNameException(
        f"The inventory type {type_name[:100]!r} is not a known type: use one of AWS's types "
        "or a Custom: type that was put before."
    )
