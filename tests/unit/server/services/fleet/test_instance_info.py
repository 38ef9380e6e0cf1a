"""What an agent reports about its host is kept only where the store and the model can hold it.

One agent's report travels in the same presence batch as every other agent's pings, so a value
the database refuses (NUL on PostgreSQL, lone surrogates anywhere) must be dropped here, before
it can fail that batch.
"""

from __future__ import annotations

import pytest

from openssm.errors import ValidationException
from openssm.server.services.fleet import instances
from openssm.server.store.fleet.instances import InstanceInfo

REPORT = {
    "agent_version": "0.1.0",
    "platform_type": "Linux",
    "platform_name": "Debian GNU/Linux",
    "platform_version": "12",
    "ip_address": "192.0.2.10",
    "computer_name": "host.example",
}


def _info(**change: str) -> InstanceInfo:
    return instances.instance_info("mi-0123456789abcdef0", **{**REPORT, **change})


def test_a_plain_report_is_kept_as_sent() -> None:
    info = _info()
    assert (info.agent_version, info.platform_type, info.computer_name) == (
        "0.1.0",
        "Linux",
        "host.example",
    )


@pytest.mark.parametrize("member", ["platform_name", "platform_version", "computer_name"])
@pytest.mark.parametrize("bad", ["\ud800", "a\x00b", "tab\there", "esc\x1b[31m", "c1\x85c"])
def test_unstorable_text_is_dropped_not_stored(member: str, bad: str) -> None:
    info = _info(**{member: bad})
    assert getattr(info, member) is None
    assert info.platform_type == "Linux"


@pytest.mark.parametrize("ip", ["\ud800", "10.0.0.1\x00", "1" * 47, "   "])
def test_an_ip_address_that_does_not_fit_is_dropped(ip: str) -> None:
    assert _info(ip_address=ip).ip_address is None


def test_long_text_is_cut_to_255_characters() -> None:
    assert _info(computer_name="h" * 1000).computer_name == "h" * 255


def test_an_agent_version_with_a_trailing_newline_is_dropped() -> None:
    assert _info(agent_version="0.1.0\n").agent_version is None


@pytest.mark.parametrize("fingerprint", ["\udfff", "id\x00", "a\nb"])
def test_registration_refuses_an_unstorable_fingerprint(fingerprint: str) -> None:
    request = instances.RegisterInput(
        activation_id="a", activation_code="c" * 20, public_key=b"k" * 32, fingerprint=fingerprint
    )
    with pytest.raises(ValidationException):
        instances.check_registration(request)
