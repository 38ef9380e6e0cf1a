"""Plugin inputs read the way AWS's agent reads them (plugin reference; runscript)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openssm.agent.plugins.scripts import command_lines, timeout_seconds, working_directory
from openssm.agent.proc import exit_code_of
from openssm.documents.nested import parse_document_path, wire_parameters


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("600", 600),
        (" 60 ", 60),
        (60, 60),
        (60.7, 60),
        ("1", 1),
        ("172800", 172800),
        # Out of range or not a number: AWS's agent falls back to the default.
        ("172801", 3600),
        ("0", 3600),
        ("-5", 3600),
        ("soon", 3600),
        ("", 3600),
        (None, 3600),
        (True, 3600),
    ],
)
def test_timeout_seconds(raw: object, expected: int) -> None:
    assert timeout_seconds(raw) == expected


def test_run_command_is_a_list_of_lines_or_one_string() -> None:
    assert command_lines(["echo a", "echo b"]) == ["echo a", "echo b"]
    assert command_lines("echo a\necho b") == ["echo a\necho b"]
    assert command_lines([]) == []
    assert command_lines(["echo", 3]) is None
    assert command_lines({"a": 1}) is None


def test_working_directory(tmp_path: Path) -> None:
    default = tmp_path / "step"
    (tmp_path / "sub").mkdir()
    assert working_directory("", run_dir=tmp_path, default=default) == default
    assert working_directory(None, run_dir=tmp_path, default=default) == default
    assert working_directory("/srv/app", run_dir=tmp_path, default=default) == Path("/srv/app")
    assert working_directory("sub", run_dir=tmp_path, default=default) == tmp_path / "sub"
    # A relative directory that is not there: AWS's agent falls back to the default.
    assert working_directory("missing", run_dir=tmp_path, default=default) == default


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("MyDocument", ("MyDocument", None)),
        ("MyDocument:3", ("MyDocument", "3")),
        ("MyDocument:", ("MyDocument:", None)),
        (
            "arn:aws:ssm:us-east-1:123456789012:document/MyDocument",
            ("arn:aws:ssm:us-east-1:123456789012:document/MyDocument", None),
        ),
    ],
)
def test_document_path(path: str, expected: tuple[str, str | None]) -> None:
    assert parse_document_path(path) == expected


def test_document_parameters_take_the_wire_shape() -> None:
    assert wire_parameters({"commands": ["a", "b"], "n": 3, "s": "x"}) == {
        "commands": ["a", "b"],
        "n": ["3"],
        "s": ["x"],
    }
    assert wire_parameters('{"commands": "uptime"}') == {"commands": ["uptime"]}
    assert wire_parameters(None) == {}
    assert wire_parameters("") == {}
    assert wire_parameters("not json") is None
    assert wire_parameters(["a"]) is None


def test_exit_codes_read_as_a_shell_shows_them() -> None:
    assert exit_code_of(0) == 0
    assert exit_code_of(3) == 3
    assert exit_code_of(-9) == 137
    assert exit_code_of(-15) == 143
