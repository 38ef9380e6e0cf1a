"""What `pip install openssm` and its extras bring, and the pins `make` installs them at."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from openssm.cli.main import main, missing_extra

ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def _requirements(group: str | None) -> list[Requirement]:
    project = _project()
    if group is None:
        names = project["dependencies"]
    else:
        extras = project["optional-dependencies"]
        assert isinstance(extras, dict)
        names = extras[group]
    assert isinstance(names, list)
    return [Requirement(name) for name in names]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


@pytest.mark.parametrize("group", [None, "server", "cli", "dev"])
def test_every_requirement_is_pinned_within_its_range(group: str | None) -> None:
    pins = _pins()
    for requirement in _requirements(group):
        name = canonicalize_name(requirement.name)
        if name == "openssm":
            continue
        assert name in pins, f"{requirement.name} is missing from constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pins[name]}, "
            f"outside pyproject.toml's {requirement.specifier}"
        )


def test_requirements_are_ranges_not_pins() -> None:
    """Security releases must be installable without editing pyproject.toml."""
    for group in (None, "server", "cli", "dev"):
        for requirement in _requirements(group):
            assert not any(spec.operator == "==" for spec in requirement.specifier), requirement


def test_the_base_install_is_the_agent_alone() -> None:
    base = {canonicalize_name(r.name) for r in _requirements(None)}
    assert base == {"msgspec", "pynacl", "websockets"}


@pytest.mark.parametrize(("command", "extra"), [("server", "server"), ("run", "cli")])
def test_a_missing_package_names_the_extra_of_the_command(command: str, extra: str) -> None:
    """`openssm server` without the extra says which extra to install, for every module the
    extras' packages provide."""
    wanted = {canonicalize_name(r.name) for r in _requirements(extra)}
    modules = [
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if wanted & {canonicalize_name(d) for d in distributions} and module.isidentifier()
    ]
    assert modules
    for module in modules:
        if module.startswith("_"):
            continue  # a compiled helper (_cffi_backend), never imported by name
        missing = ModuleNotFoundError(name=f"{module}.sub")
        assert missing_extra(missing, command) == extra, module


def test_a_missing_module_of_our_own_is_a_bug_not_a_missing_extra() -> None:
    assert missing_extra(ModuleNotFoundError(name="openssm.server"), "server") is None
    assert missing_extra(ModuleNotFoundError(name="sqlalchemy"), "agent") is None


def test_help_still_lists_every_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    usage = " ".join(capsys.readouterr().out.split("\n\n")[0].split())  # argparse may wrap it
    commands = (
        "server,admin,agent,up,run,commands,output,session,port-forward,ssh-proxy,sessions,"
        "compliance,associations,events,inventory,audit"
    )
    assert usage.startswith(f"usage: openssm [-h] {{{commands}}}")
