"""Steps of Command and Policy documents: ``mainSteps`` (2.x) and ``runtimeConfig`` (1.2).

- schemaVersion 1.2: ``runtimeConfig`` maps plugin name to ``{"properties": [...]}``;
  each properties entry is one step, run in document order. Its step name is
  the plugin name (what GetCommandInvocation reports as PluginName), or the
  entry's ``id`` when a plugin has several entries. A ``settings`` map beside
  ``properties`` goes to every step of the plugin. A plugin that takes its
  configuration as text (``aws:cloudWatch``) may give ``properties`` as one
  string, often a ``{{ parameter }}``; its step's inputs are then
  ``{"properties": <that text>}``.
- schemaVersion 2.0 and 2.2: ordered ``mainSteps`` with unique names;
  ``precondition`` exists only in 2.2.

Besides AWS's step members (``action``, ``name``, ``inputs``, ``precondition``)
a step may carry ``maxAttempts``, ``timeoutSeconds``, ``onFailure``, ``isEnd`` and
``isCritical``, spelt as in Automation documents. AWS Command documents do not
have them; openssm accepts them as an extension. The shared inputs the AWS
agent reads from ``inputs`` (``onFailure``, ``onSuccess``, ``finallyStep``) are
folded into the same Step fields. After a failed step the next one still runs
unless ``onFailure`` says otherwise, as on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openssm.documents.actions import ALL_PLATFORMS, PlatformType, get_action
from openssm.documents.errors import DocumentContentError, child_path
from openssm.documents.names import is_valid_plugin_id, is_valid_step_name
from openssm.documents.parameters import ParameterDef
from openssm.documents.placeholders import PLACEHOLDER_RE
from openssm.documents.values import OnFailure, Precondition

_STEP_KEYS = frozenset(
    {"action", "name", "inputs", "precondition", "description"}
    | {"maxAttempts", "timeoutSeconds", "onFailure", "isEnd", "isCritical"}
)
_STEP_ON_FAILURE = {
    "Abort": OnFailure.EXIT,
    "Continue": OnFailure.CONTINUE,
    "exit": OnFailure.EXIT,
    "successAndExit": OnFailure.SUCCESS_AND_EXIT,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step as written in the document, before parameters are substituted.

    ``on_failure``: after this step fails, go on (default), stop the document as
    failed (``exit``) or stop it as successful (``successAndExit``).
    ``exit_on_success``: stop after this step succeeds. ``is_finally``: run even
    when an earlier step stopped the document. ``is_end``: stop after this step
    whatever its outcome. ``is_critical``: its failure fails the invocation.
    ``settings``: the schema 1.2 plugin's ``settings`` map (empty otherwise).
    """

    name: str
    action: str
    plugin_id: str
    path: str
    inputs: dict[str, Any] = field(default_factory=dict)
    precondition: Precondition | None = None
    on_failure: OnFailure = OnFailure.CONTINUE
    exit_on_success: bool = False
    is_finally: bool = False
    max_attempts: int = 1
    timeout_s: int | None = None
    is_critical: bool = True
    is_end: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def platforms(self) -> frozenset[PlatformType]:
        action = get_action(self.action)
        supported = action.platforms if action else ALL_PLATFORMS
        if self.precondition and self.precondition.platform_type:
            return supported & {self.precondition.platform_type}
        return supported


def parse_main_steps(
    raw: object, version: str, parameters: tuple[ParameterDef, ...]
) -> tuple[Step, ...]:
    """Steps of a schema 2.0/2.2 ``mainSteps`` list; preconditions may name ``parameters``."""
    if raw is None:
        raise DocumentContentError(
            f"a schemaVersion {version} document needs mainSteps", path="mainSteps"
        )
    if not isinstance(raw, list) or not raw:
        raise DocumentContentError("mainSteps must be a non-empty list", path="mainSteps")
    names = {p.name for p in parameters}
    steps: list[Step] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(raw):
        step = _main_step(spec, index, version, names)
        if step.name in seen:
            raise DocumentContentError(
                f"step name '{step.name}' (mainSteps[{index}]) is already used by "
                f"mainSteps[{seen[step.name]}]; step names must be unique",
                path=child_path(step.path, "name"),
            )
        seen[step.name] = index
        steps.append(step)
    for step in steps[:-1]:
        if step.is_finally:
            raise DocumentContentError(
                f"step '{step.name}' ({step.path}) sets finallyStep but is not the last step",
                path=child_path(step.path, "inputs.finallyStep"),
            )
    return tuple(steps)


def _main_step(spec: object, index: int, version: str, parameter_names: set[str]) -> Step:
    path = child_path("mainSteps", index)
    if not isinstance(spec, dict):
        raise DocumentContentError(f"{path} must be a map", path=path)
    name = spec.get("name")
    if not isinstance(name, str) or not is_valid_step_name(name):
        raise DocumentContentError(
            f"{path} needs a name of 1-128 letters, digits, '_', '-' or '.'",
            path=child_path(path, "name"),
        )
    where = f"step '{name}' ({path})"
    for key in spec:
        if key not in _STEP_KEYS:
            raise DocumentContentError(
                f"{where} has unknown member '{key}'", path=child_path(path, key)
            )
    action = spec.get("action")
    _check_action(action, where, child_path(path, "action"))
    inputs = _inputs(spec.get("inputs"), str(action), where, child_path(path, "inputs"))
    precondition = None
    if "precondition" in spec:
        if version != "2.2":
            raise DocumentContentError(
                f"{where} has a precondition, which needs schemaVersion 2.2",
                path=child_path(path, "precondition"),
            )
        precondition = _precondition(
            spec["precondition"], where, child_path(path, "precondition"), parameter_names
        )
    on_failure = _on_failure(spec, inputs, where, path)
    return Step(
        name=name,
        action=str(action),
        plugin_id=name,
        path=path,
        inputs=inputs,
        precondition=precondition,
        on_failure=on_failure,
        exit_on_success=inputs.get("onSuccess") == "exit",
        is_finally=_flag(inputs, "finallyStep", False, where, child_path(path, "inputs")),
        max_attempts=_positive(spec, "maxAttempts", where, path) or 1,
        timeout_s=_positive(spec, "timeoutSeconds", where, path),
        is_critical=_flag(spec, "isCritical", True, where, path),
        is_end=_flag(spec, "isEnd", False, where, path),
    )


def parse_runtime_config(raw: object) -> tuple[Step, ...]:
    """Steps of a schema 1.2 ``runtimeConfig`` map, one per properties entry."""
    if not isinstance(raw, dict) or not raw:
        raise DocumentContentError(
            "a schemaVersion 1.2 document needs a runtimeConfig map of plugin name to {properties}",
            path="runtimeConfig",
        )
    steps: list[Step] = []
    seen: set[str] = set()
    for action, plugin in raw.items():
        steps.extend(_plugin_steps(action, plugin, seen))
    return tuple(steps)


def _plugin_steps(action: str, plugin: object, seen: set[str]) -> list[Step]:
    path = child_path("runtimeConfig", action)
    _check_action(action, f"plugin '{action}'", path)
    config = plugin if isinstance(plugin, dict) else {}
    settings = config.get("settings")
    if settings is None:
        settings = {}
    elif not isinstance(settings, dict):
        raise DocumentContentError(
            f"plugin '{action}' settings must be a map", path=child_path(path, "settings")
        )
    entries = config.get("properties")
    known = get_action(action)
    if isinstance(entries, str) and known is not None and known.text_properties:
        entries = [{"properties": entries}]  # one step, whose inputs hold the text
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise DocumentContentError(
            f"plugin '{action}' needs properties: a map or a non-empty list of maps",
            path=child_path(path, "properties"),
        )
    steps: list[Step] = []
    for index, entry in enumerate(entries):
        entry_path = child_path(child_path(path, "properties"), index)
        if not isinstance(entry, dict):
            raise DocumentContentError(f"{entry_path} must be a map", path=entry_path)
        plugin_id = entry.get("id", f"{index}.{action}")
        if not isinstance(plugin_id, str) or not is_valid_plugin_id(plugin_id):
            raise DocumentContentError(
                f"plugin '{action}' has an invalid id at {entry_path}",
                path=child_path(entry_path, "id"),
            )
        where = f"plugin '{plugin_id}' ({entry_path})"
        if plugin_id in seen:
            raise DocumentContentError(f"{where} repeats an id", path=entry_path)
        seen.add(plugin_id)
        inputs = _inputs(entry, action, where, entry_path)
        name = action if len(entries) == 1 else plugin_id
        steps.append(
            Step(
                name=name,
                action=action,
                plugin_id=plugin_id,
                path=entry_path,
                inputs=inputs,
                settings=settings,
            )
        )
    return steps


def _check_action(action: object, where: str, path: str) -> None:
    if not isinstance(action, str) or not action:
        raise DocumentContentError(f"{where} has no action", path=path)
    if get_action(action) is None:
        raise DocumentContentError(f"{where} has unknown action '{action}'", path=path)


def _inputs(raw: object, action: str, where: str, path: str) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise DocumentContentError(f"{where} inputs must be a map", path=path)
    known = get_action(action)
    for key in known.required_inputs if known else ():
        if raw.get(key) is None:
            raise DocumentContentError(
                f"{where} needs input '{key}' for action {action}", path=child_path(path, key)
            )
    command = raw.get("runCommand")
    if command is not None and not (
        isinstance(command, str)
        or (isinstance(command, list) and all(isinstance(c, str) for c in command))
    ):
        raise DocumentContentError(
            f"{where} runCommand must be a string or a list of strings",
            path=child_path(path, "runCommand"),
        )
    for key, allowed in (("onFailure", ("exit", "successAndExit")), ("onSuccess", ("exit",))):
        if key in raw and raw[key] not in allowed:
            raise DocumentContentError(
                f"{where} {key} must be {' or '.join(allowed)}", path=child_path(path, key)
            )
    return raw


def _precondition(raw: object, where: str, path: str, parameter_names: set[str]) -> Precondition:
    operands = raw.get("StringEquals") if isinstance(raw, dict) and len(raw) == 1 else None
    if not (
        isinstance(operands, list)
        and len(operands) == 2
        and all(isinstance(o, str) for o in operands)
    ):
        raise DocumentContentError(
            f'{where} precondition must be {{"StringEquals": [operand, value]}}', path=path
        )
    left, right = operands
    if PLACEHOLDER_RE.search(right):
        raise DocumentContentError(
            f"{where} precondition value must be a literal, not a placeholder", path=path
        )
    if left == "platformType":
        try:
            return Precondition(expected=right, platform_type=PlatformType(right))
        except ValueError:
            raise DocumentContentError(
                f"{where} precondition names unknown platformType '{right}' "
                "(use Windows, Linux or MacOS)",
                path=path,
            ) from None
    whole = PLACEHOLDER_RE.fullmatch(left)
    parameter = whole.group("name") if whole else None
    if parameter is None:
        raise DocumentContentError(
            f"{where} precondition operand must be platformType or a {{{{ parameter }}}}",
            path=path,
        )
    if parameter not in parameter_names:
        raise DocumentContentError(
            f"{where} precondition uses undeclared parameter '{parameter}'", path=path
        )
    return Precondition(expected=right, parameter=parameter)


def _on_failure(spec: dict[str, Any], inputs: dict[str, Any], where: str, path: str) -> OnFailure:
    from_inputs = _STEP_ON_FAILURE[inputs["onFailure"]] if "onFailure" in inputs else None
    raw = spec.get("onFailure")
    if raw is None:
        return from_inputs or OnFailure.CONTINUE
    if raw not in _STEP_ON_FAILURE:
        raise DocumentContentError(
            f"{where} onFailure must be one of {', '.join(_STEP_ON_FAILURE)}",
            path=child_path(path, "onFailure"),
        )
    if from_inputs is not None and from_inputs is not _STEP_ON_FAILURE[raw]:
        raise DocumentContentError(
            f"{where} sets onFailure both on the step and in inputs, differently",
            path=child_path(path, "onFailure"),
        )
    return _STEP_ON_FAILURE[raw]


def _flag(spec: dict[str, Any], key: str, default: bool, where: str, path: str) -> bool:
    value = spec.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise DocumentContentError(
            f"{where} {key} must be true or false", path=child_path(path, key)
        )
    return value


def _positive(spec: dict[str, Any], key: str, where: str, path: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DocumentContentError(
            f"{where} {key} must be a whole number of 1 or more", path=child_path(path, key)
        )
    return value
