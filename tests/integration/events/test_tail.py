"""`openssm events tail` reads the server's event stream live, as a person runs it; the stream
and the EventBridge API refuse unsigned callers and callers without permission (SECURITY.md
#1)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.aws_errors import error_of
from tests.integration.events.support import events_client
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.cli
def test_tail_prints_matching_events_as_they_are_written(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    prefix = "/tail" + uuid.uuid4().hex[:8]
    pattern = json.dumps({"detail": {"name": [{"prefix": prefix + "/shown"}]}})
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_ENDPOINT_URL_SSM": sqlite_server.url,
    }
    with subprocess.Popen(
        [sys.executable, "-m", "openssm", "events", "tail", "--json", "--pattern", pattern],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        _expect_shown(sqlite_server, process, prefix)


def _expect_shown(server: ServerProcess, process: subprocess.Popen[str], prefix: str) -> None:
    try:
        lines = _lines(process)
        ssm = server.client()
        deadline = time.monotonic() + 30
        line = None
        # The tail shows what is written after it connected: write until it shows something.
        while line is None:
            assert time.monotonic() < deadline, "tail printed nothing"
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            ssm.put_parameter(Name=f"{prefix}/hidden", Value="x", Type="String", Overwrite=True)
            ssm.put_parameter(Name=f"{prefix}/shown", Value="x", Type="String", Overwrite=True)
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
        event = json.loads(line)
        assert event["detail-type"] == "Parameter Store Change"
        assert event["detail"]["name"] == f"{prefix}/shown"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, {}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_tail_stream_refuses_unsigned_callers(sqlite_server: ServerProcess) -> None:
    status, body = _get(sqlite_server.url + "/events/v1/tail")
    assert status == 403
    assert body["__type"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("operation", ["PutRule", "ListRules", "PutTargets", "NoSuchOperation"])
def test_eventbridge_operations_refuse_unsigned_calls(
    sqlite_server: ServerProcess, operation: str
) -> None:
    request = urllib.request.Request(
        sqlite_server.url + "/",
        data=b"{}",
        headers={"X-Amz-Target": f"AWSEvents.{operation}"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    with refused.value:
        assert refused.value.code == 403
        body = json.loads(refused.value.read())
    assert body["__type"] == "MissingAuthenticationTokenException"


def test_an_unknown_eventbridge_operation_is_named(sqlite_server: ServerProcess) -> None:
    events = events_client(sqlite_server)
    error = error_of(events.list_event_buses)
    assert error.code == "UnsupportedOperationException"
    assert "ListEventBuses" in error.message
