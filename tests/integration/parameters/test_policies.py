"""Parameter policies: accepted and refused over the wire, and enforced on schedule.

Rules ("Assigning parameter policies", User Guide; ssm-api.md §2.6): policies need the Advanced
tier; Expiration deletes the parameter at its time; ExpirationNotification sends one event
before it; NoChangeNotification sends an event when the parameter stays unchanged for the
period (again each further period); events go to the transactional outbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
import sqlalchemy as sa
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import ParameterInlinePolicyTypeDef

from openssm.clock import FakeClock
from openssm.config import ServerSettings
from openssm.errors import ParameterNotFound
from openssm.server.bootstrap import bootstrap
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.scheduler.policies import PolicyLoop
from openssm.server.services.parameters import reads as parameter_reads
from openssm.server.services.parameters import writes as parameters
from openssm.server.store.schema import outbox_events
from tests.aws_errors import aws_error, error_of
from tests.clocked_server import ClockedServer, clocked_server
from tests.support import TEST_ACCOUNT_ID, TEST_REGION, ServerEndpoint, wait_until

POLICY_EVENT = "Parameter Store Policy Action"


def _root() -> str:
    return f"/pol{uuid.uuid4().hex[:10]}"


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _expiration(at: dt.datetime) -> dict[str, Any]:
    return {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": _iso(at)}}


def _notify(before: str, unit: str = "Hours") -> dict[str, Any]:
    return {
        "Type": "ExpirationNotification",
        "Version": "1.0",
        "Attributes": {"Before": before, "Unit": unit},
    }


def _no_change(after: str, unit: str = "Hours") -> dict[str, Any]:
    return {
        "Type": "NoChangeNotification",
        "Version": "1.0",
        "Attributes": {"After": after, "Unit": unit},
    }


# --- over the wire ----------------------------------------------------------------------------


def test_policies_need_the_advanced_tier(ssm: SSMClient) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    error = error_of(
        ssm.put_parameter, Name=f"{_root()}/p", Value="v", Type="String",
        Policies=json.dumps([_expiration(future)]),
    )  # fmt: skip
    assert error.code == "ValidationException"
    assert "advanced-parameter tier" in error.message
    out = ssm.put_parameter(
        Name=f"{_root()}/p", Value="v", Type="String", Tier="Intelligent-Tiering",
        Policies=json.dumps([_expiration(future)]),
    )  # fmt: skip
    assert out["Tier"] == "Advanced"


def test_policies_show_in_describe_and_history_and_persist(ssm: SSMClient) -> None:
    """Policies persist until replaced; `[{}]` removes them."""
    name = f"{_root()}/p"
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    policies = [_expiration(future), _notify("2", "Days"), _no_change("10", "Days")]
    ssm.put_parameter(
        Name=name, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies)
    )
    ssm.put_parameter(Name=name, Value="w", Overwrite=True)

    def described() -> list[ParameterInlinePolicyTypeDef]:
        out = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
        return out["Parameters"][0]["Policies"]

    shown = described()
    assert [p["PolicyType"] for p in shown] == [
        "Expiration", "ExpirationNotification", "NoChangeNotification",
    ]  # fmt: skip
    assert {p["PolicyStatus"] for p in shown} == {"Pending"}
    assert json.loads(shown[0]["PolicyText"]) == policies[0]
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [len(h["Policies"]) for h in history] == [3, 3]
    ssm.put_parameter(Name=name, Value="x", Overwrite=True, Policies="[{}]")
    assert described() == []


@pytest.mark.parametrize(
    ("policies", "code"),
    [
        ([{"Type": "Rotate", "Version": "1.0", "Attributes": {}}], "InvalidPolicyTypeException"),
        ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "soon"}}],
         "InvalidPolicyAttributeException"),
        ([_no_change("0")], "InvalidPolicyAttributeException"),
        ([_no_change("1"), _no_change("2")], "IncompatiblePolicyException"),
        ([_notify("1")], "IncompatiblePolicyException"),
        ([_no_change(str(i + 1)) for i in range(11)], "PoliciesLimitExceededException"),
    ],
    ids=["type", "timestamp", "zero", "two-no-change", "notify-without-expiry", "eleven"],
)  # fmt: skip
def test_bad_policies_are_refused(
    ssm: SSMClient, policies: list[dict[str, Any]], code: str
) -> None:
    error = error_of(
        ssm.put_parameter, Name=f"{_root()}/bad", Value="v", Type="String", Tier="Advanced",
        Policies=json.dumps(policies),
    )  # fmt: skip
    assert error.code == code


# --- enforcement by a real server ---------------------------------------------------------------


@pytest.fixture(scope="module")
def fast_policy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedServer]:
    """A SQLite server on a clock the test moves, whose policy loop ticks every 0.2 s."""
    data = tmp_path_factory.mktemp("policies") / "server"
    with clocked_server(data, policy_interval_s=0.2) as server:
        yield server


def _events(server: ServerEndpoint, name: str) -> list[dict[str, Any]]:
    db = server.data_dir / "openssm.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT source, detail_type, resources, detail FROM outbox_events ORDER BY id"
        ).fetchall()
    events = [
        {"source": s, "detail-type": t, "resources": json.loads(r), "detail": json.loads(d)}
        for s, t, r, d in rows
    ]
    return [
        e
        for e in events
        if e["detail"].get("parameter-name") == name or e["detail"].get("name") == name
    ]


def test_expiration_deletes_the_parameter_and_writes_events(
    fast_policy_server: ClockedServer,
) -> None:
    ssm = fast_policy_server.client()
    clock = fast_policy_server.clock
    name = f"{_root()}/short-lived"
    expires = (clock.now() + dt.timedelta(seconds=60)).replace(microsecond=0)
    ssm.put_parameter(
        Name=name, Value="v", Type="String", Tier="Advanced",
        Tags=[{"Key": "k", "Value": "v"}],
        Policies=json.dumps([_expiration(expires), _notify("1", "Hours")]),
    )  # fmt: skip
    # The notification is due at once (the expiry is within the hour): one event, then Finished.
    wait_until(
        lambda: any(e["detail"].get("policy-type") == "ExpirationNotification"
                    for e in _events(fast_policy_server, name)),
        timeout_s=10,
    )  # fmt: skip
    statuses = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])
    notify = [p for p in statuses["Parameters"][0]["Policies"] if p["PolicyType"] != "Expiration"]
    assert notify[0]["PolicyStatus"] == "Finished"
    clock.advance(30)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v"

    def gone() -> bool:
        try:
            ssm.get_parameter(Name=name)
        except botocore.exceptions.ClientError as exc:
            return aws_error(exc).code == "ParameterNotFound"
        return False

    clock.advance(31)
    wait_until(gone, timeout_s=15, interval_s=0.2)
    events = _events(fast_policy_server, name)
    policy_events = [e for e in events if e["detail-type"] == POLICY_EVENT]
    assert [e["detail"]["policy-type"] for e in policy_events] == [
        "ExpirationNotification", "Expiration",
    ]  # fmt: skip
    expired = policy_events[-1]
    assert expired["source"] == "aws.ssm"
    assert expired["resources"] == [f"arn:aws:ssm:{TEST_REGION}:{TEST_ACCOUNT_ID}:parameter{name}"]
    assert expired["detail"]["action-status"] == "Finished"
    # The change events of the put came first, in the same outbox.
    assert events[0]["detail-type"] == "Parameter Store Change"
    assert events[0]["detail"]["operation"] == "Create"
    tags = error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=name)
    assert tags.code == "InvalidResourceId"


# --- the loop, in process, with a clock the test moves -----------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, FakeClock]]:
    """A runtime on a real store (SQLite or PostgreSQL) with a clock the test moves."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database()
    clock = FakeClock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    settings = ServerSettings(
        data_dir=tmp_path / "data", account_id=TEST_ACCOUNT_ID, database_url=url
    )
    booted = bootstrap(settings, clock)
    try:
        yield booted.runtime, clock
    finally:
        booted.runtime.store.close()


def _ctx(clock: FakeClock) -> RequestContext:
    return RequestContext(
        account_id=TEST_ACCOUNT_ID,
        region=TEST_REGION,
        principal_arn=f"arn:aws:iam::{TEST_ACCOUNT_ID}:user/admin",
        request_id=str(uuid.uuid4()),
        now=clock.now(),
    )


def _put(rt: Runtime, clock: FakeClock, name: str, value: str, policies: list[Any] | None) -> None:
    request = parameters.PutInput(
        name=name, value=value, type="String", overwrite=True, tier="Advanced",
        policies=None if policies is None else json.dumps(policies),
    )  # fmt: skip
    rt.store.write_sync(
        lambda conn: parameters.put_parameter(conn, _ctx(clock), rt.keyring, request)
    )


def _policy_events(rt: Runtime) -> list[tuple[str, str]]:
    query = (
        sa.select(outbox_events.c.detail)
        .where(outbox_events.c.detail_type == POLICY_EVENT)
        .order_by(outbox_events.c.id)
    )
    details = rt.store.read_sync(lambda conn: [json.loads(d) for d in conn.scalars(query)])
    return [(d["parameter-name"], d["policy-type"]) for d in details]


def test_no_change_notification_fires_once_per_unchanged_period(
    runtime: tuple[Runtime, FakeClock],
) -> None:
    rt, clock = runtime
    loop = PolicyLoop(rt)
    _put(rt, clock, "/loop/nochange", "v1", [_no_change("2")])
    clock.advance(3600)
    assert asyncio.run(loop.tick()) == 0
    clock.advance(3601)
    assert asyncio.run(loop.tick()) == 1
    assert asyncio.run(loop.tick()) == 0  # once per period
    assert _policy_events(rt) == [("/loop/nochange", "NoChangeNotification")]
    clock.advance(2 * 3600)
    assert asyncio.run(loop.tick()) == 1
    # A change re-arms the period from the change.
    _put(rt, clock, "/loop/nochange", "v2", None)
    clock.advance(3600)
    assert asyncio.run(loop.tick()) == 0
    clock.advance(3601)
    assert asyncio.run(loop.tick()) == 1
    assert len(_policy_events(rt)) == 3


def test_expiration_notification_then_expiration(runtime: tuple[Runtime, FakeClock]) -> None:
    rt, clock = runtime
    loop = PolicyLoop(rt)
    expires = clock.now() + dt.timedelta(days=3)
    _put(rt, clock, "/loop/exp", "v", [_expiration(expires), _notify("1", "Days")])
    clock.advance(86400)
    assert asyncio.run(loop.tick()) == 0
    clock.advance(86400 + 1)
    assert asyncio.run(loop.tick()) == 1
    assert asyncio.run(loop.tick()) == 0  # a notification is sent once
    # Updating the value does not move the expiry.
    _put(rt, clock, "/loop/exp", "v2", None)
    clock.advance(86400)
    assert asyncio.run(loop.tick()) == 1
    assert _policy_events(rt) == [
        ("/loop/exp", "ExpirationNotification"),
        ("/loop/exp", "Expiration"),
    ]
    ctx = _ctx(clock)
    with pytest.raises(ParameterNotFound):
        rt.store.read_sync(
            lambda conn: parameter_reads.get_parameter(
                conn, ctx, rt.keyring, "/loop/exp", decrypt=False
            )
        )


def test_stop_returns_promptly(runtime: tuple[Runtime, FakeClock]) -> None:
    """A loop with a long interval still stops at once (STYLE rule 10)."""
    rt, _ = runtime

    async def scenario() -> float:
        loop = PolicyLoop(rt, interval_s=3600)
        await loop.start()
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await loop.stop()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1.0
