"""The agent's reboot action: the host owner's command, run as given; a failure is an error."""

from __future__ import annotations

import asyncio

import pytest

from openssm.agent.reboot import RebootFailed, reboot_with


def test_no_command_means_no_reboot_action() -> None:
    assert reboot_with("") is None
    assert reboot_with("   ") is None


def test_a_command_that_succeeds_is_a_reboot_under_way() -> None:
    reboot = reboot_with("true")
    assert reboot is not None
    asyncio.run(reboot())


@pytest.mark.parametrize(
    ("command", "said"),
    [("sh -c 'echo no >&2; exit 3'", "sh exited 3: no"), ("/nonexistent/reboot", "cannot run")],
)
def test_a_command_that_fails_is_reported(command: str, said: str) -> None:
    reboot = reboot_with(command)
    assert reboot is not None
    with pytest.raises(RebootFailed, match=said):
        asyncio.run(reboot())
