"""Sending inventory over the channel, and remembering what the server acknowledged.

The hashes of the items the server acknowledged are kept per type in
``<state-dir>/inventory/reported.json`` (0600): a type whose content hashes the same the
next time goes without its content. When the server no longer holds that hash (the data
was deleted), it asks for the content, which is then sent.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openssm.agent.inventory.items import InventoryItem
from openssm.errors import AgentError
from openssm.files import ensure_private_dir, write_private_file
from openssm.protocol.frames import (
    MAX_FRAME_CHARS,
    Frame,
    InventoryAckFrame,
    InventoryFrame,
    InventoryItemReport,
    encode,
)

Send = Callable[[Frame], Awaitable[None]]
ACK_TIMEOUT_S = 60.0
# Room for the frame's own members around its items.
_FRAME_BUDGET = MAX_FRAME_CHARS - 4096


class ReportFailed(AgentError):
    """The inventory could not be reported; the message says why."""


@dataclass(frozen=True, slots=True)
class Reported:
    sent: list[str]
    unchanged: list[str]


def _report(item: InventoryItem, *, with_content: bool) -> InventoryItemReport:
    return InventoryItemReport(
        type_name=item.type_name,
        schema_version=item.schema_version,
        capture_time=item.capture_time,
        content_hash=item.content_hash,
        content=item.content if with_content else None,
    )


def batches(reports: Sequence[InventoryItemReport]) -> list[list[InventoryItemReport]]:
    """The reports in frames of at most 1 MiB; ReportFailed for one that alone is larger."""
    frames: list[list[InventoryItemReport]] = []
    size = 0
    for report in reports:
        length = len(encode(InventoryFrame(report_id="", items=[report])))
        if length > _FRAME_BUDGET:
            raise ReportFailed(
                f"{report.type_name} is {length} characters, more than a frame carries"
            )
        if not frames or size + length > _FRAME_BUDGET:
            frames.append([])
            size = 0
        frames[-1].append(report)
        size += length
    return frames


class InventoryReporter:
    """The agent's inventory sender; the command runner lends it the channel's sender."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.custom_folder = folder / "custom"
        self._hashes_file = folder / "reported.json"
        self._send: Send | None = None
        self._waiting: dict[str, asyncio.Future[InventoryAckFrame]] = {}

    def attach(self, send: Send) -> None:
        self._send = send

    def detach(self) -> None:
        self._send = None
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ReportFailed("the channel closed before the server answered"))

    def handle(self, frame: Frame) -> bool:
        if not isinstance(frame, InventoryAckFrame):
            return False
        future = self._waiting.get(frame.report_id)
        if future is not None and not future.done():
            future.set_result(frame)
        return True

    def _acknowledged(self) -> dict[str, str]:
        try:
            value = json.loads(self._hashes_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return (
            {k: v for k, v in value.items() if isinstance(v, str)}
            if isinstance(value, dict)
            else {}
        )

    def _remember(self, hashes: dict[str, str]) -> None:
        ensure_private_dir(self.folder)
        write_private_file(self._hashes_file, json.dumps(hashes, sort_keys=True).encode())

    async def _exchange(self, reports: list[InventoryItemReport], timeout_s: float) -> list[str]:
        send = self._send
        if send is None:
            raise ReportFailed("the agent is not connected to the server")
        wanted: list[str] = []
        for batch in batches(reports):
            report_id = str(uuid.uuid4())
            future: asyncio.Future[InventoryAckFrame] = asyncio.get_running_loop().create_future()
            self._waiting[report_id] = future
            try:
                await send(InventoryFrame(report_id=report_id, items=batch))
                ack = await asyncio.wait_for(future, timeout_s)
            except TimeoutError:
                raise ReportFailed(f"the server did not answer within {timeout_s:g} s") from None
            finally:
                self._waiting.pop(report_id, None)
            if ack.error:
                raise ReportFailed(f"the server refused the inventory: {ack.error}")
            wanted.extend(ack.content_wanted)
        return wanted

    async def report(
        self, items: Sequence[InventoryItem], timeout_s: float = ACK_TIMEOUT_S
    ) -> Reported:
        """Send ``items``; ReportFailed when the server cannot be told or refuses them."""
        acknowledged = self._acknowledged()
        unchanged = [i.type_name for i in items if acknowledged.get(i.type_name) == i.content_hash]
        reports = [_report(i, with_content=i.type_name not in unchanged) for i in items]
        wanted = set(await self._exchange(reports, timeout_s))
        if wanted:
            again = [_report(i, with_content=True) for i in items if i.type_name in wanted]
            await self._exchange(again, timeout_s)
        acknowledged.update({i.type_name: i.content_hash for i in items})
        self._remember(acknowledged)
        return Reported(
            sent=[
                i.type_name for i in items if i.type_name not in unchanged or i.type_name in wanted
            ],
            unchanged=[t for t in unchanged if t not in wanted],
        )
