"""The dispatcher: delivers invocations to the agents connected here, under rate control, and
records what they report.

One pass (``tick``) runs in one write transaction, whatever the fleet's size:

1. the results agents sent since the last pass are recorded (a group commit: 10,000 results
   arriving together cost a few transactions, not 10,000);
2. one statement finds the unfinished commands' open invocations; a command with one past
   its timeout ends it (DeliveryTimedOut), and a command with waiting ones has rate control
   claim the next among the agents connected to this replica. A command whose every open
   invocation runs in time (or waits for a node that is away) costs the pass nothing more;
3. results that came meanwhile for the commands the pass holds locked are recorded too;
4. the roll-up is rewritten for the commands whose invocations changed in the pass.

After the commit the results are acknowledged (the agent may then forget them) and the
claimed invocations are sent. A pass runs at once when something happens (an agent connected,
a result arrived, a command cancelled or sent by a schedule) and every ``interval_s`` to catch
up with timeouts; a pass for a result waits a moment (RESULT_SETTLE_S) for the other results
of its command still awaited from agents served here. SendCommand needs no pass: the command
starts on the agents connected here in the transaction that writes it (``start_new``).

Delivery is at least once: an invocation is claimed before it is sent, and a claimed one whose
agent reconnects is sent again (``agent_connected``); the agent runs a command id once and
answers a repeat with its stored result (DESIGN §4).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import secrets as token_source
import threading
from collections.abc import Callable, Mapping, Sequence
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
from openssm.server.store.commands.open_work import open_work
from openssm.server.store.engine import Store
from openssm.server.store.notify import COMMANDS_CHANNEL, Listener, notify

log = logging.getLogger("openssm.dispatch")

DEFAULT_INTERVAL_S = 1.0
# AWS keeps command history 30 days; finished commands older than that are dropped hourly.
HISTORY = dt.timedelta(days=30)
_PRUNE_EVERY = dt.timedelta(hours=1)
_STOP_TIMEOUT_S = 10.0
# How many recently delivered commands a dispatcher remembers (see ``delivered_command``).
_DELIVERED_KEPT = 4096
# How long a pass waits for more results of a command it delivered while its other agents'
# are still to come. Agents that ran the same command report within a few milliseconds of
# each other, but the server reads them one after another: a pass for the first one alone
# would cost as much again as the one for the rest. Only intermediate statuses wait; the last
# awaited result starts the pass at once.
RESULT_SETTLE_S = 0.002
# The largest command SendCommand starts in its own transaction (see ``start_new``).
INLINE_START_TARGETS = 100


@dataclass(slots=True)
class _Pass:
    """What one pass decided, to act on after it committed."""

    acks: list[tuple[str, str]] = field(default_factory=list)  # (instance id, command id)
    cancels: list[tuple[str, str]] = field(default_factory=list)  # (command id, instance id)
    deliveries: list[tuple[repo.CommandRow, tuple[str, ...]]] = field(default_factory=list)
    active: set[str] = field(default_factory=set)  # ids of the commands still unfinished
    # Results that came while the pass ran, recorded in it (see ``_results_meanwhile``).
    meanwhile: list[progress.InvocationResult] = field(default_factory=list)
    again: bool = False  # those freed a slot that rate control may fill: another pass now


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
        # The loop adds results while a pass, on a worker thread, may take those of the
        # commands it holds locked: both hold this lock to change the list. Only the loop's
        # thread appends, so the loop may read it without the lock.
        self._results_lock = threading.Lock()
        # Whether something other than a result woke the dispatcher since its pass began.
        self._woken_for_more = False
        # Cancels this process has passed on to its agents (each is sent once per channel).
        self._cancels_sent: set[tuple[str, str]] = set()
        # Replicas sharing PostgreSQL wake each other when work appears or slots free up.
        self._listener = Listener(store.engine, COMMANDS_CHANNEL, self._woken_by_database)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pruned_at: dt.datetime | None = None
        # Commands delivered from here lately: their results come back here, and what of them
        # never changes (where their output goes) need not be read again for each result.
        self._delivered: dict[str, repo.CommandRow] = {}
        # Command id → the instances it was sent to from here whose results have not come.
        self._awaited: dict[str, set[str]] = {}
        # Resolved by the next result while a pass waits for more (``_settle_results``).
        self._arrival: asyncio.Future[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await super().start()
        self._listener.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self._listener.stop)
        await super().stop()

    def _woken_by_database(self) -> None:
        """Called from the listener's thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.wake)

    def delivered_command(self, command_id: str) -> repo.CommandRow | None:
        """The command as it was when this dispatcher last delivered it, if it did lately; its
        status fields may be stale, the rest of it never changes."""
        return self._delivered.get(command_id)

    # --- events from the channel --------------------------------------------------------------

    def result_received(self, instance_id: str, frame: ResultFrame) -> None:
        """An agent reported a result: record it on the next pass (soon). ProtocolViolation
        when the frame is malformed (the channel then closes)."""
        self.result_ready(result_from_frame(instance_id, frame))

    def result_ready(self, result: progress.InvocationResult) -> None:
        """A checked result (its output collected): record it on the next pass (soon)."""
        with self._results_lock:
            # In place: a copy per result made a fan-out's thousands of results quadratic.
            self._results.append(result)
        awaited = self._awaited.get(result.command_id)
        if awaited is not None:
            awaited.discard(result.instance_id)
            if not awaited:
                del self._awaited[result.command_id]
        if self._arrival is not None and not self._arrival.done():
            self._arrival.set_result(None)
        super().wake()

    def wake(self) -> None:
        self._woken_for_more = True
        super().wake()

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

    async def start_new(self, write: Callable[[Connection], repo.CommandRow]) -> repo.CommandRow:
        """SendCommand: ``write`` the command and, in the same transaction, claim what rate
        control starts at once on the agents connected here; they are sent it once that
        committed. Returns the command as written (Pending). Its invocations left waiting
        are for the passes (the results of these, other replicas woken by its NOTIFY).
        A command of more than INLINE_START_TARGETS targets is left to the next pass: the
        time to claim and send its thousands of invocations would hold SendCommand's answer
        (and a fan-out to 10,000 took a second longer so), where the transaction saved is
        worth having only for a small one."""
        reachable = self._hub.connected()

        def started(conn: Connection) -> tuple[repo.CommandRow, tuple[str, ...]]:
            command = write(conn)
            if not reachable or command.finished or command.target_count > INLINE_START_TARGETS:
                return command, ()
            # Nobody else sees the command before this commits: no lock is needed to claim.
            now = command.requested_at
            advanced = progress.advance(
                conn, command, reachable=reachable, replica=self.replica_id, now=now
            )
            if advanced.claimed or advanced.ended:
                progress.refresh(conn, command, now)
            return command, advanced.claimed

        command, claimed = await self._store.write(started)
        if claimed:
            await self._send_invocation(command, claimed)
        else:
            self.wake()
        return command

    # --- one pass -----------------------------------------------------------------------------

    async def tick(self) -> None:
        await self._settle_results()
        self._woken_for_more = False
        with self._results_lock:
            results, self._results = self._results, []
        reachable = self._hub.connected()
        now = self._clock.now()
        decided = _Pass()
        try:
            await self._store.write(lambda conn: self._pass(conn, decided, results, reachable, now))
        except Exception:
            with self._results_lock:  # recorded on the next try, never dropped
                self._results = [*results, *decided.meanwhile, *self._results]
            raise
        if decided.again:
            self.wake()
        elif decided.meanwhile and not self._results and not self._woken_for_more:
            self.forget_wake()  # the results that woke it are recorded: no pass for nothing
        for instance_id, command_id in decided.acks:
            await self._hub.send(instance_id, ResultAckFrame(command_id=command_id))
        for command, instance_ids in decided.deliveries:
            await self._send_invocation(command, instance_ids)
        # Results that never come (an agent gone, a command timed out) are not awaited past
        # the command's end.
        for command_id in self._awaited.keys() - decided.active:
            del self._awaited[command_id]
        # Those no longer Cancelling are forgotten, so the set stays as small as the work.
        self._cancels_sent &= set(decided.cancels)
        for command_id, instance_id in decided.cancels:
            if (command_id, instance_id) not in self._cancels_sent:
                self._cancels_sent.add((command_id, instance_id))
                await self._hub.send(instance_id, CancelFrame(command_id=command_id))

    def _pass(
        self,
        conn: Connection,
        decided: _Pass,
        results: Sequence[progress.InvocationResult],
        reachable: frozenset[str],
        now: dt.datetime,
    ) -> None:
        """One pass, in a write transaction on a worker thread; ``decided`` is what to do
        once it committed."""
        active = repo.active_commands(conn)  # locked first: see active_commands
        decided.active = {command.command_id for command in active}
        locked = {command.command_id: command for command in active}
        progress.record_results(conn, results, known=locked)
        # Every result is acknowledged, a dropped one too: the agent may forget it.
        decided.acks.extend((result.instance_id, result.command_id) for result in results)
        changed = {result.command_id for result in results}
        work = open_work(conn)
        ended = 0
        waiting: set[str] = set()
        for command in active:
            open_now = work.get(command.command_id)
            if open_now is None:  # every invocation ended: the roll-up says it next
                changed.add(command.command_id)
                continue
            if progress.is_due(command, open_now, now):
                expired = progress.expire(conn, command, now)
                ended += expired
                if expired:
                    changed.add(command.command_id)
            if open_now.waiting:
                waiting.add(command.command_id)
                advanced = progress.advance(
                    conn, command, reachable=reachable, replica=self.replica_id, now=now
                )
                ended += advanced.ended
                if advanced.claimed:
                    decided.deliveries.append((command, advanced.claimed))
                if advanced.claimed or advanced.ended:
                    changed.add(command.command_id)
        decided.meanwhile = self._results_meanwhile(locked)
        if decided.meanwhile:
            progress.record_results(conn, decided.meanwhile, known=locked)
            decided.acks.extend((r.instance_id, r.command_id) for r in decided.meanwhile)
            changed.update(r.command_id for r in decided.meanwhile)
            decided.again = any(r.command_id in waiting for r in decided.meanwhile)
        # Only the commands whose invocations moved are rolled up again, those that had
        # already finished (a late or repeated result) too.
        for command_id in sorted(changed):
            moved = locked.get(command_id) or repo.get_command_by_id(conn, command_id)
            if moved is not None:
                progress.refresh(conn, moved, now)
        # A cancel asked through another replica reaches the agents delivered from here. Only
        # a cancelled command has invocations being cancelled (CancelCommand marks the command
        # in the transaction that marks them), and until they end it is unfinished, so active.
        if any(command.cancel_requested for command in active):
            decided.cancels = [
                pair
                for pair in repo.cancelling_claimed_by(conn, self.replica_id)
                if pair[1] in reachable
            ]
        if results or decided.meanwhile or ended:
            notify(conn, COMMANDS_CHANNEL)  # rate control may start more on other replicas
        if self._pruned_at is None or now - self._pruned_at >= _PRUNE_EVERY:
            self._pruned_at = now
            dropped = repo.delete_commands_before(conn, now - HISTORY)
            if dropped:
                log.info("dropped %d commands older than %d days", dropped, HISTORY.days)

    def _results_meanwhile(
        self, locked: Mapping[str, repo.CommandRow]
    ) -> list[progress.InvocationResult]:
        """From the pass's thread: the results that came while it ran for the commands it
        holds locked, taken to be recorded in it (agents that ran the same command report a
        few milliseconds apart: a pass of their own would cost as much again). The others
        wait for the next pass, which locks their commands."""
        with self._results_lock:
            taken = [r for r in self._results if r.command_id in locked]
            if taken:
                self._results = [r for r in self._results if r.command_id not in locked]
        return taken

    async def _settle_results(self) -> None:
        """Wait (RESULT_SETTLE_S at most) while results of the commands whose results are in
        are still awaited from agents served here, so that one pass records them together."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RESULT_SETTLE_S
        while any(result.command_id in self._awaited for result in self._results):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._arrival = loop.create_future()
            try:
                await asyncio.wait_for(self._arrival, remaining)
            except TimeoutError:
                return
            finally:
                self._arrival = None

    async def _send_invocation(self, command: repo.CommandRow, instance_ids: Sequence[str]) -> None:
        if command.command_id not in self._delivered and len(self._delivered) >= _DELIVERED_KEPT:
            self._delivered.clear()
        self._delivered[command.command_id] = command
        sealed = send.open_plan(self._keyring, command.command_id, command.sealed_plan)
        frame = InvocationFrame(
            command_id=command.command_id,
            plan=sealed.plan,
            documents=list(sealed.documents),
            secrets=list(sealed.secrets),
            execution_timeout_s=command.execution_timeout_s,
            region=command.region,
        )
        for instance_id in instance_ids:
            if await self._hub.send(instance_id, frame):
                self._awaited.setdefault(command.command_id, set()).add(instance_id)
            else:
                # Claimed but not sent: it goes out when the agent reconnects.
                log.info(
                    "invocation %s for %s waits for its agent", command.command_id, instance_id
                )
