"""Connection budgets: each kind is counted and refused apart from the others."""

from __future__ import annotations

import pytest

from openssm.server.connections import (
    LEGS_PER_SESSION,
    MAX_SESSIONS,
    RESERVED_FILES,
    ConnectionCounts,
    ConnectionKind,
    ConnectionLimits,
)


def test_a_full_kind_refuses_only_its_own() -> None:
    counts = ConnectionCounts(ConnectionLimits(api=2, channels=3))
    assert [counts.admit(ConnectionKind.API) for _ in range(3)] == [True, True, False]
    assert [counts.admit(ConnectionKind.CHANNEL) for _ in range(4)] == [True, True, True, False]
    assert counts.admit(ConnectionKind.PENDING)
    counts.release(ConnectionKind.API)
    assert counts.admit(ConnectionKind.API)
    assert counts.open(ConnectionKind.API) == 2


def test_releasing_what_was_never_admitted_is_a_bug() -> None:
    counts = ConnectionCounts(ConnectionLimits(api=1, channels=1))
    with pytest.raises(RuntimeError, match="never admitted"):
        counts.release(ConnectionKind.CHANNEL)


def test_channels_take_what_the_open_files_leave() -> None:
    limits = ConnectionLimits.within(20_000, api=1_000)
    assert limits.channels == 20_000 - RESERVED_FILES - 2 * 1_000 - 2 * MAX_SESSIONS
    assert limits.channels >= 10_000  # a 10,000-agent fleet fits the usual 20,000 files
    assert ConnectionLimits.within(20_000, api=1_000, channels=500).channels == 500


def test_where_files_are_scarce_agents_keep_the_larger_part() -> None:
    limits = ConnectionLimits.within(1_024, api=1_000)
    # An eighth of the 768 left each: 96 API connections, 96 legs for 48 sessions.
    assert (limits.api, limits.sessions) == (96, 48)
    assert limits.channels == 768 - 3 * 96


def test_the_session_budget_counts_sessions_of_two_legs_each() -> None:
    """Each session holds a client leg and an agent leg: 1,000 sessions are 2,000 legs."""
    counts = ConnectionCounts(ConnectionLimits(api=1, channels=1))
    legs = [counts.admit(ConnectionKind.SESSION) for _ in range(LEGS_PER_SESSION * MAX_SESSIONS)]
    assert all(legs)
    assert not counts.admit(ConnectionKind.SESSION)
    assert ConnectionLimits(api=1, channels=1).sessions == MAX_SESSIONS == 1_000
