"""The channel's pure parts: URLs, the silence limit, and websockets errors translated at the
boundary (STYLE 3.4) so that close codes 4401/4403 of SPEC.md mean what they say."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.frames import Close

from openssm.agent.channel import _closed_error, channel_url, silence_limit_s
from openssm.errors import ConnectionClosed, HandshakeRejected, InstanceDeregistered


@pytest.mark.parametrize(
    ("server", "url"),
    [
        ("http://127.0.0.1:8787", "ws://127.0.0.1:8787/agent/v1/channel"),
        ("https://ssm.example/base/", "wss://ssm.example/base/agent/v1/channel"),
    ],
)
def test_channel_url_follows_the_server_scheme(server: str, url: str) -> None:
    assert channel_url(server) == url


def test_channel_url_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="http"):
        channel_url("ftp://h")


def test_silence_limit_is_three_heartbeats_but_at_least_ten_seconds() -> None:
    assert silence_limit_s(0.5) == 10.0
    assert silence_limit_s(30.0) == 90.0


def test_close_4403_means_deregistered() -> None:
    error = _closed_error(ConnectionClosedError(Close(4403, "deregistered"), None))
    assert isinstance(error, InstanceDeregistered)
    assert "deregistered" in str(error)


def test_close_4401_means_the_credentials_were_refused() -> None:
    error = _closed_error(ConnectionClosedError(Close(4401, ""), None))
    assert isinstance(error, HandshakeRejected)


@pytest.mark.parametrize(
    ("exc", "fragment"),
    [
        (ConnectionClosedOK(Close(1001, "going away"), None), "code 1001, going away"),
        (ConnectionClosedError(Close(4409, "replaced"), None), "code 4409, replaced"),
        (ConnectionClosedError(None, None), "without a close frame"),
    ],
)
def test_other_closes_are_a_lost_connection_to_retry(
    exc: ConnectionClosedError, fragment: str
) -> None:
    error = _closed_error(exc)
    assert type(error) is ConnectionClosed
    assert fragment in str(error)
