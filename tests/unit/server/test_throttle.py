"""FailureThrottle: failures drain a key's bucket, time refills it, successes never count."""

from __future__ import annotations

import pytest

from openssm.clock import FakeClock
from openssm.server.throttle import FailureThrottle, client_key

ADDRESS = "address:192.0.2.7"


def _throttle(
    clock: FakeClock, *, burst: int = 3, per_s: float = 0.5, max_keys: int = 100
) -> FailureThrottle:
    return FailureThrottle(burst=burst, per_s=per_s, monotonic=clock.monotonic, max_keys=max_keys)


def test_a_key_may_fail_burst_times_then_waits_for_a_token() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    assert [throttle.retry_after_s(ADDRESS) for _ in range(3)] == [0, 0, 0]
    assert [throttle.failed(ADDRESS) for _ in range(3)] == [False, False, True]
    assert throttle.retry_after_s(ADDRESS) == pytest.approx(2.0)  # one token at 0.5 a second
    clock.advance(1.5)
    assert throttle.retry_after_s(ADDRESS) == pytest.approx(0.5)
    clock.advance(0.5)
    assert throttle.retry_after_s(ADDRESS) == 0


def test_after_the_burst_failures_are_allowed_at_the_refill_rate() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, burst=2, per_s=1.0)
    allowed = 0
    for _ in range(100):  # one attempt every 0.1 s for 10 s
        if throttle.retry_after_s(ADDRESS) == 0:
            allowed += 1
            throttle.failed(ADDRESS)
        clock.advance(0.1)
    assert allowed == 2 + 9  # the burst, then one a second


def test_a_bucket_refills_to_the_burst_and_no_further() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    throttle.failed(ADDRESS)
    clock.advance(3600)
    assert [throttle.failed(ADDRESS) for _ in range(3)] == [False, False, True]


def test_keys_are_throttled_apart_and_any_exhausted_key_refuses() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, burst=1)
    throttle.failed(ADDRESS, "activation:a")
    assert throttle.retry_after_s("address:198.51.100.1") == 0
    assert throttle.retry_after_s("address:198.51.100.1", "activation:a") > 0
    assert throttle.retry_after_s(ADDRESS, "activation:b") > 0


def test_memory_stays_bounded_by_forgiving_the_longest_idle() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, burst=1, max_keys=100)
    throttle.failed(ADDRESS)
    for n in range(10_000):
        clock.advance(0.001)
        throttle.failed(f"address:10.0.{n // 256}.{n % 256}")
        assert len(throttle) <= 100
    assert throttle.retry_after_s("address:10.0.39.15") > 0  # the newest is still throttled
    assert throttle.retry_after_s(ADDRESS) == 0  # the longest idle was forgiven


def test_full_buckets_are_dropped_before_any_active_one() -> None:
    clock = FakeClock()
    throttle = _throttle(clock, burst=2, per_s=1.0, max_keys=4)
    for n in range(4):
        throttle.failed(f"address:old{n}")
    clock.advance(10)  # the old buckets are full again
    throttle.failed(ADDRESS)
    throttle.failed(ADDRESS)
    assert len(throttle) == 1
    assert throttle.retry_after_s(ADDRESS) > 0


def test_settings_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        FailureThrottle(burst=0, per_s=1, monotonic=FakeClock().monotonic)


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "address:192.0.2.7"),
        ("2001:db8::1", "address:2001:db8::/64"),
        ("2001:db8::ffff:1", "address:2001:db8::/64"),
        ("::ffff:192.0.2.7", "address:192.0.2.7"),
        (None, "address:unknown"),
        ("testclient", "address:testclient"),
    ],
)
def test_client_key_groups_an_ipv6_host_by_its_64(host: str | None, key: str) -> None:
    assert client_key(host) == key
