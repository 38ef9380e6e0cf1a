"""aws:runAnsiblePlaybook (an openssm action, run by the AWS-RunAnsiblePlaybook document): a
playbook applied to this host by the host's own ``ansible-playbook``.

AWS's document wraps its parameters in a shell script; here no input ever becomes shell
text (SECURITY.md 12). The playbook is written to a private file (0600, in the step's own
directory) or fetched to one over https, and ``ansible-playbook`` is started with an
argument vector: ``-i localhost, -c local [--check] [-e <extravars>] <file>``.

Inputs, as AWS's document names its parameters:
- ``playbook``: the playbook's YAML; or ``playbookurl``: an https URL to fetch it from
  (never http, a local path or another scheme; a redirect must stay on https). Exactly one
  of the two must be given.
- ``extravars``: ``key=value`` pairs for ``-e``; a value starting with ``@`` (a file of
  variables on the host) is refused.
- ``check``: ``True`` runs in check mode (a dry run).
- ``timeoutSeconds``: as aws:runShellScript reads it (default 3600).

A host without ``ansible-playbook`` on the scripts' PATH fails the step, saying so.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.plugins.scripts import run_program, script_environment
from openssm.documents.plan import RenderedStep

PROGRAM = "ansible-playbook"
PLAYBOOK_NAME = "playbook.yml"
FETCH_TIMEOUT_S = 60
MAX_PLAYBOOK_BYTES = 4 * 1024 * 1024


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another https URL."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not newurl.lower().startswith("https://"):
            raise urllib.error.URLError(f"redirected to {newurl}, which is not https")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url: str) -> bytes:
    opener = urllib.request.build_opener(_HttpsOnlyRedirects)
    with opener.open(url, timeout=FETCH_TIMEOUT_S) as response:
        body: bytes = response.read(MAX_PLAYBOOK_BYTES + 1)
    if len(body) > MAX_PLAYBOOK_BYTES:
        raise ValueError(f"the playbook is larger than {MAX_PLAYBOOK_BYTES} bytes")
    return body


def _text(step: RenderedStep, name: str) -> str:
    value = step.inputs.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` (0600, never through an existing file or symlink) holding ``data``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as handle:
        handle.write(data)


async def _playbook(step: RenderedStep) -> bytes | str:
    """The playbook's bytes, or why there are none."""
    text, url = step.inputs.get("playbook", ""), _text(step, "playbookurl")
    if isinstance(text, str) and text.strip():
        if url:
            return "give the playbook or playbookurl, not both"
        return text.encode()
    if not url:
        return "no playbook: give its YAML in playbook or an https URL in playbookurl"
    if not url.lower().startswith("https://"):
        return f"playbookurl must be an https:// URL, not {url!r}"
    try:
        return await asyncio.to_thread(_fetch, url)
    except (OSError, ValueError) as exc:
        return f"cannot fetch the playbook from {url}: {exc}"


async def run_ansible_playbook(step: RenderedStep, env: StepEnv) -> PluginResult:
    environment = script_environment(env)
    program = shutil.which(PROGRAM, path=environment.get("PATH"))
    if program is None:
        return await env.fail(
            f"{PROGRAM} is not installed on this node (not found on PATH "
            f"{environment.get('PATH', '')}): install Ansible (ansible-core) and run the "
            "command again"
        )
    extravars = _text(step, "extravars")
    if extravars.startswith("@"):
        return await env.fail("extravars must be key=value pairs, not a file (@…)")
    playbook = await _playbook(step)
    if isinstance(playbook, str):
        return await env.fail(playbook)
    path = env.work_dir / PLAYBOOK_NAME
    _write_private(path, playbook)
    temp = env.work_dir / "ansible-tmp"
    environment.update(
        ANSIBLE_LOCAL_TEMP=str(temp),
        ANSIBLE_REMOTE_TEMP=str(temp),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    argv = [program, "-i", "localhost,", "-c", "local"]
    if _text(step, "check") == "True":
        argv.append("--check")
    if extravars:
        argv += ["-e", extravars]
    argv.append(str(path))
    return await run_program(
        argv,
        env,
        cwd=env.work_dir,
        environment=environment,
        timeout_raw=step.inputs.get("timeoutSeconds"),
        what=PROGRAM,
    )
