"""The agent's state directory: where the registration, the key and the ledger live.

Everything here is private to the agent's user: the directory is 0700 and every
file 0600, created with those modes (openssm.files), never chmod-ed later.
"""

from __future__ import annotations

import json
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from openssm.agent.instance_key import InstanceKey, KeyFormatError
from openssm.errors import AgentError, NotRegistered
from openssm.files import ensure_private_dir, is_private_file, write_private_file

REGISTRATION_FILE = "registration.json"
PRIVATE_KEY_FILE = "instance.key"
LEDGER_FILE = "ledger.db"
# The private CA the operator gave at registration (--ca-file); absent: the system's CAs.
SERVER_CA_FILE = "server-ca.pem"


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """Who this host is to the server that registered it."""

    instance_id: str
    server_url: str
    region: str
    account_id: str
    name: str
    registered_at: float
    # The operator accepted plain http:// to a host that is not loopback (openssm.agent.transport).
    allow_insecure_http: bool = False


@dataclass(frozen=True, slots=True)
class StateDir:
    """Paths inside one agent state directory."""

    root: Path

    @property
    def registration_file(self) -> Path:
        return self.root / REGISTRATION_FILE

    @property
    def private_key_file(self) -> Path:
        return self.root / PRIVATE_KEY_FILE

    @property
    def ledger_file(self) -> Path:
        return self.root / LEDGER_FILE

    @property
    def server_ca_file(self) -> Path:
        return self.root / SERVER_CA_FILE

    @property
    def output_dir(self) -> Path:
        """Whole output of commands whose result the server has not acknowledged yet."""
        return self.root / "output"

    @property
    def runs_dir(self) -> Path:
        """Where commands' scripts live while they run (private to the agent's user)."""
        return self.root / "runs"

    def ensure(self) -> None:
        """Create the directory 0700; refuse one that others can read or write."""
        ensure_private_dir(self.root)
        info = self.root.lstat()
        if not stat.S_ISDIR(info.st_mode):
            raise AgentError(f"{self.root} is not a directory")
        if info.st_mode & 0o077:
            raise AgentError(
                f"state directory {self.root} is accessible to other users "
                f"(mode {stat.S_IMODE(info.st_mode):o}); run: chmod 700 {self.root}"
            )

    def is_registered(self) -> bool:
        return self.registration_file.exists()

    def load_registration(self) -> Registration:
        """The stored registration; NotRegistered with what to do when there is none."""
        path = self.registration_file
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise NotRegistered(
                f"this host is not registered (no {path}); run `openssm agent register "
                "--server URL --activation-id ID --activation-code CODE` first"
            ) from exc
        try:
            data: Any = json.loads(raw)
            # Fields added later have defaults, so an older file still loads.
            fields = Registration.__dataclass_fields__
            return Registration(**{k: data[k] for k in fields if k in data})
        except (ValueError, TypeError, KeyError) as exc:
            raise AgentError(f"{path} is damaged; register again with --force") from exc

    def save_registration(self, registration: Registration) -> None:
        text = json.dumps(asdict(registration), indent=2) + "\n"
        write_private_file(self.registration_file, text.encode())

    def load_private_key(self) -> InstanceKey:
        """The instance key; refused when another user could read it (like ssh does)."""
        path = self.private_key_file
        try:
            if not is_private_file(path):
                raise AgentError(
                    f"private key {path} is readable by other users or not a regular file; "
                    f"run: chmod 600 {path}"
                )
            pem = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotRegistered(
                f"private key {path} is missing; register again with --force"
            ) from exc
        try:
            return InstanceKey.from_pem(pem)
        except KeyFormatError as exc:
            raise AgentError(
                f"private key {path} cannot be used ({exc}); register again with --force"
            ) from exc

    def save_private_key(self, key: InstanceKey) -> None:
        write_private_file(self.private_key_file, key.to_pem())

    def load_server_ca(self) -> str | None:
        """The private CA's PEM text, None when the system's CAs are to be used."""
        try:
            return self.server_ca_file.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise AgentError(f"cannot read {self.server_ca_file}: {exc}") from exc

    def save_server_ca(self, ca_pem: str | None) -> None:
        """Keep `ca_pem` for later runs, or forget an old one when None."""
        if ca_pem is None:
            self.server_ca_file.unlink(missing_ok=True)
        else:
            write_private_file(self.server_ca_file, ca_pem.encode("ascii"))

    def forget_ledger(self) -> None:
        """Drop the ledger of a previous identity: its command ids and results are not ours."""
        for suffix in ("", "-wal", "-shm"):
            self.ledger_file.with_name(LEDGER_FILE + suffix).unlink(missing_ok=True)
