"""The in-memory queue of audit calls: order, bounds, and sampling of unidentified failures."""

from __future__ import annotations

import datetime as dt

from openssm.server.services.audit.calls import ApiCall, Identity
from openssm.server.services.audit.trail import (
    ANONYMOUS_PER_WINDOW,
    ANONYMOUS_WINDOW_S,
    AuditTrail,
)

NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _call(name: str, *, source_ip: str = "10.0.0.1", known: bool = True) -> ApiCall:
    call = ApiCall(
        event_source="ssm.amazonaws.com",
        event_name=name,
        request_id=name,
        event_time=NOW,
        source_ip=source_ip,
        user_agent="",
        account_id="123456789012",
        region="us-east-1",
    )
    if known:
        call.identity = Identity.user(account_id="123456789012", user_name="u", access_key_id="K")
    return call


def test_calls_come_out_in_order_and_a_failed_batch_goes_back_first() -> None:
    trail = AuditTrail()
    for i in range(5):
        trail.record(_call(f"Op{i}"))
    first = trail.take(3)
    trail.put_back(first)
    assert [c.event_name for c in trail.take(10)] == [f"Op{i}" for i in range(5)]


def test_a_full_queue_drops_and_counts_instead_of_growing() -> None:
    trail = AuditTrail(max_pending=2)
    for i in range(5):
        trail.record(_call(f"Op{i}"))
    assert (trail.pending, trail.dropped) == (2, 3)


def test_identified_callers_are_never_sampled_even_when_they_fail() -> None:
    trail = AuditTrail()
    for i in range(ANONYMOUS_PER_WINDOW * 3):
        call = _call(f"Op{i}")
        call.failed_with("AccessDenied", "no")
        trail.record(call)
    assert trail.pending == ANONYMOUS_PER_WINDOW * 3


def test_unidentified_failures_are_sampled_per_address_and_the_rest_counted() -> None:
    ticks = Ticks()
    trail = AuditTrail(monotonic=ticks)
    for address in ("10.0.0.1", "10.0.0.2"):
        for i in range(ANONYMOUS_PER_WINDOW + 7):
            call = _call(f"Guess{i}", source_ip=address, known=False)
            call.failed_with("InvalidSignatureException", "no")
            trail.record(call)
    assert trail.pending == 2 * ANONYMOUS_PER_WINDOW
    trail.take(trail.pending)
    ticks.now += ANONYMOUS_WINDOW_S
    later = _call("GuessLater", known=False)
    later.failed_with("InvalidSignatureException", "no")
    trail.record(later)
    (kept,) = trail.take(10)
    assert kept.additional == {"suppressedSimilarEvents": 7}
