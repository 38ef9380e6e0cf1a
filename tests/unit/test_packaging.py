"""What `pip install openssm` and its extras bring, and the pins `make` installs them at."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from openssm.cli.main import missing_extra

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
    assert base <= {"cryptography", "msgspec", "pynacl", "websockets"}


def test_a_missing_server_package_names_the_server_extra() -> None:
    """`openssm server` without the extra says which extra to install, for every module the
    extra's packages provide."""
    server = {canonicalize_name(r.name) for r in _requirements("server")}
    modules = [
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if server & {canonicalize_name(d) for d in distributions} and module.isidentifier()
    ]
    assert modules
    for module in modules:
        if module.startswith("_"):
            continue  # a compiled helper (_cffi_backend), never imported by name
        assert missing_extra(ModuleNotFoundError(name=f"{module}.sub")) == "server", module
    assert missing_extra(ModuleNotFoundError(name="openssm.server")) is None
