"""A real agent collects this host's real inventory (dpkg is here) with aws:softwareInventory,
and it is queryable through boto3 (issue 13's "done when").

AWS-GatherSoftwareInventory is a Policy document, which only associations run (SendCommand
refuses it, as AWS does; test_association.py runs it that way). Here the same document's steps
and parameters run through SendCommand as a Command document of the test's own, so that each
test gathers on demand with the parameters it wants and reads the step's output.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentFactory, AgentProcess
from tests.integration.inventory.support import entries, installed_packages
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

GATHER = "InventoryGather-" + uuid.uuid4().hex[:8]
RACK = "Custom:RackInformation"


def _command_document(ssm: SSMClient) -> None:
    """AWS-GatherSoftwareInventory's parameters and step, as a Command document."""
    text = resources.files("openssm.documents.catalog").joinpath("AWS-GatherSoftwareInventory.json")
    content = json.loads(text.read_text(encoding="utf-8"))
    content["schemaVersion"] = "2.2"
    ssm.create_document(
        Name=GATHER, Content=json.dumps(content), DocumentType="Command", DocumentFormat="JSON"
    )


@pytest.fixture(scope="module")
def agent(
    fleet_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentProcess]:
    factory = AgentFactory(server=fleet_server, root=tmp_path_factory.mktemp("agents"))
    _command_document(fleet_server.client())
    try:
        [started] = factory(1)
        yield started
    finally:
        factory.stop_all()


def _gather(ssm: SSMClient, agent: AgentProcess, **parameters: list[str]) -> dict[str, Any]:
    command_id = ssm.send_command(
        DocumentName=GATHER, InstanceIds=[agent.instance_id], Parameters=parameters
    )["Command"]["CommandId"]

    def ended() -> dict[str, Any] | None:
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=agent.instance_id)
        return dict(got) if got["Status"] not in {"Pending", "InProgress", "Delayed"} else None

    result = wait_until(ended, timeout_s=90, interval_s=0.2)
    assert result["Status"] == "Success", result
    return result


@pytest.fixture(scope="module")
def gathered(fleet_server: ServerProcess, agent: AgentProcess) -> dict[str, Any]:
    custom = agent.state_dir / "inventory" / "custom"
    custom.mkdir(parents=True, mode=0o700)
    (custom / "rack.json").write_text(
        json.dumps({"SchemaVersion": "1.0", "TypeName": RACK, "Content": {"Rack": "R7"}})
    )
    files = json.dumps([{"Path": str(custom), "Pattern": ["*.json"], "Recursive": False}])
    return _gather(fleet_server.client(), agent, files=[files])


def test_list_inventory_entries_lists_this_hosts_debian_packages(
    fleet_server: ServerProcess, agent: AgentProcess, gathered: dict[str, Any]
) -> None:
    apps = entries(fleet_server.client(), agent.instance_id, "AWS:Application")
    assert {a["Name"] for a in apps} == installed_packages()
    bash = next(a for a in apps if a["Name"] == "bash")
    assert bash["PackageId"].startswith("bash_")
    assert bash["Architecture"] == "x86_64"
    assert "AWS:Application: " in gathered["StandardOutputContent"]


def test_get_inventory_filter_finds_the_host(
    fleet_server: ServerProcess, agent: AgentProcess, gathered: dict[str, Any]
) -> None:
    ssm = fleet_server.client()
    found = ssm.get_inventory(
        Filters=[{"Key": "AWS:Application.Name", "Values": ["bash"], "Type": "Equal"}],
        ResultAttributes=[{"TypeName": "AWS:Application"}],
    )["Entities"]
    mine = [e for e in found if e["Id"] == agent.instance_id]
    assert len(mine) == 1
    assert [a["Name"] for a in mine[0]["Data"]["AWS:Application"]["Content"]] == ["bash"]


def test_every_gatherer_reported(
    fleet_server: ServerProcess, agent: AgentProcess, gathered: dict[str, Any]
) -> None:
    ssm = fleet_server.client()
    assert entries(ssm, agent.instance_id, RACK) == [{"Rack": "R7"}]
    [cpu] = entries(ssm, agent.instance_id, "AWS:InstanceDetailedInformation")
    assert int(cpu["CPUs"]) >= 1
    assert any(n["Name"] == "lo" for n in entries(ssm, agent.instance_id, "AWS:Network"))
    services = entries(ssm, agent.instance_id, "AWS:Service")
    assert all(s["Name"].endswith(".service") for s in services)
    [component] = entries(ssm, agent.instance_id, "AWS:AWSComponent")
    assert component["Name"] == "openssm-agent"
    [found_file] = entries(ssm, agent.instance_id, "AWS:File")
    assert found_file["Name"] == "rack.json"


def test_an_unchanged_type_is_not_sent_again(
    fleet_server: ServerProcess, agent: AgentProcess, gathered: dict[str, Any]
) -> None:
    again = _gather(fleet_server.client(), agent, applications=["Enabled"])
    assert "AWS:Application: " in again["StandardOutputContent"]
    line = next(
        ln for ln in again["StandardOutputContent"].splitlines() if ln.startswith("AWS:Application")
    )
    assert line.endswith("unchanged")


def test_deleted_custom_data_is_sent_again_in_full(
    fleet_server: ServerProcess, agent: AgentProcess, gathered: dict[str, Any]
) -> None:
    ssm = fleet_server.client()
    ssm.delete_inventory(TypeName=RACK)
    assert entries(ssm, agent.instance_id, RACK) == []
    _gather(ssm, agent, applications=["Disabled"])
    assert entries(ssm, agent.instance_id, RACK) == [{"Rack": "R7"}]


def test_collection_cost_is_reported(gathered: dict[str, Any]) -> None:
    assert "collection cost: CPU " in gathered["StandardOutputContent"]
