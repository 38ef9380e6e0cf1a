"""Reliable, in-order delivery of one peer's stream data, as a pure state machine.

No sockets and no tasks: the caller hands in messages and the time (``clock``, monotonic
seconds; ``wall_ms`` only stamps CreatedDate), and gets
back what to put on the wire and what to deliver. Both the client and the agent use it; the
relay between them never does (reliability is end to end).

Sending: each ``send`` takes the next sequence number and keeps the message until its
acknowledgement arrives. At most ``window`` messages are unacknowledged at once; past that
``can_send`` is False and the caller waits (backpressure; nothing is ever dropped, unlike
the plugin, which drops its oldest unacknowledged message when its buffer is full). The
oldest unacknowledged message, once unacknowledged for longer than the retransmission
timeout, is sent again, and only it, as the plugin does: the link is in order, so the
messages behind it are most likely queued, not lost, and resending every overdue one cost a
whole window of spurious resends each time a queue grew (through the relay, three of every
four 32 KiB messages were sent twice). Each timeout doubles the next (RFC 6298 5.5) until a
fresh sample sets it again; the timeout follows the measured round trip (RFC 6298
smoothing, samples only from messages sent once). While the peer asked us to pause, nothing
is sent or resent; held messages go out when it asks us to start again.

Receiving: the message with the expected sequence number is delivered with every buffered
one that follows it; a later one is buffered (up to ``reorder_limit`` ahead) and
acknowledged; an earlier one is a duplicate, acknowledged again (its first acknowledgement
may have been lost) and not delivered. A message too far ahead is neither buffered nor
acknowledged, so its sender resends it later.

Facts from session-protocol.md §1 "Acknowledgements", "Receiving sequenced data" and
"Retransmission": acks match by sequence number; RTO = RTT + max(10 ms, 4·RTTVAR), starting
at 200 ms, capped at 1 s; after 3000 resends the session is given up; no sending while
paused by ``pause_publication``.

Module API: ``ReliableStream`` (``send``, ``can_send``, ``acknowledged``, ``due``,
``next_due_at``, ``pause``, ``start``, ``resend_all``, ``receive``), ``Receipt``,
``RetransmissionTimer``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from openssm.errors import SessionEnded
from openssm.sessions.payloads import acknowledge
from openssm.sessions.wire import ClientMessage, PayloadType, now_ms

INITIAL_RTO_S = 0.2
MIN_RTO_VARIANCE_S = 0.01
MAX_RTO_S = 1.0
MAX_RESENDS = 3000
DEFAULT_WINDOW = 128
DEFAULT_REORDER_LIMIT = 1024


@dataclass(slots=True)
class RetransmissionTimer:
    """The retransmission timeout from round-trip samples (RFC 6298's smoothing)."""

    srtt: float | None = None
    rttvar: float = 0.0
    rto: float = INITIAL_RTO_S

    def observe(self, sample: float) -> None:
        sample = max(sample, 0.0)
        if self.srtt is None:
            self.srtt, self.rttvar = sample, sample / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - sample)
            self.srtt = 0.875 * self.srtt + 0.125 * sample
        self.rto = min(MAX_RTO_S, self.srtt + max(MIN_RTO_VARIANCE_S, 4 * self.rttvar))

    def back_off(self) -> None:
        """A timeout fired: wait twice as long before the next (RFC 6298 5.5), until a new
        sample sets the timeout again."""
        self.rto = min(MAX_RTO_S, 2 * self.rto)


@dataclass(slots=True)
class _Pending:
    message: ClientMessage
    sent_at: float | None  # None: held while paused, never sent yet
    resends: int = 0


@dataclass(frozen=True, slots=True)
class Receipt:
    """What one received message gives: the messages now deliverable, in order, and the
    acknowledgement to send (None when the message must not be acknowledged)."""

    deliver: tuple[ClientMessage, ...] = ()
    ack: ClientMessage | None = None
    duplicate: bool = False


@dataclass(slots=True)
class ReliableStream:
    """``outgoing_type`` is what this side sends: input_stream_data for a client,
    output_stream_data for an agent."""

    outgoing_type: str
    clock: Callable[[], float]
    wall_ms: Callable[[], int] = now_ms
    window: int = DEFAULT_WINDOW
    reorder_limit: int = DEFAULT_REORDER_LIMIT
    next_sequence: int = 0
    expected: int = 0
    paused: bool = False
    timer: RetransmissionTimer = field(default_factory=RetransmissionTimer)
    resent_total: int = 0
    _unacked: dict[int, _Pending] = field(default_factory=dict)
    _reorder: dict[int, ClientMessage] = field(default_factory=dict)

    # --- sending ---------------------------------------------------------------------------

    def can_send(self) -> bool:
        return len(self._unacked) < self.window

    @property
    def unacked_count(self) -> int:
        return len(self._unacked)

    def send(
        self, payload: bytes, payload_type: int = PayloadType.OUTPUT, flags: int = 0
    ) -> ClientMessage | None:
        """Number and keep the next message; return it to put on the wire now, or None when
        paused (it goes out on ``start``). RuntimeError when the window is full: wait for
        ``can_send``."""
        if not self.can_send():
            raise RuntimeError("the send window is full: wait until messages are acknowledged")
        message = ClientMessage(
            message_type=self.outgoing_type,
            sequence_number=self.next_sequence,
            payload=payload,
            payload_type=payload_type,
            flags=flags,
            created_ms=self._ms(),
        )
        self.next_sequence += 1
        sent_at = None if self.paused else self.clock()
        self._unacked[message.sequence_number] = _Pending(message, sent_at)
        return None if self.paused else message

    def acknowledged(self, sequence_number: int) -> bool:
        """Forget the acknowledged message; False when it was not outstanding (a duplicate
        ack, or one for a message never sent)."""
        pending = self._unacked.pop(sequence_number, None)
        if pending is None:
            return False
        if pending.resends == 0 and pending.sent_at is not None:
            self.timer.observe(self.clock() - pending.sent_at)
        return True

    def due(self) -> list[ClientMessage]:
        """The messages to put on the wire now: those held while paused, and the oldest one
        when its acknowledgement is overdue. SessionEnded once a message was resent
        MAX_RESENDS times."""
        if self.paused:
            return []
        now = self.clock()
        out = []
        oldest = True
        for pending in self._unacked.values():
            if pending.sent_at is None:
                pending.sent_at = now
                out.append(pending.message)
            elif oldest and now - pending.sent_at >= self.timer.rto:
                if pending.resends >= MAX_RESENDS:
                    raise SessionEnded(
                        f"message {pending.message.sequence_number} was not acknowledged "
                        f"after {MAX_RESENDS} resends"
                    )
                pending.resends += 1
                pending.sent_at = now
                self.resent_total += 1
                self.timer.back_off()
                out.append(pending.message)
            oldest = False
        return out

    def next_due_at(self) -> float | None:
        """When ``due`` may next have something (clock time), or None when nothing waits."""
        if self.paused or not self._unacked:
            return None
        times = [p.sent_at for p in self._unacked.values()]
        if any(t is None for t in times):
            return self.clock()
        return min(t for t in times if t is not None) + self.timer.rto

    def resend_all(self) -> list[ClientMessage]:
        """Every unacknowledged message, in order, for a fresh connection (after a resume);
        empty while paused."""
        if self.paused:
            return []
        now = self.clock()
        for pending in self._unacked.values():
            pending.sent_at = now
        return [p.message for p in self._unacked.values()]

    def pause(self) -> None:
        self.paused = True

    def start(self) -> None:
        self.paused = False

    # --- receiving -------------------------------------------------------------------------

    def receive(self, message: ClientMessage) -> Receipt:
        """Take one sequenced message from the peer (see the module docstring)."""
        sequence = message.sequence_number
        if sequence < self.expected:
            return Receipt(ack=self._ack(message), duplicate=True)
        if sequence > self.expected:
            if sequence - self.expected > self.reorder_limit:
                return Receipt()
            duplicate = sequence in self._reorder
            self._reorder.setdefault(sequence, message)
            return Receipt(ack=self._ack(message), duplicate=duplicate)
        deliver = [message]
        self.expected += 1
        while (following := self._reorder.pop(self.expected, None)) is not None:
            deliver.append(following)
            self.expected += 1
        return Receipt(deliver=tuple(deliver), ack=self._ack(message))

    @property
    def buffered_count(self) -> int:
        return len(self._reorder)

    def _ack(self, message: ClientMessage) -> ClientMessage:
        return acknowledge(message, created_ms=self._ms())

    def _ms(self) -> int:
        return self.wall_ms()
