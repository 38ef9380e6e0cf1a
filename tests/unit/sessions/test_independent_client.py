"""The ssm-session package from npm, an independent client of AWS's session protocol, against
our side of the protocol: it pads message types with NULs, sends a digest that is not SHA-256,
numbers its input from 1 after a size message at 0, acknowledges acknowledgements and never
resends; our peer must take all of that. Skipped where node or the package is not installed
(``make compat-clients`` installs it)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.sessions.far_end import far_end, line_shell

COMPAT = Path(__file__).resolve().parents[2] / "compat"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (COMPAT / "node_modules" / "ssm-session").is_dir(),
    reason="node and the npm compat clients are not installed (make compat-clients)",
)


async def _run_client(url: str, *lines: str) -> tuple[int, str]:
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(COMPAT / "ssm_session_shell.js"),
        url,
        "token-0",
        *lines,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode(errors="replace")


def test_a_shell_through_the_independent_client() -> None:
    async def scenario() -> tuple[int, str, bool]:
        async with far_end() as (far, url):
            shell = asyncio.create_task(line_shell(far.peer))
            code, output = await _run_client(url, "echo hello", "stty size", "^C", "exit")
            await asyncio.wait_for(shell, 10)
            return code, output, far.peer.closed.is_set()

    code, output, closed = asyncio.run(scenario())
    assert code == 0, output
    assert "hello\r\n" in output
    assert "40 132\r\n" in output  # the size it sent before any output
    assert "^C" in output
    assert closed
