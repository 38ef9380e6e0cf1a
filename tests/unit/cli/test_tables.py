"""Tables printed to a pipe or a file are never cut, whatever COLUMNS says."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.table import Table

from openssm.cli import run_cmd
from openssm.cli.tables import table_console, when

LONG_ID = "0123456789abcdef-0123-4567-89ab-cdef01234567"


def test_a_table_off_a_terminal_keeps_every_cell_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    table = Table()
    for column in ("Command", "Document", "Requested"):
        table.add_column(column, no_wrap=True, overflow="fold")
    table.add_row(LONG_ID, "AWS-RunShellScript", "2026-12-06 13:38:30.123456+00:00")
    table_console().print(table)
    out = capsys.readouterr().out
    for cell in (LONG_ID, "AWS-RunShellScript", "2026-12-06 13:38:30.123456+00:00"):
        assert cell in out


def test_openssm_runs_host_table_is_not_cut_in_a_pipe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    command = {"CommandId": LONG_ID, "Status": "Success"}
    invocation = {
        "InstanceId": "mi-0123456789abcdef0",
        "InstanceName": "a-rather-long-host-name.example.internal",
        "StatusDetails": "Success",
        "CommandPlugins": [{"Name": "aws:runShellScript", "ResponseCode": 0, "Output": "hi"}],
    }
    run_cmd._show(command, [invocation], as_json=False)
    out = capsys.readouterr().out
    assert "a-rather-long-host-name.example.internal" in out
    assert "mi-0123456789abcdef0" in out


def test_times_in_tables_are_utc_to_the_second() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert when(dt.datetime(2026, 12, 6, 17, 46, 35, 822000, tzinfo=paris)) == (
        "2026-12-06 16:46:35Z"
    )
    assert when(None, missing="never") == "never"
    assert when("", missing="-") == "-"
    assert when("yesterday") == "yesterday"
