"""Delivery, end to end: a real server on a clock the test moves, real HTTP receivers on
loopback, and events caused through the SSM API.

The receiver here fails its first requests, goes down, and the server restarts in the
middle; every event still arrives exactly once, signed, in order per resource."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clocked_server import ClockedServer, clocked_server
from tests.integration.commands.driver import driven_agents
from tests.integration.events.receiver import receiver
from tests.integration.events.support import events_client, webhook_rule
from tests.support import TEST_ACCOUNT_ID, wait_until

SECRET = "test-secret"


def deliver_until(server: ClockedServer, done: object, *, timeout_s: float = 30.0) -> None:
    """Move the server's clock past retry waits until ``done()``; the relay ticks every
    0.05 s of real time."""
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("events were not delivered in time")
        server.clock.advance(5)
        time.sleep(0.1)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedServer]:
    with clocked_server(tmp_path_factory.mktemp("events"), events_interval_s=0.05) as server:
        yield server


def _names(prefix: str, count: int) -> list[str]:
    return [f"/{prefix}/p{i}" for i in range(count)]


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_every_event_arrives_once_in_order_per_resource_across_a_restart(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres").create_database() if db == "postgresql" else None
    prefix = "t" + uuid.uuid4().hex[:8]
    pattern = {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [{"prefix": f"/{prefix}/"}]},
    }
    names = _names(prefix, 3)
    with receiver(fail_first=4) as rx:
        with clocked_server(tmp_path, database_url=url, events_interval_s=0.05) as server:
            webhook_rule(events_client(server), "ordered", rx.url, pattern=pattern, secret=SECRET)
            ssm = server.client()
            for version in range(3):
                for name in names:
                    ssm.put_parameter(Name=name, Value=f"v{version}", Type="String", Overwrite=True)
            deliver_until(server, lambda: rx.refused >= 4 and len(rx.accepted()) >= 2)
            rx.down = True
            first_part = len(rx.accepted())
        # The server is stopped with events still to deliver; the receiver stays down a while.
        with clocked_server(tmp_path, database_url=url, events_interval_s=0.05) as server:
            ssm = server.client()
            ssm.delete_parameter(Name=names[0])
            server.clock.advance(60)
            time.sleep(0.3)
            rx.down = False
            deliver_until(server, lambda: len(rx.accepted()) >= 10)
            time.sleep(0.5)  # nothing more may come
            server.clock.advance(120)
            time.sleep(0.5)
    received = rx.accepted()
    assert first_part < 10
    assert len(received) == 10, [r.json()["detail"] for r in received]
    assert all(r.signed_by(SECRET) for r in received)
    bodies = [r.json() for r in received]
    assert len({b["id"] for b in bodies}) == 10
    for name in names:
        operations = [b["detail"]["operation"] for b in bodies if b["detail"]["name"] == name]
        expected = ["Create", "Update", "Update"] + (["Delete"] if name == names[0] else [])
        assert operations == expected
    first = bodies[0]
    assert set(first) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (first["source"], first["account"], first["region"]) == (
        "aws.ssm",
        TEST_ACCOUNT_ID,
        "us-east-1",
    )


def test_an_event_is_dead_lettered_after_its_attempts_and_order_moves_on(
    shared: ClockedServer,
) -> None:
    prefix = "d" + uuid.uuid4().hex[:8]
    pattern = {"source": ["aws.ssm"], "detail": {"name": [{"prefix": f"/{prefix}/"}]}}
    with receiver() as rx:
        rx.down = True
        webhook_rule(events_client(shared), prefix, rx.url, pattern=pattern, retries=1)
        ssm = shared.client()
        ssm.put_parameter(Name=f"/{prefix}/x", Value="lost", Type="String")
        deliver_until(shared, lambda: rx.refused >= 2)
        shared.clock.advance(120)
        time.sleep(0.5)
        assert rx.refused == 2  # one try and one retry (MaximumRetryAttempts 1), then dead
        rx.down = False
        ssm.put_parameter(Name=f"/{prefix}/x", Value="next", Type="String", Overwrite=True)
        deliver_until(shared, lambda: len(rx.accepted()) >= 1)
        time.sleep(0.3)
        assert [b["detail"]["operation"] for b in rx.bodies()] == ["Update"]


def test_a_disabled_rule_or_an_unmatched_event_delivers_nothing(shared: ClockedServer) -> None:
    prefix = "n" + uuid.uuid4().hex[:8]
    pattern = {"source": ["aws.ssm"], "detail": {"name": [{"prefix": f"/{prefix}/on"}]}}
    with receiver() as rx:
        events = events_client(shared)
        webhook_rule(events, prefix, rx.url, pattern=pattern)
        ssm = shared.client()
        ssm.put_parameter(Name=f"/{prefix}/off", Value="x", Type="String")
        ssm.put_parameter(Name=f"/{prefix}/on", Value="x", Type="String")
        deliver_until(shared, lambda: len(rx.accepted()) >= 1)
        events.disable_rule(Name=prefix)
        ssm.put_parameter(Name=f"/{prefix}/on", Value="y", Type="String", Overwrite=True)
        events.enable_rule(Name=prefix)
        ssm.put_parameter(Name=f"/{prefix}/on", Value="z", Type="String", Overwrite=True)
        deliver_until(shared, lambda: len(rx.accepted()) >= 2)
        time.sleep(0.3)
        got = [(b["detail"]["name"], b["detail"]["operation"]) for b in rx.bodies()]
        assert got == [(f"/{prefix}/on", "Create"), (f"/{prefix}/on", "Update")]


def test_a_rule_gets_the_events_written_while_it_was_enabled_however_late_they_are_routed(
    tmp_path: Path,
) -> None:
    """EventBridge matches an event against the rules enabled when it is put. Here the relay
    routes nothing while the rule changes state (it ticks once at start and then not for an
    hour), and routes it all after a restart: the event written before the rule was disabled
    still arrives, the one written while it was disabled never does."""
    prefix = "w" + uuid.uuid4().hex[:8]
    pattern = {"source": ["aws.ssm"], "detail": {"name": [{"prefix": f"/{prefix}/"}]}}

    def put(server: ClockedServer, name: str) -> None:
        server.client().put_parameter(Name=f"/{prefix}/{name}", Value="x", Type="String")

    with receiver() as rx:
        with clocked_server(tmp_path, events_interval_s=3600) as idle:
            webhook_rule(events_client(idle), prefix, rx.url, pattern=pattern)
            put(idle, "while-enabled")
            events_client(idle).disable_rule(Name=prefix)
            put(idle, "while-disabled")
        with clocked_server(tmp_path, events_interval_s=0.05) as server:
            deliver_until(server, lambda: len(rx.accepted()) >= 1)
        with clocked_server(tmp_path, events_interval_s=3600) as idle:
            put(idle, "still-disabled")
            events_client(idle).enable_rule(Name=prefix)
            put(idle, "enabled-again")
        with clocked_server(tmp_path, events_interval_s=0.05) as server:
            deliver_until(server, lambda: len(rx.accepted()) >= 2)
            time.sleep(0.5)  # nothing more may come
    names = [b["detail"]["name"] for b in rx.bodies()]
    assert names == [f"/{prefix}/while-enabled", f"/{prefix}/enabled-again"]


def test_a_file_target_gets_json_lines_in_the_servers_events_directory(
    shared: ClockedServer,
) -> None:
    prefix = "f" + uuid.uuid4().hex[:8]
    events = events_client(shared)
    events.put_rule(
        Name=prefix,
        EventPattern=json.dumps({"detail": {"name": [{"prefix": f"/{prefix}/"}]}}),
    )
    events.put_targets(Rule=prefix, Targets=[{"Id": "file", "Arn": f"file:{prefix}.jsonl"}])
    ssm = shared.client()
    ssm.put_parameter(
        Name=f"/{prefix}/a", Value="secret-value-never-in-events", Type="SecureString"
    )
    ssm.label_parameter_version(Name=f"/{prefix}/a", Labels=["live"])
    path = shared.settings.resolved_events_file_dir / f"{prefix}.jsonl"
    deliver_until(shared, lambda: path.exists() and len(path.read_text().splitlines()) >= 2)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["detail"]["operation"] for e in lines] == ["Create", "LabelParameterVersion"]
    assert lines[0]["detail"]["type"] == "SecureString"
    assert "secret-value-never-in-events" not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_node_registering_connecting_leaving_and_deregistering_is_four_events(
    shared: ClockedServer,
) -> None:
    name = "fleet" + uuid.uuid4().hex[:8]
    events = events_client(shared)
    kinds = [
        "SSM Managed Instance Registration",
        "openssm Managed Instance Ping Status Change",
        "SSM Managed Instance Deregistration",
    ]
    events.put_rule(Name=name, EventPattern=json.dumps({"detail-type": kinds}))
    events.put_targets(Rule=name, Targets=[{"Id": "file", "Arn": f"file:{name}.jsonl"}])
    ssm = shared.client()
    (agent,) = driven_agents(ssm, shared.url, 1)
    wait_until(
        lambda: (
            ssm.describe_instance_information(
                Filters=[{"Key": "InstanceIds", "Values": [agent.instance_id]}]
            )["InstanceInformationList"][0]["PingStatus"]
            == "Online"
        ),
        timeout_s=20,
    )
    agent.disconnect()
    path = shared.settings.resolved_events_file_dir / f"{name}.jsonl"

    def seen() -> list[tuple[str, str]]:
        if not path.exists():
            return []
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        return [
            (e["detail-type"], e["detail"].get("ping-status", ""))
            for e in lines
            if e["detail"]["instance-id"] == agent.instance_id
        ]

    deliver_until(shared, lambda: len(seen()) >= 3)
    ssm.deregister_managed_instance(InstanceId=agent.instance_id)
    deliver_until(shared, lambda: len(seen()) >= 4)
    assert seen() == [
        ("SSM Managed Instance Registration", ""),
        ("openssm Managed Instance Ping Status Change", "Online"),
        ("openssm Managed Instance Ping Status Change", "ConnectionLost"),
        ("SSM Managed Instance Deregistration", ""),
    ]


def test_a_burst_for_one_resource_is_delivered_in_one_pass_not_one_event_per_interval(
    tmp_path: Path,
) -> None:
    """A resource's events go one after another (order per resource); a pass of the relay
    keeps sending them while there are some, so 60 changes of one parameter arrive in
    seconds, not in 60 relay intervals (two minutes here)."""
    prefix = "b" + uuid.uuid4().hex[:8]
    pattern = {"source": ["aws.ssm"], "detail": {"name": [f"/{prefix}/busy"]}}
    count = 60
    with (
        receiver() as rx,
        clocked_server(tmp_path, events_interval_s=2.0) as server,
    ):
        webhook_rule(events_client(server), prefix, rx.url, pattern=pattern)
        ssm = server.client()
        for version in range(count):
            ssm.put_parameter(
                Name=f"/{prefix}/busy", Value=f"v{version}", Type="String", Overwrite=True
            )
            server.clock.advance(1)  # each event's time tells its place
        wait_until(lambda: len(rx.accepted()) >= count, timeout_s=15)
        bodies = rx.bodies()
    assert [b["detail"]["operation"] for b in bodies] == ["Create"] + ["Update"] * (count - 1)
    times = [b["time"] for b in bodies]
    assert times == sorted(set(times))


def test_a_receiver_that_is_back_gets_what_it_refused_without_waiting_out_the_backoff(
    shared: ClockedServer,
) -> None:
    """Events it refused wait seconds to minutes before their next try; once a delivery to
    the same target goes through, they go at once."""
    prefix = "r" + uuid.uuid4().hex[:8]
    pattern = {"source": ["aws.ssm"], "detail": {"name": [{"prefix": f"/{prefix}/"}]}}
    with receiver() as rx:
        rx.down = True
        webhook_rule(events_client(shared), prefix, rx.url, pattern=pattern)
        ssm = shared.client()
        for name in ("a", "b"):
            ssm.put_parameter(Name=f"/{prefix}/{name}", Value="x", Type="String")
        deliver_until(shared, lambda: rx.refused >= 8)
        time.sleep(0.5)  # any try due now is refused too; the clock stands still from here
        rx.down = False
        ssm.put_parameter(Name=f"/{prefix}/c", Value="x", Type="String")
        wait_until(lambda: len(rx.accepted()) >= 3, timeout_s=5)
        names = sorted(b["detail"]["name"] for b in rx.bodies())
    assert names == [f"/{prefix}/a", f"/{prefix}/b", f"/{prefix}/c"]
