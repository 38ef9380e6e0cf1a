"""Retry backoff (openssm.backoff): full jitter over a capped exponential (base 0.5 s, cap 30 s)."""

from __future__ import annotations

import pytest

from openssm.backoff import Backoff, backoff_ceiling, backoff_delay


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (5, 16.0), (6, 30.0), (7, 30.0), (10_000, 30.0)],
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt: int, ceiling: float) -> None:
    assert backoff_ceiling(attempt, base_s=0.5, cap_s=30.0) == ceiling


def test_backoff_ceiling_refuses_negative_attempt() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        backoff_ceiling(-1, base_s=0.5, cap_s=30.0)


@pytest.mark.parametrize("draw", [0.0, 0.25, 0.999999])
def test_backoff_delay_is_the_draw_scaled_to_the_ceiling(draw: float) -> None:
    delay = backoff_delay(3, base_s=0.5, cap_s=30.0, draw=lambda: draw)
    assert delay == pytest.approx(draw * 4.0)


def test_backoff_delays_never_exceed_the_cap() -> None:
    backoff = Backoff(base_s=0.5, cap_s=2.0)
    delays = [backoff.next_delay() for _ in range(200)]
    assert all(0.0 <= d <= 2.0 for d in delays)
    assert len(set(delays)) > 150  # jittered, not a fixed schedule


def test_backoff_reset_starts_over_from_the_base() -> None:
    backoff = Backoff(base_s=0.5, cap_s=30.0, draw=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(4)] == [0.5, 1.0, 2.0, 4.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
