"""How the agent reaches its server: TLS it verifies, plain HTTP only where no network is crossed.

The activation code goes to the server at registration, and commands will carry SecureString
values back; neither may cross a network in clear. So an ``http://`` server URL is refused
unless its host is loopback (the server on this very host) or the operator said
``--allow-insecure-http`` (a network they trust, or TLS ended by a proxy on this host).

An ``https://`` server is verified against the system's CAs, or, when the operator registered
with ``--ca-file``, against that private CA alone (kept in the state directory).
"""

from __future__ import annotations

import ipaddress
import ssl
import urllib.parse

from openssm.errors import AgentError, InsecureTransport

CA_FLAG_HINT = "if a private CA signed it, register with --ca-file CA.pem"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_plain_http(server_url: str, *, allow_insecure_http: bool) -> None:
    """InsecureTransport when `server_url` would send secrets over a network in clear."""
    parts = urllib.parse.urlsplit(server_url)
    if parts.scheme != "http" or allow_insecure_http or is_loopback(parts.hostname or ""):
        return
    raise InsecureTransport(
        f"refusing {server_url}: over plain http:// the activation code and SecureString "
        "values would cross the network in clear. Use the server's https:// URL "
        "(openssm server --tls-cert FILE --tls-key FILE, or TLS on a proxy in front), or pass "
        "--allow-insecure-http if this network is trusted"
    )


def verifying_context(ca_pem: str | None) -> ssl.SSLContext:
    """A client context that checks the server's certificate and name: against `ca_pem` only
    when given (a private CA), else against the system's CAs."""
    try:
        return ssl.create_default_context(cadata=ca_pem)
    except (ssl.SSLError, ValueError) as exc:
        raise AgentError(f"the CA file holds no usable PEM certificate ({exc})") from exc


def untrusted_certificate(url: str, exc: ssl.SSLCertVerificationError) -> str:
    """The operator's explanation of a certificate the agent refused."""
    reason = exc.verify_message or exc.reason or str(exc)
    return (
        f"the server at {url} presented a certificate this agent does not trust ({reason}); "
        + CA_FLAG_HINT
    )
