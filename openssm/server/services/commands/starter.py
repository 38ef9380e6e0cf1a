"""How SendCommand hands a command to the dispatcher of this server.

Once the app runs a dispatcher, a sent command starts in the transaction that writes it: what
rate control allows on the agents connected here is claimed there, and sent to them once it
committed. Without that, a second transaction (a dispatcher pass of its own, and its commit to
disk) came between SendCommand and the first agent. Agents served by other replicas are woken
by the command's NOTIFY, as before; a server without a dispatcher (a test's) rings the
commands doorbell instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Connection

from openssm.server.loops import Doorbell
from openssm.server.store.commands.repo import CommandRow
from openssm.server.store.engine import Store

Write = Callable[[Connection], CommandRow]
Start = Callable[[Write], Awaitable[CommandRow]]


class CommandStarter:
    def __init__(self) -> None:
        self._start: Start | None = None

    def attach(self, start: Start) -> None:
        """``start`` runs a command's write with its first deliveries (the dispatcher's)."""
        self._start = start

    async def send(self, store: Store, doorbell: Doorbell, write: Write) -> CommandRow:
        """Write a new command and start it; the command as written (Pending)."""
        if self._start is not None:
            return await self._start(write)
        row = await store.write(write)
        doorbell.ring()
        return row
