"""The settings tables: one row per setting, flags over environment over defaults, and every
bad value reported together in one ConfigError that names where each came from."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from openssm.cli.main import build_parser
from openssm.cli.up_cmd import SERVER_SETTINGS_UP_OWNS
from openssm.config import AgentSettings, ServerSettings, load_server_settings
from openssm.errors import ConfigError
from openssm.settings_table import between, choice, integer, names, number, rows, switch
from tests.tls import PrivateCA


def _problems(flags: dict[str, str | None], env: dict[str, str]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        load_server_settings(flags, env=env)
    return caught.value.problems


@pytest.mark.parametrize("settings_class", [ServerSettings, AgentSettings])
def test_every_field_is_a_row_with_an_openssm_variable(settings_class: type[Any]) -> None:
    table = rows(settings_class)
    assert [row.name for row in table] == [f.name for f in dataclasses.fields(settings_class)]
    envs = [row.env for row in table]
    assert all(env.startswith("OPENSSM_") for env in envs)
    assert len(set(envs)) == len(envs)
    flags = [row.flag for row in table if row.flag]
    assert len(set(flags)) == len(flags)
    assert all(row.help for row in table)


def test_nothing_set_gives_the_defaults() -> None:
    settings = load_server_settings(env={})
    assert settings == ServerSettings()
    assert (settings.host, settings.port, settings.account_id) == ("127.0.0.1", 8787, "0" * 12)


def test_a_flag_wins_over_the_environment_which_wins_over_the_default() -> None:
    env = {"OPENSSM_PORT": "9001", "OPENSSM_HOST": "::1", "OPENSSM_STRICT_OUTPUT": "1"}
    settings = load_server_settings({"port": "9002"}, env=env)
    assert (settings.port, settings.host, settings.strict_output) == (9002, "::1", True)


def test_an_empty_value_counts_as_not_set() -> None:
    """`OPENSSM_DATABASE_URL=` in an environment file means: the default (SQLite)."""
    settings = load_server_settings(env={"OPENSSM_DATABASE_URL": "", "OPENSSM_PORT": ""})
    assert (settings.database_url, settings.port) == (None, 8787)


def test_every_bad_value_is_reported_at_once_naming_its_source() -> None:
    problems = _problems(
        {"account_id": "12", "database_url": "mysql://db"},
        {
            "OPENSSM_PORT": "abc",
            "OPENSSM_HEARTBEAT_INTERVAL_S": "soon",
            "OPENSSM_MASTER_KEY_ALIASES": "alias/good,bad",
            "OPENSSM_LOG_LEVEL": "loud",
            "OPENSSM_WORKER_THREADS": "0",
        },
    )
    assert problems == (
        "OPENSSM_PORT='abc': not a whole number",
        "--database-url 'mysql://db': must start with sqlite: or postgresql: (got mysql:)",
        "--account-id '12': must be 12 digits",
        "OPENSSM_LOG_LEVEL='loud': must be one of debug, info, warning, error",
        "OPENSSM_MASTER_KEY_ALIASES='alias/good,bad': 'bad' must be like alias/<name>",
        "OPENSSM_WORKER_THREADS='0': must be between 1 and 256",
        "OPENSSM_HEARTBEAT_INTERVAL_S='soon': not a number",
    )


def test_a_secret_is_never_echoed_in_an_error() -> None:
    problems = _problems(
        {}, {"OPENSSM_ADMIN_ACCESS_KEY_ID": "A" * 20, "OPENSSM_ADMIN_SECRET_ACCESS_KEY": "s3cret"}
    )
    assert problems == ("OPENSSM_ADMIN_SECRET_ACCESS_KEY: must be at least 16 characters",)


def test_admin_key_takes_both_halves() -> None:
    problems = _problems({}, {"OPENSSM_ADMIN_ACCESS_KEY_ID": "A" * 20})
    assert problems == (
        "set both OPENSSM_ADMIN_ACCESS_KEY_ID and OPENSSM_ADMIN_SECRET_ACCESS_KEY, or neither",
    )
    both = {"OPENSSM_ADMIN_ACCESS_KEY_ID": "A" * 20, "OPENSSM_ADMIN_SECRET_ACCESS_KEY": "s" * 16}
    credentials = load_server_settings(env=both).admin_credentials
    assert credentials is not None
    assert (credentials.access_key_id, credentials.secret_access_key) == ("A" * 20, "s" * 16)
    assert "s" * 16 not in repr(load_server_settings(env=both))


def test_heartbeat_must_be_shorter_than_the_silence_that_means_lost() -> None:
    problems = _problems(
        {}, {"OPENSSM_HEARTBEAT_INTERVAL_S": "10", "OPENSSM_CONNECTION_LOST_AFTER_S": "5"}
    )
    assert problems == (
        "OPENSSM_HEARTBEAT_INTERVAL_S must be shorter than OPENSSM_CONNECTION_LOST_AFTER_S",
    )


def test_a_rule_over_a_bad_value_is_not_reported_twice() -> None:
    """A bad heartbeat is one problem, not also a heartbeat-versus-silence one."""
    problems = _problems(
        {}, {"OPENSSM_HEARTBEAT_INTERVAL_S": "-1", "OPENSSM_CONNECTION_LOST_AFTER_S": "5"}
    )
    assert problems == ("OPENSSM_HEARTBEAT_INTERVAL_S='-1': must be more than 0 and at most 86400",)


def test_unknown_flag_names_are_a_programming_error() -> None:
    with pytest.raises(TypeError, match="porrt"):
        load_server_settings({"porrt": "1"}, env={})


@pytest.mark.parametrize(
    ("parse", "raw", "expected"),
    [
        (integer, " 8 ", 8),
        (number, "0.25", 0.25),
        (switch, "1", True),
        (switch, "Off", False),
        (names, " alias/a, ,alias/b ", ("alias/a", "alias/b")),
        (choice("debug", "info"), "INFO", "info"),
    ],
)
def test_types_read_text(parse: Any, raw: str, expected: object) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("parse", "raw", "message"),
    [
        (integer, "8.5", "not a whole number"),
        (number, "nan", "not a finite number"),
        (number, "ten", "not a number"),
        (switch, "maybe", "must be 1 or 0"),
    ],
)
def test_types_refuse_what_they_cannot_read(parse: Any, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(raw)


def test_between_includes_its_ends_unless_told_otherwise() -> None:
    assert between(0, 10)(0) is None
    assert between(0, 10)(10) is None
    assert between(0, 10)(11) == "must be between 0 and 10"
    assert between(0, 10, above_low=True)(0) == "must be more than 0 and at most 10"


def test_server_flags_are_generated_from_the_table(tmp_path: Path) -> None:
    flagged = [row for row in rows(ServerSettings) if row.flag]
    assert {row.name for row in flagged} >= {"host", "port", "data_dir", "database_url"}
    for row in flagged:
        assert row.flag is not None
        args = build_parser().parse_args(["server", row.flag, "x"])
        assert getattr(args, row.name) == "x"


def test_up_takes_the_server_flags_but_the_ones_it_sets_itself() -> None:
    for row in rows(ServerSettings):
        if row.flag and row.name not in SERVER_SETTINGS_UP_OWNS:
            args = build_parser().parse_args(["up", row.flag, "x"])
            assert getattr(args, row.name) == "x"
    args = build_parser().parse_args(["up", "--agent-state-dir", "/a", "--log-level", "info"])
    assert (args.agent_state_dir, args.log_level) == ("/a", "info")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["up", "--ready-file", "/r"])


def test_tls_takes_a_certificate_and_its_key(tmp_path: Path) -> None:
    ca = PrivateCA.create(tmp_path / "ca")
    issued = ca.issue(tmp_path / "cert")
    flags = {"tls_cert": str(issued.cert_file), "tls_key": str(issued.key_file)}
    assert load_server_settings(flags, env={}).scheme == "https"
    assert load_server_settings(env={}).scheme == "http"
    assert _problems({"tls_cert": str(issued.cert_file)}, {}) == (
        "set both --tls-cert and --tls-key (OPENSSM_TLS_CERT, OPENSSM_TLS_KEY), or neither",
    )
    other_key = ca.issue(tmp_path / "other").key_file
    (mismatch,) = _problems({**flags, "tls_key": str(other_key)}, {})
    assert mismatch.endswith(
        "are not a PEM certificate chain and its private key (KEY_VALUES_MISMATCH)"
    )
    assert _problems({**flags, "tls_key": str(tmp_path / "missing.key")}, {}) == (
        f"--tls-key {str(tmp_path / 'missing.key')!r}: no such file",
    )


def test_the_s3_service_is_a_url_with_a_host_and_a_whole_key_pair() -> None:
    problems = _problems(
        {"s3_endpoint_url": "file:///etc"}, {"OPENSSM_S3_ACCESS_KEY_ID": "AKIDEXAMPLE"}
    )
    assert problems == (
        "--s3-endpoint-url 'file:///etc': must be an http:// or https:// URL with a host",
        "set both OPENSSM_S3_ACCESS_KEY_ID and OPENSSM_S3_SECRET_ACCESS_KEY, or neither",
    )
    assert _problems({"s3_endpoint_url": "http://user:pw@127.0.0.1:9000"}, {}) == (
        "--s3-endpoint-url 'http://user:pw@127.0.0.1:9000': must be scheme://host[:port][/path],"
        " with no user, query or fragment",
    )
    env = {
        "OPENSSM_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "OPENSSM_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "OPENSSM_S3_SECRET_ACCESS_KEY": "s3-secret-value",
    }
    settings = load_server_settings(env=env)
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert "s3-secret-value" not in repr(settings)
