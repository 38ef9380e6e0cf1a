"""Amazon Resource Names shaped like AWS's, with the partition following the region."""

from __future__ import annotations

from dataclasses import dataclass


def partition_for(region: str) -> str:
    """The AWS partition a region belongs to (aws, aws-cn, aws-us-gov, …)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("eu-isoe-"):
        return "aws-iso-e"
    return "aws"


@dataclass(frozen=True, slots=True, kw_only=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(
        partition=parts[1],
        service=parts[2],
        region=parts[3],
        account=parts[4],
        resource=parts[5],
    )


def service_arn(service: str, region: str, account: str, resource: str) -> str:
    """A regional resource's ARN, its partition following the region."""
    return str(
        Arn(
            partition=partition_for(region),
            service=service,
            region=region,
            account=account,
            resource=resource,
        )
    )


def ssm_arn(region: str, account: str, resource: str) -> str:
    return service_arn("ssm", region, account, resource)


def parameter_arn(region: str, account: str, name: str) -> str:
    """`/a/b` → `…:parameter/a/b`, `a` → `…:parameter/a` (the leading slash is not doubled)."""
    return ssm_arn(region, account, "parameter/" + name.lstrip("/"))


def document_arn(region: str, account: str, name: str) -> str:
    return ssm_arn(region, account, f"document/{name}")


def managed_instance_arn(region: str, account: str, instance_id: str) -> str:
    return ssm_arn(region, account, f"managed-instance/{instance_id}")


def group_arn(region: str, account: str, name: str) -> str:
    """A resource group's ARN, as AWS Resource Groups spells it."""
    return service_arn("resource-groups", region, account, f"group/{name}")


def user_arn(region: str, account: str, user_name: str) -> str:
    return str(
        Arn(
            partition=partition_for(region),
            service="iam",
            region="",
            account=account,
            resource=f"user/{user_name}",
        )
    )
