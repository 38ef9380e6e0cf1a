"""The retry schedule of event deliveries: doubling, jittered, capped, then dead-lettered."""

from __future__ import annotations

import pytest

from openssm.server.events.retry import retry_delay_s


@pytest.mark.parametrize(
    ("failed", "ceiling"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0)]
)
def test_the_ceiling_doubles_up_to_the_cap(failed: int, ceiling: float) -> None:
    top = retry_delay_s(failed, max_attempts=20, cap_s=30.0, draw=lambda: 0.999999)
    bottom = retry_delay_s(failed, max_attempts=20, cap_s=30.0, draw=lambda: 0.0)
    assert top == pytest.approx(ceiling, rel=1e-5)
    assert bottom == pytest.approx(ceiling / 2)


def test_the_wait_never_passes_the_cap_however_many_attempts() -> None:
    delays = [retry_delay_s(n, max_attempts=1000, cap_s=30.0) for n in range(1, 999)]
    assert all(d is not None and 0 < d <= 30.0 for d in delays)


def test_a_receiver_back_after_a_minute_gets_its_event_within_another_30_seconds() -> None:
    # Worst case: every draw takes the longest wait; the events keep being tried.
    elapsed, failed = 0.0, 0
    while elapsed < 60.0:
        failed += 1
        delay = retry_delay_s(failed, max_attempts=20, cap_s=30.0, draw=lambda: 0.999999)
        assert delay is not None, "dead-lettered while the receiver was down for a minute"
        elapsed += delay
    assert elapsed < 60.0 + 30.0


def test_spent_attempts_dead_letter() -> None:
    assert retry_delay_s(3, max_attempts=3, cap_s=30.0) is None
    assert retry_delay_s(2, max_attempts=3, cap_s=30.0) is not None
