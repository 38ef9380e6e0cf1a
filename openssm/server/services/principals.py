"""A cache of verified principals that never outlives an identity change.

Loading a principal costs two queries and an AES-GCM unwrap of the key's secret;
checking the cache costs the identity generation the caller read (with the other
counters, in one statement, at the start of the request), which
every change to users, keys and policies bumps in its own transaction (also when
the change comes from `openssm admin` in another process or from another
replica). So a disabled, deleted or re-scoped key is refused by the very next
request, while a steady caller pays for the unwrap once.
"""

from __future__ import annotations

from dataclasses import dataclass

from openssm.server.secrets import Keyring
from openssm.server.services import identity
from openssm.server.store import generations
from openssm.server.store.engine import Store

# Unknown keys are never cached, so only real keys take room; this bounds memory
# should a deployment hold very many.
MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class Caller:
    """Who signed a request (None: no such usable key), and the parameters generation read
    in the same statement, for Parameter Store's cache later in the request."""

    principal: identity.Principal | None
    parameters_generation: int


class PrincipalCache:
    """Principals by access key id."""

    def __init__(self, store: Store, keyring: Keyring) -> None:
        self._store = store
        self._keyring = keyring
        self._entries: dict[str, identity.Principal] = {}

    async def caller(self, access_key_id: str) -> Caller:
        """The caller behind ``access_key_id``, as of the generations current right now."""
        snapshot = await generations.snapshot(self._store)
        principal = await self.lookup(access_key_id, snapshot.identity)
        return Caller(principal=principal, parameters_generation=snapshot.parameters)

    async def lookup(self, access_key_id: str, generation: int) -> identity.Principal | None:
        """The principal of ``access_key_id``, current as of identity ``generation``."""
        cached = self._entries.get(access_key_id)
        # Each entry carries the generation it was read at (in the same transaction
        # as the key and its policies), so a current one is never mistaken for stale
        # or the other way round, whatever order concurrent requests finish in.
        if cached is not None and cached.generation == generation:
            return cached
        principal = await self._store.read(
            lambda conn: identity.load_principal(conn, self._keyring, access_key_id)
        )
        if principal is None:
            self._entries.pop(access_key_id, None)
            return None
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[access_key_id] = principal
        return principal
