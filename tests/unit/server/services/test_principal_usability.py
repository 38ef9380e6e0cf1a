"""SECURITY.md #5: a key's expiry is judged with the clock the server is given, at the
exact boundary, and a disabled key is never usable. The endpoint asks this of every
request, cached principal or not."""

from __future__ import annotations

import datetime as dt

from openssm.clock import FakeClock
from openssm.server.services.identity import Principal

EXPIRES = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _principal(*, active: bool = True, expires_at: dt.datetime | None = EXPIRES) -> Principal:
    return Principal(
        access_key_id="OSSMUNITTEST00000001",
        account_id="123456789012",
        user_name="alice",
        secret_access_key="not-a-real-secret-000000000000000000000",
        is_active=active,
        expires_at=expires_at,
        policy_documents=(),
        generation=0,
    )


def test_usable_until_the_instant_of_expiry_and_not_at_it() -> None:
    clock = FakeClock(EXPIRES - dt.timedelta(microseconds=1))
    principal = _principal()
    assert principal.is_usable(clock.now())
    clock = FakeClock(EXPIRES)
    assert not principal.is_usable(clock.now())


def test_a_key_without_expiry_stays_usable() -> None:
    assert _principal(expires_at=None).is_usable(
        FakeClock(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)).now()
    )


def test_a_disabled_key_is_never_usable() -> None:
    early = FakeClock(EXPIRES - dt.timedelta(days=30)).now()
    assert not _principal(active=False).is_usable(early)
    assert not _principal(active=False, expires_at=None).is_usable(early)
