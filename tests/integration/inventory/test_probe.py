"""A gatherer's command is bounded in CPU, memory, time and output, and its cost counted."""

from __future__ import annotations

import asyncio
import sys

import pytest

from openssm.agent.inventory.probe import Limits, ProbeFailed, probe


def test_probe_returns_output_and_the_commands_own_cost() -> None:
    result = asyncio.run(probe([sys.executable, "-c", "print('x' * 10)"]))
    assert result.error is None
    assert result.output == "x" * 10 + "\n"
    assert result.cpu_s > 0
    assert result.peak_rss_bytes > 1_000_000  # measured by wait4


def test_a_command_spinning_past_its_cpu_limit_is_stopped() -> None:
    result = asyncio.run(probe(["sh", "-c", "while :; do :; done"], Limits(cpu_s=1, timeout_s=30)))
    assert result.error is not None
    assert "CPU limit of 1 s" in result.error
    assert result.cpu_s >= 0.5  # the kernel checks the limit at its tick


def test_a_command_growing_past_its_memory_limit_fails() -> None:
    grow = "x = bytearray(400 << 20); print(len(x))"
    result = asyncio.run(probe([sys.executable, "-c", grow], Limits(memory_bytes=200 << 20)))
    assert result.error is not None
    assert result.output == ""


def test_a_command_past_its_wall_time_is_killed() -> None:
    result = asyncio.run(probe(["sleep", "30"], Limits(timeout_s=0.3)))
    assert result.error == "stopped after 0.3 s"


def test_a_missing_command_cannot_start() -> None:
    with pytest.raises(ProbeFailed, match="no-such-inventory-tool"):
        asyncio.run(probe(["no-such-inventory-tool"]))
