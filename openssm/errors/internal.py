"""Process-internal errors: never on the wire."""

from __future__ import annotations

from openssm.errors.base import OpenSSMError


class ConfigError(OpenSSMError):
    """Start-up configuration is wrong; ``problems`` lists every one, each a line of the text."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)


class StoreError(OpenSSMError):
    pass


class DuplicateKey(StoreError):
    """A unique key was taken first by a concurrent writer; trying again may succeed."""


class ConcurrentUpdate(StoreError):
    """A write kept losing races for the same key; the API answers TooManyUpdates."""


class ConstraintViolation(StoreError):
    """A NOT NULL, foreign-key or CHECK constraint refused a write: a bug in the code that
    wrote, never a conflict between callers, so it is never retried."""


class ChannelError(OpenSSMError):
    pass


class HandshakeRejected(ChannelError):
    pass


class ProtocolViolation(ChannelError):
    pass


class ConnectionClosed(ChannelError):
    pass


class UntrustedServer(ChannelError):
    """The server's TLS certificate failed verification."""


class InstanceDeregistered(ChannelError):
    """The server says this instance was deregistered; the agent must stop for good."""


class ObjectStoreError(OpenSSMError):
    """The object store (full command output) could not do what was asked."""


class ObjectNotFound(ObjectStoreError):
    pass


class BadObjectKey(ObjectStoreError, ValueError):
    """A key that would leave the store's root or that no store may hold."""


class AgentError(OpenSSMError):
    """The agent cannot do what it was asked; the message tells the operator what to do."""


class RegistrationError(AgentError):
    """The server refused the activation, or could not be reached."""


class AlreadyRegistered(AgentError):
    pass


class NotRegistered(AgentError):
    pass


class InsecureTransport(AgentError):
    """The server URL would carry secrets over a network in clear."""


class DataChannelError(ChannelError):
    """A session data-channel message or payload that cannot be read, or a peer that broke
    the session protocol (openssm.sessions)."""


class SessionEnded(DataChannelError):
    """The session's data channel closed for good (channel_closed, TerminateSession, resends
    exhausted); ``str(exc)`` is the reason to show the user."""
