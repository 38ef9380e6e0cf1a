"""What a session is on the server: its statuses, and what the agent needs to run it.

Pure. ``AgentSpec`` is stored with the session (``sessions.spec``) and sent to the agent in
the ``session_start`` frame, so a resumed or re-sent session runs exactly as it was started.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from openssm.protocol.frames import SessionStartFrame


class SessionStatus(StrEnum):
    CONNECTED = "Connected"
    CONNECTING = "Connecting"
    DISCONNECTED = "Disconnected"
    TERMINATED = "Terminated"
    TERMINATING = "Terminating"
    FAILED = "Failed"


# DescribeSessions State=Active lists these; History the others.
ACTIVE = (
    SessionStatus.CONNECTED,
    SessionStatus.CONNECTING,
    SessionStatus.DISCONNECTED,
    SessionStatus.TERMINATING,
)
HISTORY = (SessionStatus.TERMINATED, SessionStatus.FAILED)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSpec:
    session_type: str
    properties: dict[str, str] = field(default_factory=dict)
    run_as: str = ""
    shell_profile: str = ""
    idle_timeout_s: float = 0.0
    max_duration_s: float = 0.0
    # Whether the server keeps the session's output as its transcript (shells and
    # commands); port sessions keep per-connection records instead.
    records_output: bool = True
    # The preferences' s3BucketName and s3KeyPrefix: where the transcript goes ("" for the
    # server's local store). The server's to use; the agent is never told.
    s3_bucket: str = ""
    s3_prefix: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AgentSpec:
        return cls(**json.loads(text))

    def start_frame(self, session_id: str) -> SessionStartFrame:
        return SessionStartFrame(
            session_id=session_id,
            session_type=self.session_type,
            properties=self.properties,
            run_as=self.run_as,
            shell_profile=self.shell_profile,
            idle_timeout_s=self.idle_timeout_s,
            max_duration_s=self.max_duration_s,
        )
