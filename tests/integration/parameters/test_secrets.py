"""A canary SecureString never reaches the database bytes, the logs, events or error messages
(SECURITY.md item 14; DESIGN §8 "Plaintext never reaches the database, logs, events or error
messages").

The canary goes in through every path that carries a value, including the failing ones
(a pattern mismatch, a value too large, a nested reference, a bad key, a type change), then
the raw SQLite file and its WAL, the outbox and the server's stdout/stderr are scanned for it.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator

import pytest

from tests.aws_errors import AwsError, error_of
from tests.canary import assert_absent, command_lines
from tests.support import ServerProcess


@pytest.fixture(scope="module")
def canary_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A SQLite server of its own, so its files hold only what this module wrote."""
    handle = ServerProcess(data_dir=tmp_path_factory.mktemp("canary") / "server")
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


def test_canary_secure_strings_appear_nowhere(canary_server: ServerProcess) -> None:
    ssm = canary_server.client()
    canary = f"CANARY-{uuid.uuid4().hex}"
    root = f"/canary{uuid.uuid4().hex[:8]}"
    errors: list[AwsError] = []
    # Stored several ways: creation, overwrite, history, a custom pattern, an Advanced value.
    ssm.put_parameter(Name=f"{root}/a", Value=canary, Type="SecureString")
    ssm.put_parameter(Name=f"{root}/a", Value=canary + "-v2", Type="SecureString", Overwrite=True)
    ssm.put_parameter(
        Name=f"{root}/b", Value=canary, Type="SecureString", AllowedPattern="^CANARY-[0-9a-f]+$"
    )
    ssm.put_parameter(
        Name=f"{root}/c", Value=canary + "x" * 5000, Type="SecureString", Tier="Advanced"
    )
    ssm.label_parameter_version(Name=f"{root}/a", ParameterVersion=1, Labels=["one"])
    # A plain String is stored in clear: the control that shows the scan below sees values.
    control = f"CONTROL-{uuid.uuid4().hex}"
    ssm.put_parameter(Name=f"{root}/plain", Value=control, Type="String")
    # And refused several ways, each with the value in the request.
    errors.append(error_of(
        ssm.put_parameter, Name=f"{root}/d", Value=canary, Type="SecureString",
        AllowedPattern=r"^\d+$",
    ))  # fmt: skip
    errors.append(error_of(
        ssm.put_parameter, Name=f"{root}/e", Value=canary * 200, Type="SecureString"
    ))  # fmt: skip
    errors.append(error_of(
        ssm.put_parameter, Name=f"{root}/f", Value="{{" + canary + "}}", Type="SecureString"
    ))  # fmt: skip
    errors.append(error_of(
        ssm.put_parameter, Name=f"{root}/g", Value=canary, Type="SecureString",
        KeyId="alias/does-not-exist",
    ))  # fmt: skip
    errors.append(error_of(ssm.put_parameter, Name=f"{root}/a", Value=canary, Type="String",
                       Overwrite=True))  # fmt: skip
    errors.append(error_of(ssm.put_parameter, Name=f"{root}/a", Value=canary, Type="SecureString"))
    errors.append(error_of(
        ssm.put_parameter, Name=f"{root}/h", Value=canary, Type="SecureString",
        DataType="aws:ec2:image",
    ))  # fmt: skip
    errors.append(error_of(
        ssm.put_parameter, Name=f"{root}/i", Value=canary, Type="SecureString",
        Policies="not json",
    ))  # fmt: skip
    # Reads without decryption never carry it; reads with decryption do (the point of them).
    sealed = ssm.get_parameters_by_path(Path=root, Recursive=True)["Parameters"]
    history = ssm.get_parameter_history(Name=f"{root}/a")["Parameters"]
    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}]
    )["Parameters"]
    assert ssm.get_parameter(Name=f"{root}/a:one", WithDecryption=True)["Parameter"]["Value"] == (
        canary
    )
    for where, payload in [
        ("error messages", "\n".join(e.message for e in errors)),
        ("unencrypted reads", json.dumps([sealed, history], default=str)),
        ("DescribeParameters", json.dumps(described, default=str)),
    ]:
        assert_absent(canary, payload.encode(), where)

    # The events of all those writes, read the way a relay would.
    db = canary_server.data_dir / "openssm.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        events = conn.execute("SELECT resources, detail FROM outbox_events").fetchall()
    assert events, "the writes above should have produced change events"
    assert_absent(canary, json.dumps(events).encode(), "outbox events")

    assert_absent(canary, command_lines(), "/proc/*/cmdline")

    # The raw bytes, with the server still running (so the WAL holds recent pages) and after
    # a clean stop (checkpointed into the main file).
    for path in sorted(canary_server.data_dir.glob("openssm.db*")):
        assert_absent(canary, path.read_bytes(), path.name)
    canary_server.stop()
    files = b"".join(p.read_bytes() for p in sorted(canary_server.data_dir.glob("openssm.db*")))
    assert control.encode() in files
    for path in sorted(canary_server.data_dir.glob("openssm.db*")):
        assert_absent(canary, path.read_bytes(), path.name)
    for path in (canary_server.stdout_path, canary_server.stderr_path):
        assert_absent(canary, path.read_bytes(), path.name)
    # Started again, migrations run over the stored data; it still decrypts, and still
    # only the server holds it in clear.
    canary_server.start()
    value = canary_server.client().get_parameter(Name=f"{root}/a:1", WithDecryption=True)[
        "Parameter"
    ]["Value"]
    assert value == canary
    for path in sorted(canary_server.data_dir.glob("openssm.db*")):
        assert_absent(canary, path.read_bytes(), path.name)
