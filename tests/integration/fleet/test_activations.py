"""Hybrid activations and registration, through boto3 and the real registration endpoint.

AWS rules checked (API reference, CreateActivation / DescribeActivations / DeleteActivation):
RegistrationLimit defaults to 1 (max 1000); ExpirationDate defaults to 24 hours ahead and may
be at most 30 days ahead; an expired or used-up activation registers no more nodes; the tags
of an activation are copied to every node it registers; deleting an activation does not
deregister its nodes. SECURITY.md #9: the limit holds under concurrent registrations.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import ActivationTypeDef, DescribeActivationsFilterTypeDef

from openssm.server.store.engine import create_engine
from tests.aws_errors import error_of
from tests.integration.channel_client import (
    RegistrationRefused,
    activate,
    post_register,
    public_key_b64,
    register,
)
from tests.integration.signing import send, signed_request
from tests.support import ServerProcess, wait_until

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _role() -> str:
    return "role-" + uuid.uuid4().hex[:12]


def _only(ssm: SSMClient, activation_id: str) -> ActivationTypeDef:
    found = ssm.describe_activations(
        Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}]
    )["ActivationList"]
    assert len(found) == 1
    return found[0]


def _refusal(url: str, activation_id: str, code: str) -> dict[str, Any]:
    with pytest.raises(RegistrationRefused) as info:
        register(url, activation_id, code)
    assert info.value.status == 400
    return info.value.body


def test_create_activation_applies_aws_defaults(ssm: SSMClient) -> None:
    before = dt.datetime.now(dt.UTC)
    created = ssm.create_activation(
        IamRole="SSMServiceRole",
        Description="lab hosts",
        DefaultInstanceName="lab",
        Tags=[{"Key": "env", "Value": "lab"}],
        RegistrationMetadata=[{"Key": "k", "Value": "v"}],
    )
    assert _UUID.fullmatch(created["ActivationId"])
    assert re.fullmatch(r"[A-Za-z0-9]{20}", created["ActivationCode"])
    activation = _only(ssm, created["ActivationId"])
    assert activation["RegistrationLimit"] == 1
    assert activation["RegistrationsCount"] == 0
    assert activation["Expired"] is False
    assert activation["IamRole"] == "SSMServiceRole"
    assert activation["Description"] == "lab hosts"
    assert activation["DefaultInstanceName"] == "lab"
    assert activation["Tags"] == [{"Key": "env", "Value": "lab"}]
    assert "ActivationCode" not in activation
    lifetime = activation["ExpirationDate"] - activation["CreatedDate"]
    assert lifetime == dt.timedelta(hours=24)
    assert (
        before - dt.timedelta(seconds=5)
        <= activation["CreatedDate"]
        <= before + dt.timedelta(seconds=30)
    )


def test_create_activation_refuses_an_expiration_date_in_the_past(ssm: SSMClient) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    error = error_of(ssm.create_activation, IamRole="r", ExpirationDate=past)
    assert error.code == "InvalidParameters"
    assert "in the past" in error.message


def test_create_activation_refuses_an_expiration_date_that_is_no_date(
    server: ServerProcess,
) -> None:
    status, body = send(
        signed_request(server.url, "CreateActivation", {"IamRole": "r", "ExpirationDate": 1e300})
    )
    assert (status, body["__type"]) == (400, "InvalidParameters")


def test_create_activation_allows_at_most_30_days(ssm: SSMClient) -> None:
    now = dt.datetime.now(dt.UTC)
    error = error_of(ssm.create_activation, IamRole="r", ExpirationDate=now + dt.timedelta(days=31))
    assert error.code == "InvalidParameters"
    assert "30 days" in error.message
    ok = ssm.create_activation(IamRole="r", ExpirationDate=now + dt.timedelta(days=29))
    activation = _only(ssm, ok["ActivationId"])
    assert activation["ExpirationDate"] - now > dt.timedelta(days=28)


def test_create_activation_enforces_the_registration_limit_range(ssm: SSMClient) -> None:
    error = error_of(ssm.create_activation, IamRole="r", RegistrationLimit=1001)
    assert error.code == "ValidationException"
    assert "registrationLimit" in error.message
    created = ssm.create_activation(IamRole="r", RegistrationLimit=1000)
    assert _only(ssm, created["ActivationId"])["RegistrationLimit"] == 1000


def test_create_activation_refuses_a_service_linked_role(ssm: SSMClient) -> None:
    error = error_of(ssm.create_activation, IamRole="aws-service-role/ssm.amazonaws.com/x")
    assert error.code == "InvalidParameters"


def test_describe_activations_filters_by_id_name_and_role(ssm: SSMClient) -> None:
    role = _role()
    a = ssm.create_activation(IamRole=role, DefaultInstanceName="alpha")["ActivationId"]
    b = ssm.create_activation(IamRole=role, DefaultInstanceName="beta")["ActivationId"]

    def ids(*filters: DescribeActivationsFilterTypeDef) -> set[str]:
        found = ssm.describe_activations(Filters=list(filters))["ActivationList"]
        return {x["ActivationId"] for x in found}

    assert ids({"FilterKey": "IamRole", "FilterValues": [role]}) == {a, b}
    assert ids(
        {"FilterKey": "IamRole", "FilterValues": [role]},
        {"FilterKey": "DefaultInstanceName", "FilterValues": ["beta"]},
    ) == {b}
    assert ids({"FilterKey": "ActivationIds", "FilterValues": [a, str(uuid.uuid4())]}) == {a}


def test_describe_activations_pages_with_next_token(ssm: SSMClient) -> None:
    role = _role()
    made = [ssm.create_activation(IamRole=role)["ActivationId"] for _ in range(5)]
    filters: list[DescribeActivationsFilterTypeDef] = [
        {"FilterKey": "IamRole", "FilterValues": [role]}
    ]
    first = ssm.describe_activations(Filters=filters, MaxResults=2)
    assert len(first["ActivationList"]) == 2
    seen = [x["ActivationId"] for x in first["ActivationList"]]
    token: str | None = first["NextToken"]
    while token:
        page = ssm.describe_activations(Filters=filters, MaxResults=2, NextToken=token)
        seen += [x["ActivationId"] for x in page["ActivationList"]]
        token = page.get("NextToken")
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))
    # A token is bound to its listing: other filters, or a made-up token, are refused.
    other = [{"FilterKey": "IamRole", "FilterValues": [_role()]}]
    error = error_of(
        ssm.describe_activations, Filters=other, MaxResults=2, NextToken=first["NextToken"]
    )
    assert error.code == "InvalidNextToken"
    assert error_of(ssm.describe_activations, NextToken="bogus").code == "InvalidNextToken"


def test_describe_activations_refuses_a_filter_without_key(ssm: SSMClient) -> None:
    error = error_of(ssm.describe_activations, Filters=[{"FilterValues": ["x"]}])
    assert error.code == "InvalidFilter"


def test_delete_activation_stops_registration_but_keeps_nodes(
    ssm: SSMClient, server: ServerProcess
) -> None:
    activation_id, code = activate(ssm, limit=2)
    node = register(server.url, activation_id, code)
    ssm.delete_activation(ActivationId=activation_id)
    assert (
        ssm.describe_activations(
            Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}]
        )["ActivationList"]
        == []
    )
    body = _refusal(server.url, activation_id, code)
    assert body["__type"] == "InvalidActivationId"
    # AWS: deleting an activation does not deregister the nodes it registered.
    info = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [node.instance_id]}]
    )["InstanceInformationList"]
    assert [i["InstanceId"] for i in info] == [node.instance_id]
    again = error_of(ssm.delete_activation, ActivationId=activation_id)
    assert again.code == "InvalidActivationId"


def test_delete_activation_unknown_id(ssm: SSMClient) -> None:
    error = error_of(ssm.delete_activation, ActivationId=str(uuid.uuid4()))
    assert error.code == "InvalidActivationId"


def test_registration_creates_an_instance_with_the_activation_settings(
    ssm: SSMClient, server: ServerProcess
) -> None:
    activation_id, code = activate(
        ssm,
        limit=2,
        IamRole="HybridRole",
        DefaultInstanceName="db",
        Tags=[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}],
    )
    named = register(server.url, activation_id, code, name="db-01.example")
    unnamed = register(server.url, activation_id, code)
    assert re.fullmatch(r"mi-[0-9a-f]{17}", named.instance_id)
    assert named.instance_id != unnamed.instance_id
    assert named.region == "us-east-1"
    assert named.account_id == "123456789012"
    listed = {
        i["InstanceId"]: i
        for i in ssm.describe_instance_information(
            Filters=[{"Key": "ActivationIds", "Values": [activation_id]}]
        )["InstanceInformationList"]
    }
    assert listed[named.instance_id]["Name"] == "db-01.example"
    assert listed[unnamed.instance_id]["Name"] == "db"
    assert {i["IamRole"] for i in listed.values()} == {"HybridRole"}
    for node in (named, unnamed):
        tags = ssm.list_tags_for_resource(
            ResourceType="ManagedInstance", ResourceId=node.instance_id
        )
        assert tags["TagList"] == [
            {"Key": "env", "Value": "prod"},
            {"Key": "team", "Value": "data"},
        ]
    assert _only(ssm, activation_id)["RegistrationsCount"] == 2


def test_registration_beyond_the_limit_is_refused(ssm: SSMClient, server: ServerProcess) -> None:
    activation_id, code = activate(ssm, limit=1)
    register(server.url, activation_id, code)
    body = _refusal(server.url, activation_id, code)
    assert body["__type"] == "InvalidActivation"
    assert "registration limit of 1" in body["message"]
    assert _only(ssm, activation_id)["RegistrationsCount"] == 1


@pytest.mark.parametrize(("limit", "racers"), [(1, 12), (3, 12)])
def test_registration_limit_holds_under_concurrent_registrations(
    ssm: SSMClient, server: ServerProcess, limit: int, racers: int
) -> None:
    """SECURITY.md #9: N hosts racing for the last slots; exactly `limit` of them win."""
    activation_id, code = activate(ssm, limit=limit)
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        try:
            node = register(server.url, activation_id, code)
            outcome = node.instance_id
        except RegistrationRefused as exc:
            outcome = exc.body.get("__type", "?")
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [o for o in outcomes if o.startswith("mi-")]
    assert len(outcomes) == racers
    assert len(winners) == limit
    assert outcomes.count("InvalidActivation") == racers - limit
    assert _only(ssm, activation_id)["RegistrationsCount"] == limit
    listed = ssm.describe_instance_information(
        Filters=[{"Key": "ActivationIds", "Values": [activation_id]}]
    )["InstanceInformationList"]
    assert sorted(i["InstanceId"] for i in listed) == sorted(winners)


def test_registration_after_expiry_is_refused(ssm: SSMClient, server: ServerProcess) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    activation_id, code = activate(ssm, limit=5, ExpirationDate=expires)
    wait_until(lambda: _only(ssm, activation_id)["Expired"], timeout_s=10, interval_s=0.2)
    body = _refusal(server.url, activation_id, code)
    assert body["__type"] == "InvalidActivation"
    assert "expired" in body["message"]
    assert _only(ssm, activation_id)["RegistrationsCount"] == 0


def test_registration_with_a_wrong_code_or_unknown_id_says_the_same(
    ssm: SSMClient, server: ServerProcess
) -> None:
    activation_id, code = activate(ssm)
    wrong_code = _refusal(server.url, activation_id, code[::-1])
    unknown_id = _refusal(server.url, str(uuid.uuid4()), code)
    assert wrong_code["__type"] == unknown_id["__type"] == "InvalidActivationId"
    assert wrong_code["message"] == unknown_id["message"]
    # The refused attempts used up nothing.
    register(server.url, activation_id, code)


def test_registration_validates_its_body(ssm: SSMClient, server: ServerProcess) -> None:
    activation_id, code = activate(ssm)
    good_key = public_key_b64(Ed25519PrivateKey.generate())
    cases: list[dict[str, Any]] = [
        {"ActivationId": activation_id, "ActivationCode": code},
        {"ActivationId": activation_id, "ActivationCode": code, "PublicKey": "not base64!"},
        {"ActivationId": activation_id, "ActivationCode": code, "PublicKey": "AAAA"},
        {
            "ActivationId": activation_id,
            "ActivationCode": code,
            "PublicKey": good_key,
            "Name": "bad\nname",
        },
        {"ActivationId": 7, "ActivationCode": code, "PublicKey": good_key},
    ]
    for body in cases:
        status, answer = post_register(server.url, body)
        assert (status, answer["__type"]) == (400, "ValidationException"), body
    assert _only(ssm, activation_id)["RegistrationsCount"] == 0


def test_activation_code_is_kept_only_as_a_digest(ssm: SSMClient, server: ServerProcess) -> None:
    """The code is a secret: it is in no column of the stored row (nor the SQLite file)."""
    activation_id, code = activate(ssm)
    url = server.database_url or f"sqlite:///{server.data_dir / 'openssm.db'}"
    engine = create_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT * FROM activations WHERE activation_id = :i"), {"i": activation_id}
            ).one()
    finally:
        engine.dispose()
    for value in row:
        raw = value if isinstance(value, bytes) else str(value).encode()
        assert code.encode() not in raw
    if server.database_url is None:
        for path in Path(server.data_dir).glob("openssm.db*"):
            assert code.encode() not in path.read_bytes()
