"""The dispatcher: delivers invocations to the agents connected here, under rate control, and
records what they report.

One pass (``tick``) runs in one write transaction, whatever the fleet's size:

1. the results agents sent since the last pass are recorded (a group commit: 10,000 results
   arriving together cost a few transactions, not 10,000);
2. for every unfinished command, what ran out of time ends (DeliveryTimedOut), and rate
   control claims the next invocations among the agents connected to this replica;
3. each command's roll-up is rewritten.

After the commit the results are acknowledged (the agent may then forget them) and the
claimed invocations are sent. A pass runs at once when something happens (a command sent, an
agent connected, a result arrived) and every ``interval_s`` to catch up with timeouts.

Delivery is at least once: an invocation is claimed before it is sent, and a claimed one whose
agent reconnects is sent again (``agent_connected``); the agent runs a command id once and
answers a repeat with its stored result (DESIGN §4).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets as token_source
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from openssm.clock import Clock
from openssm.protocol.frames import CancelFrame, InvocationFrame, ResultAckFrame, ResultFrame
from openssm.server.channel.hub import Hub
from openssm.server.loops import PeriodicLoop
from openssm.server.secrets import Keyring
from openssm.server.services.commands import progress, send
from openssm.server.services.commands.wire import result_from_frame
from openssm.server.store.commands import repo
from openssm.server.store.engine import Store

log = logging.getLogger("openssm.dispatch")

DEFAULT_INTERVAL_S = 1.0
_STOP_TIMEOUT_S = 10.0


@dataclass(slots=True)
class _Pass:
    """What one pass decided, to act on after it committed."""

    acks: list[tuple[str, str]] = field(default_factory=list)  # (instance id, command id)
    deliveries: list[tuple[repo.CommandRow, tuple[str, ...]]] = field(default_factory=list)


class Dispatcher(PeriodicLoop):
    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        hub: Hub,
        clock: Clock,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        replica_id: str | None = None,
    ) -> None:
        super().__init__(name="dispatcher", interval_s=interval_s, stop_timeout_s=_STOP_TIMEOUT_S)
        self._store = store
        self._keyring = keyring
        self._hub = hub
        self._clock = clock
        self.replica_id = replica_id or token_source.token_hex(8)
        self._results: list[progress.InvocationResult] = []

    # --- events from the channel --------------------------------------------------------------

    def result_received(self, instance_id: str, frame: ResultFrame) -> None:
        """An agent reported a result: record it on the next pass (soon). ProtocolViolation
        when the frame is malformed (the channel then closes)."""
        self._results.append(result_from_frame(instance_id, frame))
        self.wake()

    async def agent_connected(self, instance_id: str) -> None:
        """Send the agent again what it was given and has not answered (it may have missed
        it), tell it again what to cancel, then let rate control consider it."""
        in_flight = await self._store.read(
            lambda conn: repo.in_flight_for_instance(conn, instance_id)
        )
        for invocation in in_flight:
            if invocation.status_details == "Cancelling":
                await self._hub.send(instance_id, CancelFrame(command_id=invocation.command_id))
                continue
            command = await self._store.read(
                functools.partial(repo.get_command_by_id, command_id=invocation.command_id)
            )
            if command is not None:
                await self._send_invocation(command, (instance_id,))
        self.wake()

    # --- one pass -----------------------------------------------------------------------------

    async def tick(self) -> None:
        results, self._results = self._results, []
        reachable = self._hub.connected()
        now = self._clock.now()
        try:
            decided = await self._store.write(
                lambda conn: self._pass(conn, results, reachable, now)
            )
        except Exception:
            self._results[:0] = results  # recorded on the next try, never dropped
            raise
        for instance_id, command_id in decided.acks:
            await self._hub.send(instance_id, ResultAckFrame(command_id=command_id))
        for command, instance_ids in decided.deliveries:
            await self._send_invocation(command, instance_ids)

    def _pass(
        self,
        conn: Connection,
        results: Sequence[progress.InvocationResult],
        reachable: frozenset[str],
        now: dt.datetime,
    ) -> _Pass:
        decided = _Pass()
        for result in results:
            progress.record_result(conn, result)
            decided.acks.append((result.instance_id, result.command_id))
        touched = {result.command_id for result in results}
        for command in repo.active_commands(conn):
            touched.discard(command.command_id)
            progress.expire(conn, command, now)
            claimed = progress.advance(
                conn, command, reachable=reachable, replica=self.replica_id, now=now
            )
            if claimed:
                decided.deliveries.append((command, claimed))
            progress.refresh(conn, command)
        for command_id in touched:  # results for commands that had already finished
            finished = repo.get_command_by_id(conn, command_id)
            if finished is not None:
                progress.refresh(conn, finished)
        return decided

    async def _send_invocation(self, command: repo.CommandRow, instance_ids: Sequence[str]) -> None:
        sealed = send.open_plan(self._keyring, command.command_id, command.sealed_plan)
        frame = InvocationFrame(
            command_id=command.command_id,
            plan=sealed.plan,
            secrets=list(sealed.secrets),
            execution_timeout_s=command.execution_timeout_s,
            region=command.region,
        )
        for instance_id in instance_ids:
            if not await self._hub.send(instance_id, frame):
                # Claimed but not sent: it goes out when the agent reconnects.
                log.info(
                    "invocation %s for %s waits for its agent", command.command_id, instance_id
                )
