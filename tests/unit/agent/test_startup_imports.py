"""The idle agent imports only what every agent needs (bench/agent_rss.py measures the cost)."""

from __future__ import annotations

import json
import subprocess
import sys

import websockets.version

# Loaded with the first session, never at start: most agents never open one.
SESSION_ONLY = ("openssm.sessions", "openssm.agent.sessions.shell", "openssm.agent.sessions.ports")
SESSION_ONLY_STDLIB = ("pty", "termios", "tty")
# Loaded with the first step that uses them: most agents run shell scripts alone.
FIRST_USE_PLUGINS = (
    "openssm.agent.plugins.run_document",
    "openssm.agent.plugins.run_ansible_playbook",
    "openssm.agent.plugins.software_inventory",
    "openssm.agent.inventory.collect",
)


def _loaded_at_start() -> list[str]:
    """The modules really loaded (a stand-in of on_demand.py is not)."""
    probe = (
        "import json, sys, openssm.agent.daemon; print(json.dumps(sorted(name for name, m in"
        " sys.modules.items() if type(m).__name__ != '_OnDemand')))"
    )
    loaded: list[str] = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        ).stdout
    )
    return loaded


def _assert_prints(probes: list[str], expected: str) -> None:
    """Each probe, run after the agent's start-up imports, prints ``expected``."""
    for probe in probes:
        out = subprocess.run(
            [sys.executable, "-c", f"import openssm.agent.daemon; {probe}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert out.strip() == expected, probe


def test_the_agent_starts_without_the_plugins_few_steps_use() -> None:
    loaded = _loaded_at_start()
    assert [name for name in FIRST_USE_PLUGINS if name in loaded] == []
    assert "openssm.agent.plugins.run_shell_script" in loaded


def test_the_agent_starts_without_the_session_machinery() -> None:
    loaded = _loaded_at_start()
    session_modules = [
        name
        for name in loaded
        if name in SESSION_ONLY_STDLIB
        or any(name == prefix or name.startswith(prefix + ".") for prefix in SESSION_ONLY)
    ]
    assert session_modules == []
    assert "openssm.agent.sessions.manager" in loaded  # the daemon does wire sessions in


def test_the_agent_starts_without_importlib_metadata_and_it_still_works() -> None:
    """websockets imports importlib.metadata and never uses it; the agent defers the load
    (openssm/agent/on_demand.py) and whoever does use it gets the real module."""
    loaded = _loaded_at_start()
    assert "websockets" in loaded
    assert [m for m in ("importlib.metadata._meta", "zipfile", "csv") if m in loaded] == []
    probes = [
        "import importlib.metadata; print(importlib.metadata.version('websockets'))",
        "from importlib.metadata import version; print(version('websockets'))",
        "from importlib import metadata; print(metadata.version('websockets'))",
    ]
    _assert_prints(probes, websockets.version.version)


def test_the_agent_starts_without_urllib_request_or_the_compressors_and_they_still_work() -> None:
    """websockets' proxy module imports urllib.request (http.client, the email package) and
    shutil probes bz2 and lzma; the idle agent uses none of them (on_demand.py)."""
    loaded = _loaded_at_start()
    assert "websockets.proxy" in loaded
    unused = ("urllib.request", "http.client", "email", "email.parser", "_bz2", "_lzma")
    assert [m for m in unused if m in loaded] == []
    probes = [
        "import urllib.request; print(urllib.request.Request('http://h/').host)",
        "from urllib.request import Request; print(Request('http://h/').host)",
        "import urllib.request as r; print(r.Request('http://h/').host)",
        "import bz2; print(bz2.decompress(bz2.compress(b'h')).decode())",
        "import lzma; print(lzma.decompress(lzma.compress(b'h')).decode())",
        "import shutil; print('h' if 'bztar' in dict(shutil.get_archive_formats()) else '')",
    ]
    _assert_prints(probes, "h")
