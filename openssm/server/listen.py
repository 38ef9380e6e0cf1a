"""The server's listening socket, and what to tell the operator when it cannot be had."""

from __future__ import annotations

import errno
import socket

from openssm.errors import OpenSSMError

# What the kernel allows for pending connections; agents reconnecting after a restart arrive
# in bursts of thousands.
BACKLOG = 4096


class ListenError(OpenSSMError):
    """The address or port cannot be listened on; the message says which flag to change."""


def _explain(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use on {host}; choose another with --port"
    if exc.errno == errno.EACCES:
        return f"this user may not listen on {where}; choose a port above 1023 with --port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this host; choose another with --host"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening, claimed before anything else starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except socket.gaierror as exc:
        sock.close()
        raise ListenError(f"cannot resolve {host!r}; choose another with --host") from exc
    except OSError as exc:
        sock.close()
        raise ListenError(_explain(host, port, exc)) from exc
    return sock
