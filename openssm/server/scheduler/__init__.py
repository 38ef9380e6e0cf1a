"""Background loops of the server: schedules, timeouts, parameter policies and the event
relay."""

from __future__ import annotations

from openssm.server.events.relay import EventRelay
from openssm.server.loops import BackgroundLoop
from openssm.server.runtime import Runtime
from openssm.server.scheduler.associations import AssociationLoop
from openssm.server.scheduler.policies import PolicyLoop


def build_loops(runtime: Runtime) -> list[BackgroundLoop]:
    """The loops a server process runs, in start order."""
    return [PolicyLoop(runtime), EventRelay(runtime), AssociationLoop(runtime)]
