"""Delivery to AWS-compatible services: moto's server on loopback stands in for SNS and
EventBridge, as a self-hosting team's LocalStack or the real services would. The server's
senders call them with boto3 (Publish, PutEvents); what arrived is read back on moto's side
through SQS queues subscribed to the topic and targeted by a rule on the bus, so the test
sees exactly what a consumer of those services would."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.clocked_server import ClockedServer, clocked_server
from tests.integration.commands.driver import DrivenAgent, driven_agents
from tests.integration.events.support import events_client
from tests.integration.events.test_delivery import deliver_until
from tests.integration.events.test_run_command_events import (
    COMMAND_MESSAGE_FIELDS,
    _send,
    _wait_status,
    openssm,
)
from tests.moto_server import MOTO_KEY_ID, MOTO_SECRET, moto_client, moto_endpoint
from tests.support import TEST_ACCOUNT_ID, TEST_REGION

SOURCE = "openssm.test-fleet"
BUS = f"arn:aws:events:{TEST_REGION}:{TEST_ACCOUNT_ID}:event-bus/default"


@dataclass
class Moto:
    url: str
    sqs: Any  # boto3's SQS client (its stubs are not installed)

    def client(self, service: str) -> Any:
        return moto_client(service, self.url, TEST_REGION)

    def queue(self, name: str) -> tuple[str, str]:
        """A new SQS queue's URL and ARN."""
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, attributes["Attributes"]["QueueArn"]

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message waiting on the queue, parsed, deleted as read."""
        bodies: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    with moto_endpoint() as url:
        yield Moto(url=url, sqs=moto_client("sqs", url, TEST_REGION))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, moto: Moto) -> Iterator[ClockedServer]:
    # The server's senders use the standard AWS credential chain, as they would on a host.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", MOTO_KEY_ID)
        env.setenv("AWS_SECRET_ACCESS_KEY", MOTO_SECRET)
        with clocked_server(
            tmp_path_factory.mktemp("aws-targets"),
            events_interval_s=0.05,
            events_sns_endpoint_url=moto.url,
            events_eventbridge_endpoint_url=moto.url,
            events_source=SOURCE,
        ) as running:
            yield running


@pytest.fixture(scope="module")
def agent(server: ClockedServer) -> DrivenAgent:
    (only,) = driven_agents(server.client(), server.url, 1)
    return only


def _collect(moto: Moto, queue_url: str, server: ClockedServer, count: int) -> list[Any]:
    got: list[Any] = []

    def arrived() -> bool:
        got.extend(moto.drain(queue_url))
        return len(got) >= count

    deliver_until(server, arrived)
    server.clock.advance(60)
    time.sleep(0.5)
    got.extend(moto.drain(queue_url))
    return got


def test_notification_config_publishes_aws_messages_to_an_sns_topic(
    moto: Moto, server: ClockedServer, agent: DrivenAgent
) -> None:
    sns = moto.client("sns")
    topic = sns.create_topic(Name="run-command")["TopicArn"]
    queue_url, queue_arn = moto.queue("run-command-subscriber")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    mapped = openssm(server, "events", "topic", "set", topic)
    assert mapped.returncode == 0, mapped.stderr

    command_id = _send(
        server,
        agent,
        NotificationConfig={
            "NotificationArn": topic,
            "NotificationEvents": ["All"],
            "NotificationType": "Command",
        },
        ServiceRoleArn=f"arn:aws:iam::{TEST_ACCOUNT_ID}:role/notify",
    )
    agent.run_next(details="Failed", code=1)
    _wait_status(server, command_id, "Failed")

    envelopes = _collect(moto, queue_url, server, 2)
    assert [e["Type"] for e in envelopes] == ["Notification", "Notification"]
    assert {e["TopicArn"] for e in envelopes} == {topic}
    messages = [json.loads(e["Message"]) for e in envelopes]
    assert [m["status"] for m in messages] == ["InProgress", "Failed"]
    for message in messages:
        assert set(message) == COMMAND_MESSAGE_FIELDS
        assert message["commandId"] == command_id
        assert message["documentName"] == "AWS-RunShellScript"
        assert message["instanceIds"] == [agent.instance_id]


def test_a_rule_puts_events_on_an_eventbridge_bus_with_the_configured_source(
    moto: Moto, server: ClockedServer, agent: DrivenAgent
) -> None:
    bus = moto.client("events")
    queue_url, queue_arn = moto.queue("bus-subscriber")
    bus.put_rule(Name="from-openssm", EventPattern=json.dumps({"source": [SOURCE]}))
    bus.put_targets(Rule="from-openssm", Targets=[{"Id": "queue", "Arn": queue_arn}])

    ours = events_client(server)
    ours.put_rule(
        Name="to-eventbridge",
        EventPattern=json.dumps(
            {"source": ["aws.ssm"], "detail-type": ["EC2 Command Status-change Notification"]}
        ),
    )
    ours.put_targets(Rule="to-eventbridge", Targets=[{"Id": "bus", "Arn": BUS}])
    try:
        command_id = _send(server, agent)
        agent.run_next(details="Failed", code=1)
        _wait_status(server, command_id, "Failed")
        events = _collect(moto, queue_url, server, 2)
    finally:
        ours.remove_targets(Rule="to-eventbridge", Ids=["bus"])
        ours.delete_rule(Name="to-eventbridge")

    assert [e["source"] for e in events] == [SOURCE, SOURCE]
    assert [e["detail-type"] for e in events] == ["EC2 Command Status-change Notification"] * 2
    assert [e["detail"]["status"] for e in events] == ["InProgress", "Failed"]
    assert {e["detail"]["command-id"] for e in events} == {command_id}
    assert events[0]["resources"] == [
        f"arn:aws:ssm:{TEST_REGION}:{TEST_ACCOUNT_ID}:managed-instance/{agent.instance_id}"
    ]
    assert events[0]["detail"]["document-name"] == "AWS-RunShellScript"
