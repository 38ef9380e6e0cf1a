"""The plugin actions a Command or Policy document may name, and where each runs.

The list is AWS's plugin reference for Command documents, plus two openssm
actions: ``aws:runAnsiblePlaybook`` (AWS-RunAnsiblePlaybook's step) and
``aws:runPatchBaseline``. On AWS, AWS-RunPatchBaseline is a pair of
``aws:runShellScript``/``aws:runPowerShellScript`` steps that download and run
AWS's patching program; openssm has no such program to download, so its
AWS-RunPatchBaseline calls a native action that the agent implements
(``agent/plugins/run_patch_baseline.py``). The ``aws:`` prefix keeps the name
looking like every other action; ``is_openssm_extension`` marks it so the
server can say so in documentation and the console.

Platforms follow what DescribeDocument reports for documents built from each
plugin (``Windows``, ``Linux``, ``MacOS``). ``required_inputs`` are checked when a
document is created; everything else about inputs is the plugin's business.
``text_properties``: in a schema 1.2 document the plugin's ``properties`` may be
one string (its configuration as JSON text) instead of maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PlatformType(StrEnum):
    WINDOWS = "Windows"
    LINUX = "Linux"
    MACOS = "MacOS"


ALL_PLATFORMS = frozenset(PlatformType)
# DescribeDocument lists platforms in this order.
PLATFORM_ORDER = (PlatformType.WINDOWS, PlatformType.LINUX, PlatformType.MACOS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    name: str
    platforms: frozenset[PlatformType]
    required_inputs: tuple[str, ...] = ()
    is_openssm_extension: bool = False
    text_properties: bool = False


_W, _L, _M = PlatformType.WINDOWS, PlatformType.LINUX, PlatformType.MACOS

ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            name="aws:runShellScript",
            platforms=frozenset({_L, _M}),
            required_inputs=("runCommand",),
        ),
        Action(
            name="aws:runPowerShellScript", platforms=ALL_PLATFORMS, required_inputs=("runCommand",)
        ),
        Action(
            name="aws:runDocument",
            platforms=ALL_PLATFORMS,
            required_inputs=("documentType", "documentPath"),
        ),
        Action(name="aws:softwareInventory", platforms=ALL_PLATFORMS),
        Action(
            name="aws:downloadContent",
            platforms=ALL_PLATFORMS,
            required_inputs=("sourceType", "sourceInfo"),
        ),
        Action(name="aws:refreshAssociation", platforms=ALL_PLATFORMS),
        Action(
            name="aws:configurePackage", platforms=ALL_PLATFORMS, required_inputs=("name", "action")
        ),
        Action(
            name="aws:configureDocker", platforms=frozenset({_W, _L}), required_inputs=("action",)
        ),
        Action(name="aws:updateSsmAgent", platforms=ALL_PLATFORMS),
        Action(
            name="aws:runDockerAction", platforms=frozenset({_W, _L}), required_inputs=("action",)
        ),
        Action(name="aws:domainJoin", platforms=frozenset({_W, _L})),
        Action(name="aws:applications", platforms=frozenset({_W})),
        Action(name="aws:cloudWatch", platforms=frozenset({_W}), text_properties=True),
        Action(name="aws:psModule", platforms=frozenset({_W})),
        Action(name="aws:updateAgent", platforms=frozenset({_W})),
        Action(
            name="aws:runPatchBaseline",
            platforms=frozenset({_L}),
            required_inputs=("Operation",),
            is_openssm_extension=True,
        ),
        # AWS-RunAnsiblePlaybook's step: the agent runs ansible-playbook with an argument
        # vector and the playbook in a file, where AWS's document builds a shell script.
        Action(
            name="aws:runAnsiblePlaybook", platforms=frozenset({_L, _M}), is_openssm_extension=True
        ),
    )
}

# Inputs every action accepts in schema 2.2 (SSM Agent 3.0.502 and later).
SHARED_INPUTS = ("onFailure", "onSuccess", "finallyStep")


def get_action(name: str) -> Action | None:
    return ACTIONS.get(name)


def ordered_platforms(platforms: frozenset[PlatformType]) -> tuple[PlatformType, ...]:
    return tuple(p for p in PLATFORM_ORDER if p in platforms)
