"""Background loops of the server: schedules, timeouts, parameter policies, the event relay
and the nodes that fell silent."""

from __future__ import annotations

from openssm.server.events.relay import EventRelay
from openssm.server.loops import BackgroundLoop
from openssm.server.runtime import Runtime
from openssm.server.scheduler.associations import AssociationLoop
from openssm.server.scheduler.policies import PolicyLoop
from openssm.server.scheduler.silence import SilenceLoop


def build_loops(runtime: Runtime) -> list[BackgroundLoop]:
    """The loops a server process runs, in start order."""
    return [
        PolicyLoop(runtime),
        EventRelay(runtime),
        AssociationLoop(runtime),
        SilenceLoop(runtime),
    ]
