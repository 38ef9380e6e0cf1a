"""Issue 13's "done when", through boto3 on SQLite and PostgreSQL: an association of the Policy
document AWS-GatherSoftwareInventory on every host (Key=InstanceIds,Values=*, rate(30 minutes))
fills inventory for each of them from real agents, which ListInventoryEntries and GetInventory
then answer, and the association's status and compliance are reported as for any association.
SendCommand refuses the same document, as AWS does: Policy documents run through associations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentProcess, association_state, running_agents
from tests.aws_errors import error_of
from tests.clocked_server import ClockedServer
from tests.integration.inventory.support import entries, installed_packages
from tests.support import wait_until

pytestmark = pytest.mark.e2e

GATHER = "AWS-GatherSoftwareInventory"
WAIT_S = 90


def _associate(ssm: SSMClient, fleet: list[AgentProcess]) -> str:
    """Creates the association as the issue's "done when" does; its id once every host ran it."""
    created = ssm.create_association(
        Name=GATHER,
        Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
        ScheduleExpression="rate(30 minutes)",
    )["AssociationDescription"]

    def ran() -> bool:
        ended = {"Success", "Failed"}
        return all(
            association_state(ssm, a.instance_id, created["AssociationId"]).get("Status") in ended
            for a in fleet
        )

    wait_until(ran, timeout_s=WAIT_S)
    return created["AssociationId"]


@pytest.fixture(scope="module")
def gathered(
    clocked_fleet_server: ClockedServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[AgentProcess], str]]:
    """Two real agents, and the id of the inventory association that has run on both."""
    with running_agents(clocked_fleet_server, tmp_path_factory.mktemp("agents"), 2) as fleet:
        yield fleet, _associate(clocked_fleet_server.client(), fleet)


@pytest.fixture(scope="module")
def fleet(gathered: tuple[list[AgentProcess], str]) -> list[AgentProcess]:
    return gathered[0]


@pytest.fixture(scope="module")
def association_id(gathered: tuple[list[AgentProcess], str]) -> str:
    return gathered[1]


def test_every_host_reports_its_debian_packages(
    clocked_fleet_server: ClockedServer, fleet: list[AgentProcess], association_id: str
) -> None:
    ssm = clocked_fleet_server.client()
    installed = installed_packages()
    for agent in fleet:
        names = {a["Name"] for a in entries(ssm, agent.instance_id, "AWS:Application")}
        assert names == installed


def test_get_inventory_finds_every_host_with_a_package(
    clocked_fleet_server: ClockedServer, fleet: list[AgentProcess], association_id: str
) -> None:
    ssm = clocked_fleet_server.client()
    entities: list[Any] = []
    for page in ssm.get_paginator("get_inventory").paginate(
        Filters=[{"Key": "AWS:Application.Name", "Values": ["bash"], "Type": "Equal"}],
        ResultAttributes=[{"TypeName": "AWS:Application"}],
    ):
        entities += page["Entities"]
    assert sorted(e["Id"] for e in entities) == sorted(a.instance_id for a in fleet)
    for entity in entities:
        [bash] = entity["Data"]["AWS:Application"]["Content"]
        assert bash["Name"] == "bash"
        assert bash["Version"]


def test_the_association_reports_success_and_compliance(
    clocked_fleet_server: ClockedServer, fleet: list[AgentProcess], association_id: str
) -> None:
    ssm = clocked_fleet_server.client()
    for agent in fleet:
        state = association_state(ssm, agent.instance_id, association_id)
        assert (state["Name"], state["Status"]) == (GATHER, "Success"), state
        assert state["ExecutionSummary"].startswith("1 out of 1 plugin processed, 1 success")
        [item] = [
            i
            for i in ssm.list_compliance_items(
                ResourceIds=[agent.instance_id], ResourceTypes=["ManagedInstance"]
            )["ComplianceItems"]
            if i.get("Id") == association_id
        ]
        assert (item["ComplianceType"], item["Status"]) == ("Association", "COMPLIANT")
        assert item["Details"]["DocumentName"] == GATHER
    overview = ssm.describe_association(AssociationId=association_id)["AssociationDescription"][
        "Overview"
    ]
    assert overview["Status"] == "Success", overview
    assert overview["AssociationStatusAggregatedCount"] == {"Success": len(fleet)}, overview


def test_send_command_refuses_the_policy_document(
    clocked_fleet_server: ClockedServer, fleet: list[AgentProcess]
) -> None:
    ssm = clocked_fleet_server.client()
    refused = error_of(ssm.send_command, DocumentName=GATHER, InstanceIds=[fleet[0].instance_id])
    assert refused.code == "InvalidDocument"
    assert "association" in refused.message
