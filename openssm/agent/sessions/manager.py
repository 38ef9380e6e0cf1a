"""SessionManager: the agent's sessions, started by ``session_start`` frames on the channel and
ended by ``session_end`` (SPEC.md 13-14). A session lives on its own leg, so it outlasts a
reconnection of the channel.

The session machinery (the data-channel protocol, PTYs, port forwarding) is imported with the
first session, not at the agent's start: most agents never open one, and it costs about 1 MB of
idle RSS (bench/agent_rss.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from openssm.errors import ChannelError
from openssm.protocol.frames import Frame, SessionEndFrame, SessionStartFrame

if TYPE_CHECKING:
    from openssm.agent.sessions.leg import LegOpener
    from openssm.agent.sessions.run import SessionRun

log = logging.getLogger("openssm.agent.sessions")

STOP_REASON = "The agent on the managed node is stopping."


class SessionManager:
    def __init__(self, opener: LegOpener) -> None:
        self._opener = opener
        self._runs: dict[str, SessionRun] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def handle(self, frame: Frame) -> bool:
        """Take a session frame; False when ``frame`` is not one."""
        if isinstance(frame, SessionStartFrame):
            if frame.session_id not in self._tasks:
                task = asyncio.create_task(self._session(frame), name="session")
                self._tasks[frame.session_id] = task
        elif isinstance(frame, SessionEndFrame):
            run = self._runs.get(frame.session_id)
            if run is not None:
                run.end(frame.reason or f"Session {frame.session_id} was terminated.", drain=False)
        else:
            return False
        return True

    async def _session(self, frame: SessionStartFrame) -> None:
        from openssm.agent.sessions.ports import run_port
        from openssm.agent.sessions.run import SessionRun
        from openssm.agent.sessions.shell import run_shell

        session_id = frame.session_id
        try:
            leg = await self._opener.open(session_id)
        except ChannelError as exc:
            log.warning("session %s: cannot open its leg: %s", session_id, exc)
            self._tasks.pop(session_id, None)
            return
        run = SessionRun(frame, leg)
        self._runs[session_id] = run
        work = run_port if frame.session_type == "Port" else run_shell
        try:
            await run.run(work)
        finally:
            self._runs.pop(session_id, None)
            self._tasks.pop(session_id, None)

    async def stop(self, grace_s: float = 5.0) -> None:
        for run in list(self._runs.values()):
            run.end(STOP_REASON)
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace_s)
