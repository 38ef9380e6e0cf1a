"""The agent's transport rules (SECURITY.md 21): plain HTTP only on loopback unless allowed;
a private CA, when given, is the only one trusted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openssm.agent.state import StateDir
from openssm.agent.transport import is_loopback, refuse_plain_http, verifying_context
from openssm.errors import AgentError, InsecureTransport
from tests.tls import PrivateCA


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("0.0.0.0", False),  # noqa: S104  # classified here, never bound
        ("10.0.0.5", False),
        ("localhost.example", False),
        ("ssm.example", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "url", ["https://ssm.example:8787", "http://127.0.0.1:8787", "http://[::1]:8787/prefix"]
)
def test_what_never_crosses_a_network_in_clear_is_allowed(url: str) -> None:
    refuse_plain_http(url, allow_insecure_http=False)


def test_plain_http_off_this_host_needs_the_operator_to_allow_it() -> None:
    with pytest.raises(InsecureTransport, match="--allow-insecure-http"):
        refuse_plain_http("http://10.0.0.5:8787", allow_insecure_http=False)
    refuse_plain_http("http://10.0.0.5:8787", allow_insecure_http=True)


def test_a_ca_file_without_a_certificate_is_refused() -> None:
    with pytest.raises(AgentError, match="no usable PEM certificate"):
        verifying_context("not a certificate")


def test_a_private_ca_is_the_only_one_trusted(tmp_path: Path) -> None:
    ca = PrivateCA.create(tmp_path)
    context = verifying_context(ca.cert_file.read_text())
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "openssm test CA"),),)
    ]
    assert context.check_hostname


def test_a_registration_from_before_the_insecure_flag_still_loads(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.ensure()
    old = {
        "instance_id": "mi-0123456789abcdef0", "server_url": "https://ssm.example",
        "region": "us-east-1", "account_id": "123456789012", "name": "", "registered_at": 1.0,
    }  # fmt: skip
    state.registration_file.write_text(json.dumps(old))
    assert state.load_registration().allow_insecure_http is False
