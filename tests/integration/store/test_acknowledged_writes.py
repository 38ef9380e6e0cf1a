"""SECURITY.md #25: every write the API acknowledged is still there after a kill -9.

Writers put parameters as fast as the server answers; the server is killed (SIGKILL: no
shutdown, no last flush) while calls are in flight, then started again on the same data
dir. Every call that was answered 200 must be found with the value it wrote (or a later one:
a call cut off by the kill may have landed unanswered), and a multi-parameter delete
answered before the burst stays whole.

A kill -9 leaves the operating system's page cache intact, so this catches an answer sent
before its commit, not an unsynced commit; ``tests/unit/server/store/test_durability.py``
holds SQLite to syncing every commit, which is what a power loss needs.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
import urllib3.exceptions

from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

WRITERS = 6
NAMES_PER_WRITER = 20
ACKNOWLEDGED_BEFORE_KILL = 300


@dataclass
class Ledger:
    """What the server acknowledged: per name, the highest write number answered 200."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latest: dict[str, int] = field(default_factory=dict)
    count: int = 0

    def record(self, name: str, number: int) -> None:
        with self.lock:
            self.latest[name] = number
            self.count += 1


def _writer(ssm: Any, prefix: str, stop: threading.Event, ledger: Ledger) -> None:
    """Overwrites its own names in turn; only this writer writes them, so numbers only grow."""
    number = 0
    while not stop.is_set():
        name = f"{prefix}/{number % NAMES_PER_WRITER}"
        try:
            ssm.put_parameter(Name=name, Value=str(number), Type="String", Overwrite=True)
        except (botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError, OSError):
            return  # the server is gone: this call was never acknowledged
        ledger.record(name, number)
        number += 1


def test_acknowledged_writes_survive_a_kill_mid_burst(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path / "server")
    server.start()
    try:
        root = f"/durable/{uuid.uuid4().hex[:8]}"
        ssm = server.client()
        doomed = [f"{root}/doomed/{i}" for i in range(10)]
        for name in doomed:
            ssm.put_parameter(Name=name, Value="x", Type="String")
        assert sorted(ssm.delete_parameters(Names=doomed)["DeletedParameters"]) == sorted(doomed)

        ledger = Ledger()
        stop = threading.Event()
        writers = [
            threading.Thread(
                target=_writer, args=(server.client(), f"{root}/w{i}", stop, ledger), daemon=True
            )
            for i in range(WRITERS)
        ]
        for thread in writers:
            thread.start()
        wait_until(lambda: ledger.count >= ACKNOWLEDGED_BEFORE_KILL, timeout_s=60)
        server.kill()
        stop.set()
        for thread in writers:
            thread.join(timeout=30)
        with ledger.lock:
            acknowledged = dict(ledger.latest)

        server.start()
        found = _values_under(server.client(), root)
        # A call cut off by the kill may have landed after its predecessor was acknowledged.
        lost = {
            name: number
            for name, number in acknowledged.items()
            if int(found.get(name, "-1")) < number
        }
        assert lost == {}, f"acknowledged, then lost: {lost}"
        assert not any(name.startswith(f"{root}/doomed/") for name in found)
    finally:
        server.stop()


def _values_under(ssm: Any, root: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=root, Recursive=True):
        for parameter in page["Parameters"]:
            values[parameter["Name"]] = parameter["Value"]
    return values
