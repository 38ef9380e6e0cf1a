"""`openssm session`'s conversation with the agent (session_cmd.converse) over in-memory links,
against the line-shell stand-in: keys from a pipe or a regular file, output to the terminal."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from openssm.cli.session_cmd import Terminal, converse
from openssm.sessions.peer import DataChannelPeer
from openssm.sessions.wire import MessageType
from tests.unit.sessions.far_end import line_shell
from tests.unit.sessions.links import link


def _converse_with_keys_from(fd_in: int) -> bytes:
    read_end, write_end = os.pipe()

    async def scenario() -> None:
        client = DataChannelPeer(MessageType.INPUT_STREAM_DATA)
        agent = DataChannelPeer(MessageType.OUTPUT_STREAM_DATA)
        a, b = link()
        await client.attach(a)
        await agent.attach(b)
        shell = asyncio.create_task(line_shell(agent))
        await asyncio.wait_for(converse(client, Terminal(fd_in, write_end)), 10)
        await shell
        await client.close()

    asyncio.run(scenario())
    os.close(write_end)
    with os.fdopen(read_end, "rb") as output:
        return output.read()


def test_keys_from_a_regular_file_are_read_straight_through(tmp_path: Path) -> None:
    """`openssm session HOST < script`: the event loop cannot watch a regular file."""
    script = tmp_path / "keys"
    script.write_bytes(b"echo from-a-file\rexit\r")
    with script.open("rb") as keys:
        assert b"from-a-file\r\n" in _converse_with_keys_from(keys.fileno())


def test_keys_from_a_pipe() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"echo from-a-pipe\rexit\r")
    os.close(write_end)
    try:
        assert b"from-a-pipe\r\n" in _converse_with_keys_from(read_end)
    finally:
        os.close(read_end)
