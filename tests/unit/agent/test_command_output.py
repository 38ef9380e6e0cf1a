"""One command's output on the agent (command_output.py): a stream that fits in the result is
held in memory and never spooled; one that outgrows it is spooled whole and streamed; a
command suspended for a reboot writes what it held, and the resumed run reads it back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from openssm.agent.command_output import STDERR_HEAD, STDOUT_HEAD, CommandOutput
from openssm.agent.spool import OutputSpool
from openssm.protocol.frames import Frame, OutputFrame

COMMAND_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


class Sent:
    def __init__(self) -> None:
        self.frames: list[Frame] = []

    async def __call__(self, frame: Frame) -> None:
        self.frames.append(frame)

    def text(self) -> str:
        return "".join(f.text for f in self.frames if isinstance(f, OutputFrame))


def _output(tmp_path: Path, sent: Sent | None = None) -> tuple[CommandOutput, OutputSpool]:
    spool = OutputSpool(tmp_path / "output")
    return CommandOutput(COMMAND_ID, spool, lambda: sent), spool


def test_output_the_result_carries_whole_is_held_and_never_spooled(tmp_path: Path) -> None:
    sent = Sent()
    output, spool = _output(tmp_path, sent)
    asyncio.run(output.chunk(0, "step", "stdout", "hi\n"))
    asyncio.run(output.chunk(0, "step", "stdout", "é" * ((STDOUT_HEAD - 3) // 2)))
    output.note(0, "said by the agent")

    stdout = "hi\n" + "é" * ((STDOUT_HEAD - 3) // 2)
    assert output.text(0) == (stdout, "said by the agent")
    assert output.sizes(0) == (len(stdout.encode()), len("said by the agent"))
    assert not output.spooled(0, "stdout")
    assert not output.spooled(0, "stderr")
    assert not spool.root.exists()
    assert sent.frames == []


def test_a_stream_that_outgrows_the_result_is_spooled_whole_and_streamed(tmp_path: Path) -> None:
    sent = Sent()
    output, spool = _output(tmp_path, sent)
    first, second = "a" * (STDERR_HEAD - 1), "bcd"
    asyncio.run(output.chunk(1, "step", "stderr", first))
    assert not output.spooled(1, "stderr")
    asyncio.run(output.chunk(1, "step", "stderr", second))  # one byte past the head

    assert output.spooled(1, "stderr")
    assert not output.spooled(1, "stdout")
    whole = (first + second).encode()
    assert (spool.root / COMMAND_ID / "1.stderr").read_bytes() == whole
    assert output.sizes(1) == (0, len(whole))
    assert output.text(1)[1] == (first + second)[:STDERR_HEAD]
    assert sent.text() == first + second  # all of it went out, from the first byte
    asyncio.run(output.chunk(1, "step", "stderr", "e"))
    assert (spool.root / COMMAND_ID / "1.stderr").read_bytes() == whole + b"e"
    assert sent.text() == first + second + "e"


def test_a_suspended_command_writes_what_it_held_and_the_resumed_run_reads_it_back(
    tmp_path: Path,
) -> None:
    before, spool = _output(tmp_path)
    asyncio.run(before.chunk(0, "first", "stdout", "step one\n"))
    asyncio.run(before.chunk(1, "reboots", "stdout", "asking for a reboot\n"))
    before.persist()
    assert spool.has(COMMAND_ID)

    after, _ = _output(tmp_path)  # the next agent process
    after.reload(range(2))
    assert after.text(0) == ("step one\n", "")
    assert after.sizes(0) == (len("step one\n"), 0)
    # The step that asked runs again: its output goes on in the same file.
    asyncio.run(after.chunk(1, "reboots", "stdout", "back\n"))
    assert after.text(1) == ("asking for a reboot\nback\n", "")
    assert after.sizes(1) == (len("asking for a reboot\nback\n"), 0)
    assert (spool.root / COMMAND_ID / "1.stdout").read_bytes() == b"asking for a reboot\nback\n"


def test_removing_a_commands_spool_takes_its_files_and_is_quiet_when_there_are_none(
    tmp_path: Path,
) -> None:
    spool = OutputSpool(tmp_path / "output")
    spool.append(COMMAND_ID, 0, "stdout", b"kept until acknowledged")
    other = "1f8fad5b-d9cb-469f-a165-70867728950e"
    spool.append(other, 0, "stderr", b"another command")
    spool.remove(COMMAND_ID)
    spool.remove(COMMAND_ID)  # acknowledged again: nothing left, nothing raised
    assert not spool.has(COMMAND_ID)
    assert spool.has(other)
    spool.remove("2f8fad5b-d9cb-469f-a165-70867728950e")  # never spooled anything
