"""The channel's pure parts: URLs, the silence limit, and websockets errors translated at the
boundary (STYLE 3.4) so that close codes 4401/4403 of SPEC.md mean what they say."""

from __future__ import annotations

import os

import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.frames import Close

from openssm.agent.channel import _closed_error, channel_url, proxy_setting, silence_limit_s
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


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", None),
        ({"PATH": "/bin", "HTTP_PROXYISH": "x"}, "linux", None),
        ({"https_proxy": ""}, "linux", None),  # empty: urllib ignores it too
        ({"HTTPS_PROXY": "http://proxy:3128"}, "linux", True),
        ({"all_proxy": "socks5h://proxy:1080"}, "linux", True),
        ({"no_proxy": "example.com"}, "linux", True),
        ({}, "darwin", True),  # macOS keeps proxies in its system settings as well
    ],
)
def test_the_channel_lets_websockets_look_the_proxy_up_only_when_one_may_be_set(
    environ: dict[str, str], platform: str, expected: bool | None
) -> None:
    assert proxy_setting(environ, platform) is expected


def test_with_no_proxy_variable_websockets_would_find_none_either() -> None:
    """What proxy_setting(...) = None skips is websockets' own look-up, which on Linux reads
    the environment alone: with no *_proxy variable it finds no proxy."""
    import urllib.request

    from websockets.proxy import get_proxy
    from websockets.uri import parse_uri

    environ = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", environ)
        assert urllib.request.getproxies() == {}
        assert get_proxy(parse_uri("wss://server.example:443/agent/v1/channel")) is None
        assert proxy_setting(environ, "linux") is None
