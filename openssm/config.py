"""The settings of the server and of the agent: two tables, one row per setting.

Each field below is one setting (openssm.settings_table): its type, default, OPENSSM_*
environment variable, command-line flag where it has one, help and validator. The CLI's flags
are generated from these rows, and a bad value is reported with every other one in a single
ConfigError. This is the only module that reads ``os.environ``; everything else is handed a
settings object.
"""

from __future__ import annotations

import os
import shlex
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openssm.settings_table import (
    Computed,
    Rule,
    between,
    choice,
    each,
    integer,
    load,
    matches,
    names,
    number,
    path,
    readable_file,
    setting,
    switch,
    text,
)

DEFAULT_REGION = "us-east-1"
LOG_LEVELS = ("debug", "info", "warning", "error")
_DATABASE_SCHEMES = ("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")
_DAY_S = 86400.0


# As root the server and the agent keep their state side by side, never one inside the other
# (deploy/systemd's units use the same paths): /var/lib/openssm/server and /var/lib/openssm/agent.
SYSTEM_STATE_ROOT = Path("/var/lib/openssm")


def _state_dir(process: str) -> Path:
    if os.geteuid() == 0:
        return SYSTEM_STATE_ROOT / process
    return Path.home() / ".local" / "share" / "openssm" / process


def default_data_dir() -> Path:
    return _state_dir("server")


def _database_url(url: str | None) -> str | None:
    if url is None or url.startswith(_DATABASE_SCHEMES):
        return None
    return f"must start with sqlite: or postgresql: (got {url.split(':')[0]}:)"


def _service_url(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "must be scheme://host[:port][/path], with no user, query or fragment"
    return None


def _shell_words(command: str) -> str | None:
    try:
        shlex.split(command)
    except ValueError as exc:
        return f"is not a command line ({exc})"
    return None


def _long_enough(secret: str | None) -> str | None:
    return None if secret is None or len(secret) >= 16 else "must be at least 16 characters"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    host: str = setting(
        "127.0.0.1", env="OPENSSM_HOST", flag="--host", parse=text, help="address to listen on"
    )
    port: int = setting(
        8787, env="OPENSSM_PORT", flag="--port", parse=integer, check=between(0, 65535),
        help="port to listen on; 0 picks a free one",
    )  # fmt: skip
    data_dir: Path = setting(
        Computed(default_data_dir), env="OPENSSM_DATA_DIR", flag="--data-dir", parse=path,
        help="state directory (default /var/lib/openssm/server as root, "
        "else ~/.local/share/openssm/server)",
    )  # fmt: skip
    database_url: str | None = setting(
        None, env="OPENSSM_DATABASE_URL", flag="--database-url", parse=text, check=_database_url,
        help="sqlite:///… or postgresql://… (default: SQLite in the data dir)",
    )  # fmt: skip
    account_id: str = setting(
        "000000000000", env="OPENSSM_ACCOUNT_ID", flag="--account-id", parse=text,
        check=matches(r"\d{12}", "12 digits"), help="12-digit account id used in ARNs",
    )  # fmt: skip
    ready_file: Path | None = setting(
        None, env="OPENSSM_READY_FILE", flag="--ready-file", parse=path,
        help="write the server URL here once it accepts requests",
    )  # fmt: skip
    log_level: str = setting(
        "info", env="OPENSSM_LOG_LEVEL", flag="--log-level", parse=choice(*LOG_LEVELS),
        help="debug, info, warning or error",
    )  # fmt: skip
    # Checking every response against the model costs time; tests turn it on.
    strict_output: bool = setting(
        False, env="OPENSSM_STRICT_OUTPUT", parse=switch,
        help="check every response against the SSM model (for tests)",
    )  # fmt: skip
    policy_interval_s: float = setting(
        30.0, env="OPENSSM_POLICY_INTERVAL_S", parse=number,
        check=between(0, _DAY_S, above_low=True),
        help="seconds between checks for parameter policies that came due",
    )  # fmt: skip
    master_key_aliases: tuple[str, ...] = setting(
        (), env="OPENSSM_MASTER_KEY_ALIASES", parse=names,
        check=each(matches(r"alias/[a-zA-Z0-9/_-]{1,250}", "like alias/<name>")),
        help="master keys for SecureString besides alias/aws/ssm, comma-separated",
    )  # fmt: skip
    admin_access_key_id: str | None = setting(
        None, env="OPENSSM_ADMIN_ACCESS_KEY_ID", parse=text,
        check=matches(r"[A-Z0-9]{16,128}", "16-128 upper-case letters and digits"),
        help="the first admin key's id, instead of a generated one",
    )  # fmt: skip
    admin_secret_access_key: str | None = setting(
        None, env="OPENSSM_ADMIN_SECRET_ACCESS_KEY", parse=text, check=_long_enough, secret=True,
        help="the first admin key's secret",
    )  # fmt: skip
    worker_threads: int = setting(
        8, env="OPENSSM_WORKER_THREADS", parse=integer, check=between(1, 256),
        help="threads (and database connections) for store calls",
    )  # fmt: skip
    # Agent channel: an agent not heard from for this long is ConnectionLost; agents are told
    # to send a heartbeat every heartbeat_interval_s.
    connection_lost_after_s: float = setting(
        120.0, env="OPENSSM_CONNECTION_LOST_AFTER_S", parse=number,
        check=between(0, _DAY_S, above_low=True),
        help="seconds of silence after which an agent shows ConnectionLost",
    )  # fmt: skip
    session_grace_s: float = setting(
        300.0, env="OPENSSM_SESSION_GRACE_S", parse=number,
        check=between(0, _DAY_S, above_low=True),
        help="seconds a session waits for its client to come back (ResumeSession) after its "
        "connection dropped",
    )  # fmt: skip
    # A new session whose agent never opens its leg (a node that is stuck, or lost the
    # session_start) ends Failed after this, whether or not its client is waiting.
    session_open_timeout_s: float = setting(
        15.0, env="OPENSSM_SESSION_OPEN_TIMEOUT_S", parse=number,
        check=between(0, 3600, above_low=True),
        help="seconds a new session waits for its managed node to open it before it fails",
    )  # fmt: skip
    # Session preferences count whole minutes (idleSessionTimeout 1-60, maxSessionDuration
    # 1-1440, as AWS's); tests make a minute seconds long to watch a timeout end a session.
    session_minute_s: float = setting(
        60.0, env="OPENSSM_SESSION_MINUTE_S", parse=number,
        check=between(0, 3600, above_low=True),
        help="seconds in one minute of a session's idleSessionTimeout and maxSessionDuration "
        "(60; tests shorten it)",
    )  # fmt: skip
    heartbeat_interval_s: float = setting(
        30.0, env="OPENSSM_HEARTBEAT_INTERVAL_S", parse=number,
        check=between(0, _DAY_S, above_low=True), help="seconds between agents' heartbeats",
    )  # fmt: skip
    # TLS is uvicorn's: with both set the server answers https:// and agents connect wss://.
    tls_cert: Path | None = setting(
        None, env="OPENSSM_TLS_CERT", flag="--tls-cert", parse=path, check=readable_file,
        help="PEM certificate chain to serve HTTPS with (needs --tls-key)",
    )  # fmt: skip
    tls_key: Path | None = setting(
        None, env="OPENSSM_TLS_KEY", flag="--tls-key", parse=path, check=readable_file,
        help="PEM private key of --tls-cert",
    )  # fmt: skip
    # Guessing: wrong activation codes and refused signatures, per client address (and per
    # activation); successes never count (openssm.server.throttle).
    auth_failure_burst: int = setting(
        20, env="OPENSSM_AUTH_FAILURE_BURST", parse=integer, check=between(1, 1_000_000),
        help="failed activation codes or signatures a client address may send at once",
    )  # fmt: skip
    auth_failures_per_s: float = setting(
        1.0, env="OPENSSM_AUTH_FAILURES_PER_S", parse=number,
        check=between(0, 1_000_000, above_low=True),
        help="failed activation codes or signatures a client address may send a second "
        "once its burst is spent",
    )  # fmt: skip
    # Full command output (openssm.server.objects): SendCommand's OutputS3BucketName names a
    # bucket on this S3-compatible service; without one, output stays in <data-dir>/output.
    s3_endpoint_url: str | None = setting(
        None, env="OPENSSM_S3_ENDPOINT_URL", flag="--s3-endpoint-url", parse=text,
        check=_service_url, help="S3-compatible service that OutputS3BucketName refers to",
    )  # fmt: skip
    s3_region: str = setting(
        DEFAULT_REGION, env="OPENSSM_S3_REGION", parse=text,
        check=matches(r"[a-z0-9-]{1,32}", "a region name like us-east-1"),
        help="region to sign S3 requests for",
    )  # fmt: skip
    s3_access_key_id: str | None = setting(
        None, env="OPENSSM_S3_ACCESS_KEY_ID", parse=text,
        help="access key for the S3 service (else the standard AWS credential chain)",
    )  # fmt: skip
    s3_secret_access_key: str | None = setting(
        None, env="OPENSSM_S3_SECRET_ACCESS_KEY", parse=text, secret=True,
        help="secret of OPENSSM_S3_ACCESS_KEY_ID",
    )  # fmt: skip
    # A stream past this is kept up to it, with a marker saying so (openssm.server.outputs).
    output_stream_max_bytes: int = setting(
        1 << 30, env="OPENSSM_OUTPUT_STREAM_MAX_BYTES", parse=integer,
        check=between(1, 1 << 40),
        help="bytes of one step's standard output or error staged and kept; more is cut",
    )  # fmt: skip
    # Connections (openssm.server.connections, openssm.server.http_protocol).
    http_idle_timeout_s: float = setting(
        5.0, env="OPENSSM_HTTP_IDLE_TIMEOUT_S", parse=number,
        check=between(0, 3600, above_low=True),
        help="seconds an HTTP connection may wait before sending a request's headers, "
        "opened or between requests, before it is closed",
    )  # fmt: skip
    max_api_connections: int = setting(
        1000, env="OPENSSM_MAX_API_CONNECTIONS", parse=integer, check=between(1, 1_000_000),
        help="HTTP connections open at once (agents' channels are counted apart)",
    )  # fmt: skip
    max_agent_channels: int = setting(
        0, env="OPENSSM_MAX_AGENT_CHANNELS", parse=integer, check=between(0, 100_000_000),
        help="agents connected at once; 0 (the default): what the open-file limit leaves",
    )  # fmt: skip
    # Events (openssm.server.events): how the relay delivers them, and where it may deliver.
    events_interval_s: float = setting(
        1.0, env="OPENSSM_EVENTS_INTERVAL_S", parse=number,
        check=between(0, 3600, above_low=True),
        help="seconds between the event relay's passes over the outbox and due retries",
    )  # fmt: skip
    events_max_attempts: int = setting(
        20, env="OPENSSM_EVENTS_MAX_ATTEMPTS", parse=integer, check=between(1, 1000),
        help="delivery attempts before an event is dead-lettered (a target's RetryPolicy may "
        "ask for fewer)",
    )  # fmt: skip
    events_retry_cap_s: float = setting(
        30.0, env="OPENSSM_EVENTS_RETRY_CAP_S", parse=number,
        check=between(0, 3600, above_low=True),
        help="the longest wait between two delivery attempts",
    )  # fmt: skip
    events_file_dir: Path | None = setting(
        None, env="OPENSSM_EVENTS_FILE_DIR", flag="--events-file-dir", parse=path,
        help="directory that file:NAME event targets write into (default <data-dir>/events)",
    )  # fmt: skip
    events_allow_link_local: bool = setting(
        False, env="OPENSSM_EVENTS_ALLOW_LINK_LOCAL", parse=switch,
        help="let webhooks reach link-local and cloud-metadata addresses (refused by default)",
    )  # fmt: skip
    events_eventbridge_endpoint_url: str | None = setting(
        None, env="OPENSSM_EVENTS_EVENTBRIDGE_ENDPOINT_URL", parse=text, check=_service_url,
        help="EventBridge-compatible service that event-bus targets refer to (default: AWS)",
    )  # fmt: skip
    events_sns_endpoint_url: str | None = setting(
        None, env="OPENSSM_EVENTS_SNS_ENDPOINT_URL", parse=text, check=_service_url,
        help="SNS-compatible service that SNS topics refer to (default: AWS)",
    )  # fmt: skip
    # AWS refuses aws.* sources from callers of PutEvents.
    events_source: str = setting(
        "openssm.ssm", env="OPENSSM_EVENTS_SOURCE", parse=text,
        check=matches(r"(?!aws\.)[A-Za-z0-9._-]{1,256}", "a source not starting with aws."),
        help="the Source of events forwarded to EventBridge with PutEvents",
    )  # fmt: skip
    # The audit trail (openssm.server.services.audit): every API call and agent event.
    audit_retention_days: float = setting(
        90.0, env="OPENSSM_AUDIT_RETENTION_DAYS", parse=number,
        check=between(0, 36500, above_low=True),
        help="days an audit record is kept (CloudTrail's event history keeps 90)",
    )  # fmt: skip
    audit_flush_interval_s: float = setting(
        1.0, env="OPENSSM_AUDIT_FLUSH_INTERVAL_S", parse=number,
        check=between(0, 60, above_low=True),
        help="seconds between writes of the audit records waiting in memory (a kill -9 "
        "loses at most this much)",
    )  # fmt: skip
    audit_prune_interval_s: float = setting(
        3600.0, env="OPENSSM_AUDIT_PRUNE_INTERVAL_S", parse=number,
        check=between(0, _DAY_S, above_low=True),
        help="seconds between deletions of audit records past their retention",
    )  # fmt: skip
    audit_reads: str = setting(
        "all", env="OPENSSM_AUDIT_READS", parse=choice("all", "refused"),
        help="which read calls are recorded: all (as CloudTrail's event history), or only "
        "those refused (denied, unsigned, throttled), which spares busy read traffic the cost",
    )  # fmt: skip
    audit_events: str = setting(
        "writes", env="OPENSSM_AUDIT_EVENTS", parse=choice("writes", "all", "none"),
        help="which audit records also become 'AWS API Call via CloudTrail' events for rules: "
        "writes (as EventBridge delivers them), all, or none",
    )  # fmt: skip

    @property
    def admin_credentials(self) -> AdminCredentials | None:
        if self.admin_access_key_id and self.admin_secret_access_key:
            return AdminCredentials(
                access_key_id=self.admin_access_key_id,
                secret_access_key=self.admin_secret_access_key,
            )
        return None

    @property
    def scheme(self) -> str:
        """How clients reach this server: https when it serves TLS."""
        return "https" if self.tls_cert else "http"

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

    @property
    def resolved_events_file_dir(self) -> Path:
        return self.events_file_dir or self.data_dir / "events"


def _admin_key_pair(settings: ServerSettings) -> str | None:
    if (settings.admin_access_key_id is None) == (settings.admin_secret_access_key is None):
        return None
    return "set both OPENSSM_ADMIN_ACCESS_KEY_ID and OPENSSM_ADMIN_SECRET_ACCESS_KEY, or neither"


def _s3_key_pair(settings: ServerSettings) -> str | None:
    if (settings.s3_access_key_id is None) == (settings.s3_secret_access_key is None):
        return None
    return "set both OPENSSM_S3_ACCESS_KEY_ID and OPENSSM_S3_SECRET_ACCESS_KEY, or neither"


def _heartbeat_within_silence(settings: ServerSettings) -> str | None:
    if settings.heartbeat_interval_s < settings.connection_lost_after_s:
        return None
    return "OPENSSM_HEARTBEAT_INTERVAL_S must be shorter than OPENSSM_CONNECTION_LOST_AFTER_S"


def _tls_pair(settings: ServerSettings) -> str | None:
    if settings.tls_cert is None and settings.tls_key is None:
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        return "set both --tls-cert and --tls-key (OPENSSM_TLS_CERT, OPENSSM_TLS_KEY), or neither"
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(settings.tls_cert, settings.tls_key)
    except (ssl.SSLError, OSError) as exc:
        # OpenSSL's reason is a word (KEY_VALUES_MISMATCH) or nothing (a file that is no PEM).
        reason = exc.reason if isinstance(exc, ssl.SSLError) else exc.strerror
        return (
            f"--tls-cert {settings.tls_cert} and --tls-key {settings.tls_key} are not a PEM "
            "certificate chain and its private key" + (f" ({reason})" if reason else "")
        )
    return None


SERVER_RULES = (
    Rule(("admin_access_key_id", "admin_secret_access_key"), _admin_key_pair),
    Rule(("heartbeat_interval_s", "connection_lost_after_s"), _heartbeat_within_silence),
    Rule(("tls_cert", "tls_key"), _tls_pair),
    Rule(("s3_access_key_id", "s3_secret_access_key"), _s3_key_pair),
)


def load_server_settings(
    flags: Mapping[str, str | None] | None = None, *, env: Mapping[str, str] | None = None
) -> ServerSettings:
    """Flags (by setting name, as text) win over OPENSSM_* variables, which win over defaults.

    Raises ConfigError listing every problem at once.
    """
    return load(
        ServerSettings,
        flags=flags or {},
        env=os.environ if env is None else env,
        rules=SERVER_RULES,
    )


def default_agent_state_dir() -> Path:
    return _state_dir("agent")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSettings:
    state_dir: Path = setting(
        Computed(default_agent_state_dir), env="OPENSSM_AGENT_STATE_DIR", flag="--state-dir",
        parse=path,
        help="agent state directory (default /var/lib/openssm/agent as root, "
        "else ~/.local/share/openssm/agent)",
    )  # fmt: skip
    log_level: str = setting(
        "info", env="OPENSSM_LOG_LEVEL", flag="--log-level", parse=choice(*LOG_LEVELS),
        help="debug, info, warning or error",
    )  # fmt: skip
    # Full-jitter exponential backoff between reconnects: random(0, min(cap, base * 2**n)).
    backoff_base_s: float = setting(
        0.5, env="OPENSSM_AGENT_BACKOFF_BASE_S", parse=number,
        check=between(0, 3600, above_low=True), help="first reconnect delay's cap, in seconds",
    )  # fmt: skip
    backoff_cap_s: float = setting(
        30.0, env="OPENSSM_AGENT_BACKOFF_CAP_S", parse=number,
        check=between(0, 3600, above_low=True), help="longest reconnect delay, in seconds",
    )  # fmt: skip
    # Rebooting is the host owner's decision: without a command, a script that exits 194 or
    # 3010 fails its step, saying so, and the host keeps running.
    reboot_command: str = setting(
        "", env="OPENSSM_AGENT_REBOOT_COMMAND", flag="--reboot-command", parse=text,
        check=_shell_words,
        help="command that reboots this host when a script asks (exit 194 or 3010), for "
        "example 'systemctl reboot'; empty: such scripts fail",
    )  # fmt: skip
    # How long SIGTERM may take: close the channel, flush the ledger.
    shutdown_deadline_s: float = setting(
        5.0, env="OPENSSM_AGENT_SHUTDOWN_DEADLINE_S", parse=number,
        check=between(0, 600, above_low=True), help="seconds a stop may take before it is forced",
    )  # fmt: skip


def load_agent_settings(
    flags: Mapping[str, str | None] | None = None, *, env: Mapping[str, str] | None = None
) -> AgentSettings:
    """Flags win over OPENSSM_AGENT_* variables, which win over defaults.

    Raises ConfigError listing every problem at once.
    """
    return load(AgentSettings, flags=flags or {}, env=os.environ if env is None else env)
