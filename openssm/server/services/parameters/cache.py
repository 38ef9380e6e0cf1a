"""GetParameter's hot path: current versions kept in memory, never served stale.

GetParameter is the call applications make at start-up and on every config
refresh, often thousands a second across a fleet, while parameters change
rarely (AWS throttles PutParameter to a few per second). So the current version
of each parameter read by name is kept here, tagged with the parameters
generation it was read at; every write that changes a current version bumps
that generation in its own transaction (see store/parameters/repo.py). A request
reads the generation (with the identity generation, in the one statement an API
request starts with) and uses its cached row only if
the generation still matches, so a change committed by any process or replica
is seen by the very next request.

Only rows are kept: a SecureString stays sealed here and is decrypted per request.
Lookups by version, label or anything that fails are not cached.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services.parameters import names, reads
from openssm.server.store import generations
from openssm.server.store.engine import Store
from openssm.server.store.generations import Generation
from openssm.server.store.parameters.repo import VersionRow

# Bounds memory; when full the cache starts again empty (cheaper than LRU upkeep
# on every hit, and a full reload costs one query per parameter).
MAX_ENTRIES = 20_000

_Key = tuple[str, str, str]  # account, region, name key


class CurrentVersionCache:
    """(account, region, name key) → (generation, current version row)."""

    def __init__(self) -> None:
        self._entries: dict[_Key, tuple[int, VersionRow]] = {}
        self._generation_sql = generations.current_sql(Generation.PARAMETERS)

    async def get_parameter(
        self, store: Store, ctx: RequestContext, keyring: Keyring, name: str, *, decrypt: bool
    ) -> reads.ParameterValue:
        """GetParameter, answered from memory when the parameters generation allows."""
        ref = names.parse_ref(name, region=ctx.region, account_id=ctx.account_id)
        if ref.selector is not None or ref.key is None:
            return await store.read(
                lambda conn: reads.get_parameter(conn, ctx, keyring, name, decrypt=decrypt)
            )
        key = (ctx.account_id, ctx.region, ref.key)
        generation = ctx.parameters_generation
        if generation is None:
            generation = int(await store.scalar(self._generation_sql))
        cached = self._entries.get(key)
        if cached is not None and cached[0] == generation:
            return reads.value_of(ctx, keyring, cached[1], decrypt=decrypt)

        def load(conn: Connection) -> tuple[int, reads.ParameterValue]:
            # The generation and the row from one snapshot: the pair is consistent.
            read_at = generations.current(conn, Generation.PARAMETERS)
            return read_at, reads.get_parameter(conn, ctx, keyring, name, decrypt=decrypt)

        read_at, found = await store.read(load)
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (read_at, found.row)
        return found
