"""The agent's inventory reporter: frames within 1 MiB, and hashes remembered once acked."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from openssm.agent.inventory.items import InventoryItem
from openssm.agent.inventory.reporter import InventoryReporter, ReportFailed, batches
from openssm.protocol.frames import (
    MAX_FRAME_CHARS,
    Frame,
    InventoryAckFrame,
    InventoryFrame,
    InventoryItemReport,
    encode,
)

AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


def _report(type_name: str, chars: int) -> InventoryItemReport:
    return InventoryItemReport(
        type_name=type_name,
        schema_version="1.0",
        capture_time="2026-12-06T00:00:00Z",
        content_hash="h",
        content=[{"Blob": "x" * chars}],
    )


def test_batches_fill_frames_up_to_the_frame_limit() -> None:
    reports = [_report(f"Custom:T{i}", 400_000) for i in range(5)]
    frames = batches(reports)
    assert [len(f) for f in frames] == [2, 2, 1]
    for items in frames:
        assert len(encode(InventoryFrame(report_id="x" * 36, items=items))) < MAX_FRAME_CHARS


def test_one_type_larger_than_a_frame_is_refused() -> None:
    with pytest.raises(ReportFailed, match="Custom:Huge"):
        batches([_report("Custom:Huge", MAX_FRAME_CHARS)])


class Server:
    """Answers every inventory frame at once; wants the content of ``forgotten`` types."""

    def __init__(self, reporter: InventoryReporter, forgotten: set[str]) -> None:
        self.reporter = reporter
        self.forgotten = forgotten
        self.frames: list[InventoryFrame] = []

    async def send(self, frame: Frame) -> None:
        assert isinstance(frame, InventoryFrame)
        self.frames.append(frame)
        wanted = [
            i.type_name for i in frame.items if i.content is None and i.type_name in self.forgotten
        ]
        ack = InventoryAckFrame(report_id=frame.report_id, content_wanted=wanted)
        asyncio.get_running_loop().call_soon(self.reporter.handle, ack)


def test_unchanged_types_go_without_content_until_the_server_wants_them(tmp_path: Path) -> None:
    reporter = InventoryReporter(tmp_path / "inventory")
    server = Server(reporter, forgotten=set())
    reporter.attach(server.send)
    items = [InventoryItem.of("Custom:A", [{"k": "1"}], AT), InventoryItem.of("Custom:B", [], AT)]
    first = asyncio.run(reporter.report(items))
    assert first.sent == ["Custom:A", "Custom:B"]
    assert (tmp_path / "inventory" / "reported.json").stat().st_mode & 0o777 == 0o600
    second = asyncio.run(reporter.report(items))
    assert second.unchanged == ["Custom:A", "Custom:B"]
    assert all(i.content is None for i in server.frames[-1].items)
    server.forgotten = {"Custom:A"}
    third = asyncio.run(reporter.report(items))
    assert third.sent == ["Custom:A"]
    assert server.frames[-1].items[0].content == [{"k": "1"}]


def test_reporting_without_a_channel_fails(tmp_path: Path) -> None:
    reporter = InventoryReporter(tmp_path)
    with pytest.raises(ReportFailed, match="not connected"):
        asyncio.run(reporter.report([InventoryItem.of("Custom:A", [], AT)]))
