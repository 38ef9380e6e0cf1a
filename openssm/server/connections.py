"""How many connections of each kind the server holds, each kind within its own budget.

Every connection costs an open file, and the process has a fixed number of them. Counted
together, a flood of one kind (idle HTTP sockets, half-open agent handshakes) would take the
files the others need, and at the limit real API calls and agents are refused. Counted
apart, each kind is refused only when its own budget is spent:

- pending: HTTP connections that have not yet sent their first request's headers, so may
  still become anything (``max_api_connections`` of them);
- API: HTTP connections whose requests are API calls, not WebSocket upgrades
  (``max_api_connections``);
- channels: agents' WebSockets (``max_agent_channels``; by default whatever the open-file
  limit leaves after the others and a reserve for the database and logs);
- sessions: Session Manager's data channels, a reserve kept for them. The budget counts
  sessions, as a person thinks of them: each session holds two connections here (the
  client's leg and the agent's), so ``sessions`` sessions take twice as many connections.

Pure counting; the HTTP protocol and the channel endpoint ask before they hold a connection
and tell when they let it go.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

# Files for everything that is not a client connection: database, WAL, logs, keyring, pipes.
RESERVED_FILES = 256
# Sessions relayed at once by one server process; each holds two connections (its legs).
MAX_SESSIONS = 1_000
LEGS_PER_SESSION = 2


class ConnectionKind(StrEnum):
    PENDING = "pending"
    API = "api"
    CHANNEL = "channel"
    SESSION = "session"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLimits:
    api: int
    channels: int
    sessions: int = MAX_SESSIONS

    @classmethod
    def within(cls, open_files: int, *, api: int, channels: int = 0) -> ConnectionLimits:
        """Budgets that fit ``open_files``; ``channels`` 0 takes what the others leave.

        Where files are scarce, pending and API connections and sessions' legs get an eighth
        of them each at most, so that agents always keep the larger part.
        """
        available = max(open_files - RESERVED_FILES, 8)
        api = min(api, available // 8)
        sessions = min(MAX_SESSIONS, available // 8 // LEGS_PER_SESSION)
        if not channels:
            channels = available - 2 * api - LEGS_PER_SESSION * sessions
        return cls(api=api, channels=channels, sessions=sessions)

    def of(self, kind: ConnectionKind) -> int:
        return {
            ConnectionKind.PENDING: self.api,
            ConnectionKind.API: self.api,
            ConnectionKind.CHANNEL: self.channels,
            ConnectionKind.SESSION: LEGS_PER_SESSION * self.sessions,
        }[kind]


class ConnectionCounts:
    """Connections open now, by kind; ``admit`` refuses past the kind's budget."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._open: Counter[ConnectionKind] = Counter()

    def admit(self, kind: ConnectionKind) -> bool:
        """Count one more connection of ``kind``; False (and nothing counted) when it is full."""
        if self._open[kind] >= self.limits.of(kind):
            return False
        self._open[kind] += 1
        return True

    def release(self, kind: ConnectionKind) -> None:
        if self._open[kind] <= 0:
            raise RuntimeError(f"released a {kind} connection that was never admitted")
        self._open[kind] -= 1

    def open(self, kind: ConnectionKind) -> int:
        return self._open[kind]
