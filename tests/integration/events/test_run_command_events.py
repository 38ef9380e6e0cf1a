"""Run Command's events and notifications, caused by real commands that protocol-driven agents
answer, delivered to real receivers on loopback; rules, targets and topics set up with the
`openssm events` CLI as a person would.

Covers the issue's "done when": a rule on failed commands with a webhook, the receiver down
when the command fails, then exactly one signed POST with the command's details."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.clocked_server import ClockedServer, clocked_server
from tests.integration.commands.driver import DrivenAgent, driven_agents, step_result
from tests.integration.events.receiver import Receiver, receiver
from tests.integration.events.test_delivery import deliver_until
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_ACCOUNT_ID, TEST_REGION

TOPIC = f"arn:aws:sns:{TEST_REGION}:{TEST_ACCOUNT_ID}:run-command"
# The members of AWS's Run Command notification of NotificationType Command.
COMMAND_MESSAGE_FIELDS = {
    "commandId",
    "documentName",
    "eventTime",
    "expiresAfter",
    "outputS3BucketName",
    "outputS3KeyPrefix",
    "requestedDateTime",
    "status",
    "instanceIds",
}
FAILED_COMMANDS = (
    '{"source":["aws.ssm"],"detail-type":["EC2 Command Status-change Notification"],'
    '"detail":{"status":["Failed"]}}'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedServer]:
    with clocked_server(tmp_path_factory.mktemp("rc-events"), events_interval_s=0.05) as running:
        yield running


@pytest.fixture(scope="module")
def agent(server: ClockedServer) -> DrivenAgent:
    (only,) = driven_agents(server.client(), server.url, 1)
    return only


def openssm(server: ClockedServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(server.data_dir),
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_ENDPOINT_URL_SSM": server.url,
        "OPENSSM_ACCOUNT_ID": TEST_ACCOUNT_ID,
        "OPENSSM_DATA_DIR": str(server.data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "openssm", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _send(server: ClockedServer, agent: DrivenAgent, **kwargs: object) -> str:
    sent = server.client().send_command(
        InstanceIds=[agent.instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["false"]},
        **kwargs,  # type: ignore[arg-type]
    )
    return sent["Command"]["CommandId"]


def _wait_status(server: ClockedServer, command_id: str, status: str) -> None:
    ssm = server.client()
    deadline = time.monotonic() + 20
    while ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] != status:
        assert time.monotonic() < deadline, f"command {command_id} never reached {status}"
        time.sleep(0.05)


def test_a_rule_made_with_the_cli_posts_a_failed_command_once_after_the_receiver_was_down(
    server: ClockedServer, agent: DrivenAgent
) -> None:
    with receiver() as rx:
        made = openssm(
            server,
            "events", "rule", "create", "--name", "failed-commands",
            "--pattern", FAILED_COMMANDS, "--webhook", rx.url,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        secret = re.search(r"signing secret .*: ([0-9a-f]{64})$", made.stdout, re.M)
        assert secret is not None, made.stdout
        rx.down = True
        command_id = _send(server, agent)
        agent.run_next(details="Failed", code=1)
        _wait_status(server, command_id, "Failed")
        deliver_until(server, lambda: rx.refused >= 2)
        rx.down = False
        deliver_until(server, lambda: len(rx.accepted()) >= 1)
        server.clock.advance(120)
        time.sleep(0.5)
        (post,) = rx.accepted()
        assert post.signed_by(secret.group(1))
        event = post.json()
        assert event["detail-type"] == "EC2 Command Status-change Notification"
        assert event["source"] == "aws.ssm"
        assert event["resources"] == [
            f"arn:aws:ssm:{TEST_REGION}:{TEST_ACCOUNT_ID}:managed-instance/{agent.instance_id}"
        ]
        detail = event["detail"]
        assert set(detail) == {
            "command-id",
            "document-name",
            "expire-after",
            "parameters",
            "requested-date-time",
            "status",
        }
        assert (detail["command-id"], detail["status"]) == (command_id, "Failed")
        assert detail["document-name"] == "AWS-RunShellScript"
        assert detail["parameters"]["commands"] == ["false"]
        listed = openssm(server, "events", "rule", "list", "--json")
        assert [r["Name"] for r in json.loads(listed.stdout)] == ["failed-commands"]
        assert openssm(server, "events", "rule", "delete", "failed-commands").returncode == 0


def _notifications(rx: Receiver) -> list[tuple[str, str]]:
    return [(m.get("instanceId", "command"), m["status"]) for m in rx.bodies()]


@pytest.mark.parametrize(
    ("kind", "wanted", "details", "expected"),
    [
        ("Command", ["All"], "Failed", [("command", "InProgress"), ("command", "Failed")]),
        ("Command", ["Success"], "Failed", []),
        ("Command", ["Success"], "Success", [("command", "Success")]),
        ("Invocation", ["All"], "Success", [("node", "InProgress"), ("node", "Success")]),
        ("Invocation", ["Failed", "TimedOut"], "ExecutionTimedOut", [("node", "TimedOut")]),
    ],
)
def test_notification_config_notifies_the_chosen_events_of_the_chosen_kind(
    server: ClockedServer,
    agent: DrivenAgent,
    kind: str,
    wanted: list[str],
    details: str,
    expected: list[tuple[str, str]],
) -> None:
    with receiver() as rx:
        mapped = openssm(
            server, "events", "topic", "set", TOPIC, "--webhook", rx.url, "--secret", "topic-key"
        )
        assert mapped.returncode == 0, mapped.stderr
        command_id = _send(
            server,
            agent,
            NotificationConfig={
                "NotificationArn": TOPIC,
                "NotificationEvents": wanted,
                "NotificationType": kind,
            },
            ServiceRoleArn=f"arn:aws:iam::{TEST_ACCOUNT_ID}:role/notify",
        )
        agent.run_next(details=details, code=0 if details == "Success" else 1)
        _wait_status(server, command_id, "Success" if details == "Success" else "Failed")
        if expected:
            deliver_until(server, lambda: len(rx.accepted()) >= len(expected))
        server.clock.advance(60)
        time.sleep(0.5)
        got = [("node" if who != "command" else who, s) for who, s in _notifications(rx)]
        assert got == expected
        assert all(r.signed_by("topic-key") for r in rx.accepted())
        for message in rx.bodies():
            assert message["commandId"] == command_id
            assert message["documentName"] == "AWS-RunShellScript"
            if kind == "Command":
                assert set(message) == COMMAND_MESSAGE_FIELDS
                assert message["instanceIds"] == [agent.instance_id]
            else:
                assert set(message) == {
                    "commandId",
                    "documentName",
                    "eventTime",
                    "instanceId",
                    "requestedDateTime",
                    "status",
                }
                assert message["instanceId"] == agent.instance_id


def test_a_topic_nothing_is_mapped_to_delivers_nothing_and_breaks_nothing(
    server: ClockedServer, agent: DrivenAgent
) -> None:
    assert openssm(server, "events", "topic", "remove", TOPIC).returncode in (0, 1)
    command_id = _send(
        server,
        agent,
        NotificationConfig={"NotificationArn": TOPIC, "NotificationType": "Command"},
    )
    agent.run_next()
    _wait_status(server, command_id, "Success")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("Command", [("command", "Cancelled")]), ("Invocation", [("node", "Cancelled")])],
)
def test_a_cancelled_command_notifies_cancelled(
    server: ClockedServer, agent: DrivenAgent, kind: str, expected: list[tuple[str, str]]
) -> None:
    with receiver() as rx:
        mapped = openssm(server, "events", "topic", "set", TOPIC, "--webhook", rx.url)
        assert mapped.returncode == 0, mapped.stderr
        config = {"NotificationArn": TOPIC, "NotificationEvents": ["Cancelled"]}
        command_id = _send(server, agent, NotificationConfig={**config, "NotificationType": kind})
        agent.next_frame("invocation")
        server.client().cancel_command(CommandId=command_id)
        assert agent.next_frame("cancel")["command_id"] == command_id
        agent.report(
            command_id, "Cancelled", code=-1, steps=[step_result(status="Cancelled", code=-1)]
        )
        _wait_status(server, command_id, "Cancelled")
        deliver_until(server, lambda: len(rx.accepted()) >= 1)
        server.clock.advance(60)
        time.sleep(0.5)
        got = [("node" if who != "command" else who, s) for who, s in _notifications(rx)]
        assert got == expected
        assert rx.bodies()[0]["commandId"] == command_id


def test_deliveries_show_what_went_and_what_was_dead_lettered_with_its_error(
    server: ClockedServer, agent: DrivenAgent
) -> None:
    with receiver() as good, receiver() as bad:
        bad.down = True
        for name, url, retries in (("to-good", good.url, []), ("to-bad", bad.url, ["0"])):
            made = openssm(
                server,
                "events", "rule", "create", "--name", name, "--pattern", FAILED_COMMANDS,
                "--webhook", url, *(["--max-retries", *retries] if retries else []),
            )  # fmt: skip
            assert made.returncode == 0, made.stderr
        command_id = _send(server, agent)
        agent.run_next(details="Failed", code=1)
        _wait_status(server, command_id, "Failed")
        deliver_until(server, lambda: len(good.accepted()) >= 1 and bad.refused >= 1)
        time.sleep(0.3)
        shown = openssm(server, "events", "deliveries", "--json")
        assert shown.returncode == 0, shown.stderr
        states = {s["rule"]: s for s in json.loads(shown.stdout)}
        table = openssm(server, "events", "deliveries").stdout
        for name in ("to-good", "to-bad"):
            assert openssm(server, "events", "rule", "delete", name).returncode == 0
    assert states["to-good"]["destination"] == good.url
    assert [states["to-good"][k] for k in ("pending", "delivered", "dead")] == [0, 1, 0]
    assert [states["to-bad"][k] for k in ("pending", "delivered", "dead")] == [0, 0, 1]
    assert states["to-bad"]["last_error"].endswith("HTTP 503")
    assert "to-bad" in table
    assert "HTTP 503" in table
