"""Throttling of guesses: token buckets that only failures drain.

Each key (a client address, an activation) holds up to ``burst`` tokens and regains
``per_s`` a second. A failed guess (a wrong activation code, a bad signature) spends one;
a key with less than one token left is refused before its next guess is even checked, so a
guesser gets ``burst`` tries at once and ``per_s`` a second after that. Successes spend
nothing: 10,000 hosts registering from behind one address are never slowed.

Pure: time comes from the ``monotonic`` callable it is given, and nothing here does I/O.
Memory is bounded: past ``max_keys`` the buckets that have filled up again (which are the
same as no bucket) are dropped, then the longest-idle ones.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MAX_KEYS = 65_536
# IPv6 hands a host a whole /64: throttling single addresses there would throttle nothing.
_IPV6_PREFIX = 64


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class FailureThrottle:
    def __init__(
        self,
        *,
        burst: int,
        per_s: float,
        monotonic: Callable[[], float],
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if burst < 1 or per_s <= 0 or max_keys < 1:
            raise ValueError("burst and max_keys must be at least 1, per_s more than 0")
        self._burst = float(burst)
        self._per_s = per_s
        self._monotonic = monotonic
        self._max_keys = max_keys
        # Insertion order is the order of last failure: the first entries are the longest idle.
        self._buckets: dict[str, _Bucket] = {}

    def retry_after_s(self, *keys: str) -> float:
        """0 when every key may try now; else the seconds until all of them may."""
        now = self._monotonic()
        wait = 0.0
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is not None:
                tokens = self._refilled(bucket, now)
                if tokens < 1:
                    wait = max(wait, (1 - tokens) / self._per_s)
        return wait

    def failed(self, *keys: str) -> bool:
        """Spend a token of each key; True when one of them has none left (is now throttled)."""
        now = self._monotonic()
        exhausted = False
        for key in keys:
            bucket = self._buckets.pop(key, None)
            tokens = self._burst if bucket is None else self._refilled(bucket, now)
            tokens = max(tokens - 1, 0.0)
            self._buckets[key] = _Bucket(tokens=tokens, at=now)
            exhausted |= tokens < 1
        if len(self._buckets) > self._max_keys:
            self._shrink(now)
        return exhausted

    def __len__(self) -> int:
        return len(self._buckets)

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        return min(self._burst, bucket.tokens + (now - bucket.at) * self._per_s)

    def _shrink(self, now: float) -> None:
        # Down to three quarters of the cap, so that shrinking (a pass over every key) is rare.
        full = [key for key, b in self._buckets.items() if self._refilled(b, now) >= self._burst]
        for key in full:
            del self._buckets[key]
        # Still too many keys failing at once: forgive the longest idle.
        excess = len(self._buckets) - self._max_keys * 3 // 4
        for key in list(self._buckets)[: max(excess, 0)]:
            del self._buckets[key]


def client_key(host: str | None) -> str:
    """The throttle key of a client address: the address itself, or its /64 for IPv6."""
    if not host:
        return "address:unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{host}/{_IPV6_PREFIX}', strict=False)}"
    return f"address:{address}"
