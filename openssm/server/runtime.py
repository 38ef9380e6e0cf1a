"""The live parts every handler and background loop works with, passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field

from openssm.clock import Clock
from openssm.config import ServerSettings
from openssm.server.channel.hub import Hub
from openssm.server.connections import ConnectionCounts, ConnectionLimits
from openssm.server.loops import Doorbell
from openssm.server.objects.stores import OutputStores
from openssm.server.secrets import Keyring
from openssm.server.services.audit.trail import AuditTrail
from openssm.server.services.commands.starter import CommandStarter
from openssm.server.services.parameters.cache import CurrentVersionCache
from openssm.server.store.engine import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    settings: ServerSettings
    store: Store
    keyring: Keyring
    clock: Clock
    # Where commands' whole output is kept: the local store, or a bucket on the S3 service.
    objects: OutputStores
    # The agents connected to this process.
    hub: Hub = field(default_factory=Hub)
    # GetParameter's in-memory current versions (invalidated through the database).
    parameter_cache: CurrentVersionCache = field(default_factory=CurrentVersionCache)
    # The connections this process holds, by kind (bootstrap sizes them to the open files).
    connections: ConnectionCounts = field(
        default_factory=lambda: ConnectionCounts(ConnectionLimits(api=1000, channels=10_000))
    )
    # Rung when a command was sent or cancelled: the dispatcher looks for work at once.
    commands_doorbell: Doorbell = field(default_factory=Doorbell)
    # SendCommand's way to this server's dispatcher (its first deliveries in its transaction).
    command_starter: CommandStarter = field(default_factory=CommandStarter)
    # Rung when an association was created, updated or asked to run: the scheduler acts now.
    associations_doorbell: Doorbell = field(default_factory=Doorbell)
    # API calls and agent events waiting to be written to the audit trail.
    audit: AuditTrail = field(default_factory=AuditTrail)
