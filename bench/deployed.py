"""The server settings a benchmark measures with: those of a deployed server.

``tests.support.ServerProcess`` starts servers the way the tests want them: debug logs, and
every response checked against the SSM model (OPENSSM_STRICT_OUTPUT, off by default because
it costs CPU on every call). A figure taken with those would charge a user for the tests'
checks."""

from __future__ import annotations

AS_DEPLOYED = {"OPENSSM_STRICT_OUTPUT": "0", "OPENSSM_LOG_LEVEL": "warning"}
