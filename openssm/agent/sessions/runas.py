"""Which operating-system user a session runs as (SECURITY.md #15).

Never silently root. An agent running as root runs sessions as the user the server named
(run-as enabled in the session preferences), else as ``ssm-user``, which it creates on
first use without a password and without sudo rights (AWS gives its ssm-user sudo; we do
not: an administrator grants what they mean to grant). A named user must exist: the
session fails rather than run as someone else. An agent that is not root can only run
sessions as its own user, and refuses a session that names another.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from openssm.errors import OpenSSMError

DEFAULT_USER = "ssm-user"


class RunAsError(OpenSSMError):
    """The session cannot run as the user it asks for; the message says why."""


@dataclass(frozen=True, slots=True)
class RunAs:
    name: str
    uid: int
    gid: int
    home: str
    shell: str

    @property
    def is_self(self) -> bool:
        return self.uid == os.geteuid()


def _entry(user: pwd.struct_passwd) -> RunAs:
    shell = user.pw_shell if user.pw_shell and Path(user.pw_shell).exists() else "/bin/sh"
    if shell.endswith(("nologin", "false")):
        shell = "/bin/sh"
    return RunAs(user.pw_name, user.pw_uid, user.pw_gid, user.pw_dir or "/", shell)


def _create_default_user() -> None:
    done = subprocess.run(  # noqa: S603  # fixed argv, no shell
        ["/usr/sbin/useradd", "--create-home", "--shell", "/bin/bash", DEFAULT_USER],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    # 9: created meanwhile by another session.
    if done.returncode not in (0, 9):
        raise RunAsError(f"cannot create {DEFAULT_USER}: {done.stderr.strip()[:200]}")


def resolve(requested: str) -> RunAs:
    """The user for a session that asks for ``requested`` ("" for the default)."""
    if os.geteuid() != 0:
        me = _entry(pwd.getpwuid(os.geteuid()))
        if requested and requested != me.name:
            raise RunAsError(
                f"cannot run the session as {requested}: the agent runs as {me.name}, not root"
            )
        return me
    name = requested or DEFAULT_USER
    try:
        return _entry(pwd.getpwnam(name))
    except KeyError:
        if requested:
            raise RunAsError(f"the run-as user {name} does not exist on this host") from None
    _create_default_user()
    try:
        return _entry(pwd.getpwnam(DEFAULT_USER))
    except KeyError:
        raise RunAsError(f"{DEFAULT_USER} could not be created") from None
