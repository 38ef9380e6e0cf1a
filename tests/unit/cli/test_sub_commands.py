"""The table of sub-commands in openssm.cli.main says what each module's parser adds."""

from __future__ import annotations

import argparse
import importlib

import pytest

from openssm.cli.main import SUB_COMMANDS, SubCommands, build_parser


def _added_by(module: str) -> tuple[str, ...]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(f"openssm.cli.{module}").add_parser(sub)
    return tuple(sub.choices)


@pytest.mark.parametrize("entry", SUB_COMMANDS, ids=lambda entry: str(entry.module))
def test_each_module_adds_the_sub_commands_the_table_names(entry: SubCommands) -> None:
    assert entry.names == _added_by(entry.module)


def test_a_named_command_builds_only_its_modules_parsers() -> None:
    parser = build_parser("port-forward")
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(sub.choices) == ["port-forward"]


def test_every_sub_command_is_listed_once() -> None:
    names = [name for entry in SUB_COMMANDS for name in entry.names]
    assert len(names) == len(set(names))
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(sub.choices) == names
