"""Settings of the server, read once from flags and OPENSSM_* environment variables.

This is the only module that reads ``os.environ``; everything else is handed a
settings object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openssm.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"
DEFAULT_CONNECTION_LOST_AFTER_S = 120.0
DEFAULT_HEARTBEAT_INTERVAL_S = 30.0
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def default_data_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/openssm/server")
    return Path.home() / ".local" / "share" / "openssm" / "server"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None
    account_id: str = DEFAULT_ACCOUNT_ID
    ready_file: Path | None = None
    log_level: str = "info"
    # Checking every response against the model costs time; tests turn it on.
    strict_output: bool = False
    # How often the scheduler looks for parameter policies that came due.
    policy_interval_s: float = 30.0
    master_key_aliases: tuple[str, ...] = ()
    admin_credentials: AdminCredentials | None = None
    worker_threads: int = 8
    # Agent channel: an agent not heard from for this long is ConnectionLost; agents are told
    # to send a heartbeat every heartbeat_interval_s.
    connection_lost_after_s: float = DEFAULT_CONNECTION_LOST_AFTER_S
    heartbeat_interval_s: float = DEFAULT_HEARTBEAT_INTERVAL_S

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'openssm.db'}"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials"

    @property
    def keyring_file(self) -> Path:
        return self.data_dir / "master-keys.json"


def _env_float(env: Mapping[str, str], name: str, problems: list[str]) -> float | None:
    raw = env.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not a number")
        return None


def load_server_settings(
    *,
    host: str | None = None,
    port: int | None = None,
    data_dir: str | None = None,
    database_url: str | None = None,
    account_id: str | None = None,
    ready_file: str | None = None,
    log_level: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ServerSettings:
    """Flags win over OPENSSM_* variables, which win over defaults.

    Raises ConfigError listing every problem at once.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    resolved_account = account_id or env.get("OPENSSM_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID
    if not _ACCOUNT_ID.match(resolved_account):
        problems.append(f"account id {resolved_account!r} must be 12 digits")
    url = database_url or env.get("OPENSSM_DATABASE_URL")
    if url and not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
        problems.append(
            f"database URL must start with sqlite: or postgresql: (got {url.split(':')[0]}:)"
        )
    admin: AdminCredentials | None = None
    key_id = env.get("OPENSSM_ADMIN_ACCESS_KEY_ID")
    secret = env.get("OPENSSM_ADMIN_SECRET_ACCESS_KEY")
    if bool(key_id) != bool(secret):
        problems.append(
            "set both OPENSSM_ADMIN_ACCESS_KEY_ID and OPENSSM_ADMIN_SECRET_ACCESS_KEY, or neither"
        )
    elif key_id and secret:
        if not re.fullmatch(r"[A-Z0-9]{16,128}", key_id):
            problems.append("OPENSSM_ADMIN_ACCESS_KEY_ID must be 16-128 upper-case letters/digits")
        if len(secret) < 16:
            problems.append("OPENSSM_ADMIN_SECRET_ACCESS_KEY must be at least 16 characters")
        admin = AdminCredentials(access_key_id=key_id, secret_access_key=secret)
    policy_interval = _env_float(env, "OPENSSM_POLICY_INTERVAL_S", problems)
    connection_lost_after = _env_float(env, "OPENSSM_CONNECTION_LOST_AFTER_S", problems)
    heartbeat_interval = _env_float(env, "OPENSSM_HEARTBEAT_INTERVAL_S", problems)
    for name, seconds in (
        ("OPENSSM_CONNECTION_LOST_AFTER_S", connection_lost_after),
        ("OPENSSM_HEARTBEAT_INTERVAL_S", heartbeat_interval),
    ):
        if seconds is not None and not 0 < seconds <= 86400:
            problems.append(f"{name} must be more than 0 and at most 86400 seconds")
    if (heartbeat_interval or DEFAULT_HEARTBEAT_INTERVAL_S) >= (
        connection_lost_after or DEFAULT_CONNECTION_LOST_AFTER_S
    ):
        problems.append(
            "OPENSSM_HEARTBEAT_INTERVAL_S must be shorter than OPENSSM_CONNECTION_LOST_AFTER_S"
        )
    aliases = tuple(
        a.strip() for a in env.get("OPENSSM_MASTER_KEY_ALIASES", "").split(",") if a.strip()
    )
    problems.extend(
        f"master key alias {alias!r} must look like alias/<name>"
        for alias in aliases
        if not re.fullmatch(r"alias/[a-zA-Z0-9/_-]{1,250}", alias)
    )
    if problems:
        raise ConfigError("; ".join(problems))
    kwargs: dict[str, object] = {}
    if data_dir or env.get("OPENSSM_DATA_DIR"):
        kwargs["data_dir"] = Path(data_dir or env["OPENSSM_DATA_DIR"]).expanduser().resolve()
    if ready_file:
        kwargs["ready_file"] = Path(ready_file)
    if policy_interval is not None:
        kwargs["policy_interval_s"] = policy_interval
    if connection_lost_after is not None:
        kwargs["connection_lost_after_s"] = connection_lost_after
    if heartbeat_interval is not None:
        kwargs["heartbeat_interval_s"] = heartbeat_interval
    return ServerSettings(
        host=host or env.get("OPENSSM_HOST") or DEFAULT_HOST,
        port=port if port is not None else int(env.get("OPENSSM_PORT", DEFAULT_PORT)),
        database_url=url,
        account_id=resolved_account,
        log_level=log_level or env.get("OPENSSM_LOG_LEVEL", "info"),
        strict_output=env.get("OPENSSM_STRICT_OUTPUT", "") == "1",
        master_key_aliases=aliases,
        admin_credentials=admin,
        **kwargs,  # type: ignore[arg-type]  # keys above are ServerSettings fields
    )


def default_agent_state_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/lib/openssm")
    return Path.home() / ".local" / "share" / "openssm" / "agent"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSettings:
    state_dir: Path = field(default_factory=default_agent_state_dir)
    log_level: str = "info"
    # Full-jitter exponential backoff between reconnects: random(0, min(cap, base * 2**n)).
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    # How long SIGTERM may take: close the channel, flush the ledger.
    shutdown_deadline_s: float = 5.0


def load_agent_settings(
    *,
    state_dir: str | None = None,
    log_level: str | None = None,
    env: Mapping[str, str] | None = None,
) -> AgentSettings:
    """Flags win over OPENSSM_AGENT_* variables, which win over defaults.

    Raises ConfigError listing every problem at once.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    base = _env_float(env, "OPENSSM_AGENT_BACKOFF_BASE_S", problems)
    cap = _env_float(env, "OPENSSM_AGENT_BACKOFF_CAP_S", problems)
    for name, value in (
        ("OPENSSM_AGENT_BACKOFF_BASE_S", base),
        ("OPENSSM_AGENT_BACKOFF_CAP_S", cap),
    ):
        if value is not None and not 0 < value <= 3600:
            problems.append(f"{name} must be between 0 and 3600 seconds")
    level = (log_level or env.get("OPENSSM_LOG_LEVEL") or "info").lower()
    if level not in ("debug", "info", "warning", "error"):
        problems.append(f"log level {level!r} must be debug, info, warning or error")
    if problems:
        raise ConfigError("; ".join(problems))
    kwargs: dict[str, object] = {}
    raw_dir = state_dir or env.get("OPENSSM_AGENT_STATE_DIR")
    if raw_dir:
        kwargs["state_dir"] = Path(raw_dir).expanduser().absolute()
    if base is not None:
        kwargs["backoff_base_s"] = base
    if cap is not None:
        kwargs["backoff_cap_s"] = cap
    return AgentSettings(log_level=level, **kwargs)  # type: ignore[arg-type]  # keys above are AgentSettings fields
