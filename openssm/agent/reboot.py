"""Rebooting the host when a step asks for it (exit 194 or 3010), with the command the agent's
settings name (``--reboot-command``). The agent has recorded where the command resumes
before it calls this; the reboot stops the agent like any shutdown."""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections.abc import Callable, Coroutine
from typing import Any

from openssm.errors import AgentError

log = logging.getLogger("openssm.agent.reboot")

Reboot = Callable[[], Coroutine[Any, Any, None]]


class RebootFailed(AgentError):
    """The reboot command could not start or exited non-zero."""


def reboot_with(command: str) -> Reboot | None:
    """A reboot action running ``command`` (shell words); None when it is empty."""
    argv = shlex.split(command)
    if not argv:
        return None

    async def reboot() -> None:
        log.warning("rebooting the host: %s", shlex.join(argv))
        try:
            # The command is the host owner's own setting, never a value from the server.
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise RebootFailed(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
        _, err = await process.communicate()
        if process.returncode != 0:
            said = err.decode("utf-8", "replace").strip()[:200]
            raise RebootFailed(f"{argv[0]} exited {process.returncode}: {said}")

    return reboot
