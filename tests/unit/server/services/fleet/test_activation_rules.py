"""CreateActivation's ExpirationDate rule (API reference): default 24 hours from now, at most
30 days ahead, never in the past; and the code's shape (20 letters and digits)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from openssm.errors import InvalidParameters
from openssm.server.services.fleet.activations import expiration_date, new_code

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_default_expiration_is_24_hours_ahead() -> None:
    assert expiration_date(None, NOW) == NOW + dt.timedelta(hours=24)


@pytest.mark.parametrize(
    "ahead", [dt.timedelta(seconds=1), dt.timedelta(days=1), dt.timedelta(days=30)]
)
def test_expiration_up_to_30_days_ahead_is_kept(ahead: dt.timedelta) -> None:
    assert expiration_date(NOW + ahead, NOW) == NOW + ahead


@pytest.mark.parametrize(
    "offset",
    [dt.timedelta(0), -dt.timedelta(seconds=1), dt.timedelta(days=30, seconds=1)],
)
def test_expiration_now_in_the_past_or_beyond_30_days_is_refused(offset: dt.timedelta) -> None:
    with pytest.raises(InvalidParameters):
        expiration_date(NOW + offset, NOW)


def test_codes_are_20_letters_and_digits_and_differ() -> None:
    codes = {new_code() for _ in range(100)}
    assert len(codes) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9]{20}", c) for c in codes)
