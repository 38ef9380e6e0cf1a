"""Two server processes on one database: what one writes, the other answers at once.

Servers keep principals and parameters' current versions in memory and check a
generation counter in the database on every request, so these tests write on
one process and read on the other, with no pause in between. They are also the
shape of a scale-out deployment: several replicas on one PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.postgres import PostgresServer
from tests.support import ServerProcess, server_pair


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def replicas(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = None
    if request.param == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        url = postgres.create_database()
    with server_pair(tmp_path / "shared", database_url=url) as pair:
        yield pair


def _value(client: SSMClient, name: str) -> str:
    value: str = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    return value


def test_overwrite_and_delete_are_seen_by_the_other_server_at_once(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    writer, reader = (s.client() for s in replicas)
    name = f"/shared/{uuid.uuid4().hex[:8]}/db"
    writer.put_parameter(Name=name, Value="one", Type="String")
    assert _value(reader, name) == "one"
    assert _value(reader, name) == "one"  # now from the reader's memory
    writer.put_parameter(Name=name, Value="two", Type="String", Overwrite=True)
    assert _value(reader, name) == "two"
    version = reader.get_parameter(Name=name)["Parameter"]["Version"]
    assert version == 2
    writer.delete_parameter(Name=name)
    assert error_of(reader.get_parameter, Name=name).code == "ParameterNotFound"


def test_secure_string_overwrite_is_seen_decrypted(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    writer, reader = (s.client() for s in replicas)
    name = f"/shared/{uuid.uuid4().hex[:8]}/secret"
    writer.put_parameter(Name=name, Value="first-secret", Type="SecureString")
    assert _value(reader, name) == "first-secret"
    writer.put_parameter(Name=name, Value="second-secret", Type="SecureString", Overwrite=True)
    assert _value(reader, name) == "second-secret"
    # Without decryption the reader answers the new ciphertext, not a remembered one.
    sealed = reader.get_parameter(Name=name)["Parameter"]["Value"]
    assert sealed not in ("first-secret", "second-secret")
    assert reader.get_parameter(Name=name)["Parameter"]["Version"] == 2


def test_a_selector_still_reads_the_store(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    writer, reader = (s.client() for s in replicas)
    name = f"/shared/{uuid.uuid4().hex[:8]}/labelled"
    writer.put_parameter(Name=name, Value="v1", Type="String")
    assert _value(reader, name) == "v1"
    writer.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)
    writer.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    assert _value(reader, f"{name}:stable") == "v1"
    assert _value(reader, f"{name}:2") == "v2"
    assert _value(reader, name) == "v2"
