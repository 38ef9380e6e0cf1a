"""Document validation: schema versions, steps, preconditions and platforms.

AWS rules checked (SSM User Guide, "SSM document schema features" and
"Command document plugin reference"): Command documents use schemaVersion 1.2
(runtimeConfig), 2.0 or 2.2 (mainSteps); step names are unique; preconditions
exist only in 2.2 and test ``platformType`` or a parameter with StringEquals;
DescribeDocument lists the platforms the plugins run on.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openssm.documents.actions import ACTIONS, PlatformType
from openssm.documents.errors import DocumentContentError, DocumentSchemaVersionError
from openssm.documents.kinds import DocumentType
from openssm.documents.schema import Document, load_document, parse_document
from openssm.documents.values import OnFailure

LINUX, WINDOWS, MACOS = PlatformType.LINUX, PlatformType.WINDOWS, PlatformType.MACOS


def shell_step(name: str, *commands: str, **extra: Any) -> dict[str, Any]:
    return {
        "action": "aws:runShellScript",
        "name": name,
        "inputs": {"runCommand": list(commands) or ["true"]},
        **extra,
    }


def command_doc(*steps: dict[str, Any], version: str = "2.2", **top: Any) -> dict[str, Any]:
    return {"schemaVersion": version, "mainSteps": list(steps), **top}


def parse(data: dict[str, Any], document_type: str = "Command") -> Document:
    return parse_document(data, document_type)


def content_error(data: dict[str, Any], document_type: str = "Command") -> DocumentContentError:
    with pytest.raises(DocumentContentError) as info:
        parse(data, document_type)
    return info.value


# --- valid documents ----------------------------------------------------------------------


def test_schema_22_document_parses_into_ordered_steps() -> None:
    doc = parse(command_doc(shell_step("first", "echo 1"), shell_step("second", "echo 2")))
    assert doc.document_type is DocumentType.COMMAND
    assert doc.schema_version == "2.2"
    assert [s.name for s in doc.steps] == ["first", "second"]
    assert [s.path for s in doc.steps] == ["mainSteps[0]", "mainSteps[1]"]
    assert doc.steps[0].inputs == {"runCommand": ["echo 1"]}
    assert doc.steps[0].plugin_id == "first"


def test_schema_20_document_parses() -> None:
    doc = parse(command_doc(shell_step("only"), version="2.0"))
    assert doc.schema_version == "2.0"
    assert doc.platform_types == (LINUX, MACOS)


def test_schema_12_runtime_config_becomes_steps_named_after_the_plugin() -> None:
    """Schema 1.2 reports PluginName as the plugin (``aws:runShellScript``)."""
    doc = parse(
        {
            "schemaVersion": "1.2",
            "runtimeConfig": {
                "aws:runShellScript": {
                    "properties": [{"id": "0.aws:runShellScript", "runCommand": ["uptime"]}]
                }
            },
        }
    )
    (step,) = doc.steps
    assert step.name == "aws:runShellScript"
    assert step.plugin_id == "0.aws:runShellScript"
    assert step.path == "runtimeConfig.aws:runShellScript.properties[0]"


def test_schema_12_with_several_entries_names_steps_by_id() -> None:
    doc = parse(
        {
            "schemaVersion": "1.2",
            "runtimeConfig": {
                "aws:runShellScript": {
                    "properties": [{"runCommand": ["a"]}, {"id": "second", "runCommand": ["b"]}]
                },
                "aws:softwareInventory": {"properties": {"applications": "Enabled"}},
            },
        }
    )
    assert [s.name for s in doc.steps] == [
        "0.aws:runShellScript",
        "second",
        "aws:softwareInventory",
    ]


def test_unquoted_yaml_schema_version_is_read_as_its_text() -> None:
    doc = load_document(
        "schemaVersion: 2.2\nmainSteps:\n- action: aws:runShellScript\n  name: a\n"
        "  inputs: {runCommand: [date]}\n",
        "YAML",
    )
    assert doc.schema_version == "2.2"


def test_policy_document_accepts_schema_20() -> None:
    step = {"action": "aws:softwareInventory", "name": "collect", "inputs": {}}
    doc = parse(command_doc(step, version="2.0"), "Policy")
    assert doc.document_type is DocumentType.POLICY


def test_every_known_action_is_accepted() -> None:
    for name, action in ACTIONS.items():
        inputs = dict.fromkeys(action.required_inputs, "x")
        doc = parse(command_doc({"action": name, "name": "s", "inputs": inputs}))
        assert doc.steps[0].action == name


def test_step_extensions_and_shared_inputs_fill_step_fields() -> None:
    last = shell_step("cleanup")
    last["inputs"]["finallyStep"] = True
    first = shell_step("work", maxAttempts=3, timeoutSeconds=60, isCritical=False, isEnd=False)
    first["inputs"].update(onFailure="successAndExit", onSuccess="exit")
    doc = parse(command_doc(first, last))
    work, cleanup = doc.steps
    assert work.max_attempts == 3
    assert work.timeout_s == 60
    assert work.is_critical is False
    assert work.on_failure is OnFailure.SUCCESS_AND_EXIT
    assert work.exit_on_success is True
    assert cleanup.is_finally is True
    assert cleanup.on_failure is OnFailure.CONTINUE


@pytest.mark.parametrize(
    ("raw", "expected"), [("Abort", OnFailure.EXIT), ("Continue", OnFailure.CONTINUE)]
)
def test_automation_style_on_failure_maps_to_step_behaviour(raw: str, expected: OnFailure) -> None:
    doc = parse(command_doc(shell_step("s", onFailure=raw)))
    assert doc.steps[0].on_failure is expected


# --- platforms ----------------------------------------------------------------------------


def test_platforms_of_22_are_the_union_over_preconditioned_steps() -> None:
    linux = shell_step("linux", precondition={"StringEquals": ["platformType", "Linux"]})
    windows = {
        "action": "aws:runPowerShellScript",
        "name": "windows",
        "inputs": {"runCommand": ["dir"]},
        "precondition": {"StringEquals": ["platformType", "Windows"]},
    }
    assert parse(command_doc(linux, windows)).platform_types == (WINDOWS, LINUX)


def test_platforms_of_20_are_the_intersection_over_steps() -> None:
    """In 2.0 a plugin that cannot run fails the document, so all must fit."""
    powershell = {
        "action": "aws:runPowerShellScript",
        "name": "ps",
        "inputs": {"runCommand": ["x"]},
    }
    doc = parse(command_doc(shell_step("sh"), powershell, version="2.0"))
    assert doc.platform_types == (LINUX, MACOS)


def test_windows_only_plugin_gives_windows_only() -> None:
    doc = parse(command_doc({"action": "aws:psModule", "name": "mod", "inputs": {}}))
    assert doc.platform_types == (WINDOWS,)


# --- faults -------------------------------------------------------------------------------


def test_unknown_action_names_the_step_and_its_path() -> None:
    data = command_doc(
        shell_step("prepare"),
        {"action": "aws:runShellScrpt", "name": "installDeps", "inputs": {}},
    )
    error = content_error(data)
    assert error.message == (
        "Invalid document content: step 'installDeps' (mainSteps[1]) has unknown action "
        "'aws:runShellScrpt'"
    )
    assert error.path == "mainSteps[1].action"


def test_unknown_plugin_in_runtime_config_is_named() -> None:
    error = content_error(
        {"schemaVersion": "1.2", "runtimeConfig": {"aws:nope": {"properties": []}}}
    )
    assert "plugin 'aws:nope' has unknown action 'aws:nope'" in error.message
    assert error.path == "runtimeConfig.aws:nope"


def test_duplicate_step_names_are_refused() -> None:
    error = content_error(command_doc(shell_step("same"), shell_step("other"), shell_step("same")))
    assert "step name 'same' (mainSteps[2]) is already used by mainSteps[0]" in error.message
    assert error.path == "mainSteps[2].name"


def test_missing_main_steps_is_refused() -> None:
    error = content_error({"schemaVersion": "2.2"})
    assert "needs mainSteps" in error.message
    assert error.path == "mainSteps"


def test_empty_main_steps_is_refused() -> None:
    assert "non-empty" in content_error(command_doc()).message


@pytest.mark.parametrize(
    ("document_type", "version"),
    [
        ("Command", "3.0"),
        ("Command", "1.0"),
        ("Command", "0.3"),
        ("Session", "2.2"),
        ("Policy", "1.2"),
    ],
)
def test_unsupported_schema_version_is_a_schema_version_error(
    document_type: str, version: str
) -> None:
    data = command_doc(shell_step("a"), version=version)
    with pytest.raises(DocumentSchemaVersionError) as info:
        parse(data, document_type)
    assert info.value.path == "schemaVersion"
    assert info.value.aws_code == "InvalidDocumentSchemaVersion"
    assert repr(version) in info.value.message


def test_missing_schema_version_is_a_content_error() -> None:
    data = command_doc(shell_step("a"))
    del data["schemaVersion"]
    assert content_error(data).path == "schemaVersion"


def test_member_of_another_schema_version_is_refused() -> None:
    data = command_doc(shell_step("a"), runtimeConfig={})
    error = content_error(data)
    assert "'runtimeConfig' is not allowed in a schemaVersion 2.2 Command document" in error.message


def test_unknown_step_member_is_refused() -> None:
    error = content_error(command_doc(shell_step("a", inptus={})))
    assert error.message.endswith("step 'a' (mainSteps[0]) has unknown member 'inptus'")


@pytest.mark.parametrize("name", ["", "..", ".", "has space", "a/b", "x" * 129, None])
def test_bad_step_names_are_refused(name: str | None) -> None:
    step = shell_step("placeholder")
    step["name"] = name
    assert content_error(command_doc(step)).path == "mainSteps[0].name"


def test_missing_required_input_is_named() -> None:
    error = content_error(command_doc({"action": "aws:runShellScript", "name": "s", "inputs": {}}))
    assert "step 's' (mainSteps[0]) needs input 'runCommand'" in error.message
    assert error.path == "mainSteps[0].inputs.runCommand"


def test_run_command_must_be_text_or_list_of_text() -> None:
    step = {"action": "aws:runShellScript", "name": "s", "inputs": {"runCommand": [1, 2]}}
    assert content_error(command_doc(step)).path == "mainSteps[0].inputs.runCommand"


def test_finally_step_must_be_last() -> None:
    first = shell_step("first")
    first["inputs"]["finallyStep"] = True
    error = content_error(command_doc(first, shell_step("second")))
    assert "not the last step" in error.message


def test_conflicting_on_failure_settings_are_refused() -> None:
    step = shell_step("s", onFailure="Continue")
    step["inputs"]["onFailure"] = "exit"
    assert "both on the step and in inputs" in content_error(command_doc(step)).message


@pytest.mark.parametrize(
    ("precondition", "needle"),
    [
        ({"StringLike": ["platformType", "Linux"]}, 'must be {"StringEquals"'),
        ({"StringEquals": ["platformType"]}, 'must be {"StringEquals"'),
        ({"StringEquals": ["platformType", "Linux", "x"]}, 'must be {"StringEquals"'),
        ({"StringEquals": ["platformType", "Ubuntu"]}, "unknown platformType 'Ubuntu'"),
        ({"StringEquals": ["platformType", "linux"]}, "unknown platformType 'linux'"),
        ({"StringEquals": ["osFamily", "Linux"]}, "must be platformType or a {{ parameter }}"),
        ({"StringEquals": ["{{ missing }}", "x"]}, "undeclared parameter 'missing'"),
        ({"StringEquals": ["platformType", "{{ os }}"]}, "must be a literal"),
        (["platformType", "Linux"], 'must be {"StringEquals"'),
    ],
)
def test_bad_precondition_is_refused(precondition: object, needle: str) -> None:
    data = command_doc(shell_step("guarded", precondition=precondition))
    data["parameters"] = {"os": {"type": "String", "default": "Linux"}}
    error = content_error(data)
    assert needle in error.message
    assert "step 'guarded' (mainSteps[0])" in error.message
    assert error.path == "mainSteps[0].precondition"


def test_precondition_needs_schema_22() -> None:
    step = shell_step("s", precondition={"StringEquals": ["platformType", "Linux"]})
    error = content_error(command_doc(step, version="2.0"))
    assert "needs schemaVersion 2.2" in error.message


def test_parameter_precondition_is_parsed() -> None:
    data = command_doc(shell_step("s", precondition={"StringEquals": ["{{ env }}", "prod"]}))
    data["parameters"] = {"env": {"type": "String", "default": "dev"}}
    condition = parse(data).steps[0].precondition
    assert condition is not None
    assert (condition.parameter, condition.expected, condition.platform_type) == (
        "env",
        "prod",
        None,
    )


def test_parameter_types_beyond_string_need_schema_2x() -> None:
    data = {
        "schemaVersion": "1.2",
        "parameters": {"n": {"type": "Integer", "default": 1}},
        "runtimeConfig": {"aws:runShellScript": {"properties": [{"runCommand": ["true"]}]}},
    }
    error = content_error(data)
    assert "type Integer, which this schema version does not support" in error.message
    assert error.path == "parameters.n.type"


def test_unknown_document_type_is_refused() -> None:
    assert "not supported" in content_error(command_doc(shell_step("a")), "Automation").message


def test_parse_does_not_modify_its_input() -> None:
    data = command_doc(shell_step("a"))
    before = copy.deepcopy(data)
    parse(data)
    assert data == before


@pytest.mark.parametrize(
    ("runtime_config", "path"),
    [
        ({}, "runtimeConfig"),
        ({"aws:runShellScript": {}}, "runtimeConfig.aws:runShellScript.properties"),
        (
            {"aws:runShellScript": {"properties": ["x"]}},
            "runtimeConfig.aws:runShellScript.properties[0]",
        ),
        (
            {"aws:runShellScript": {"properties": [{"id": "../x", "runCommand": "a"}]}},
            "runtimeConfig.aws:runShellScript.properties[0].id",
        ),
        (
            {
                "aws:runShellScript": {
                    "properties": [{"id": "a", "runCommand": "x"}, {"id": "a", "runCommand": "y"}]
                }
            },
            "runtimeConfig.aws:runShellScript.properties[1]",
        ),
        (
            {"aws:runShellScript": {"properties": [{"workingDirectory": "/"}]}},
            "runtimeConfig.aws:runShellScript.properties[0].runCommand",
        ),
    ],
)
def test_bad_runtime_config_is_refused_at_its_path(
    runtime_config: dict[str, Any], path: str
) -> None:
    error = content_error({"schemaVersion": "1.2", "runtimeConfig": runtime_config})
    assert error.path == path


CLOUDWATCH_12 = {
    "schemaVersion": "1.2",
    "parameters": {
        "status": {
            "type": "String",
            "default": "Enabled",
            "allowedValues": ["Enabled", "Disabled"],
        },
        "properties": {"type": "String", "default": ""},
    },
    "runtimeConfig": {
        "aws:cloudWatch": {
            "settings": {"startType": "{{ status }}"},
            "properties": "{{ properties }}",
        }
    },
}


def test_schema_12_cloudwatch_takes_text_properties_and_settings() -> None:
    """The 1.2 form of aws:cloudWatch: its properties are one text value (a placeholder here)
    and ``settings`` sits beside them."""
    (step,) = parse(CLOUDWATCH_12).steps
    assert (step.name, step.action) == ("aws:cloudWatch", "aws:cloudWatch")
    assert step.inputs == {"properties": "{{ properties }}"}
    assert step.settings == {"startType": "{{ status }}"}
    assert step.plugin_id == "0.aws:cloudWatch"


@pytest.mark.parametrize(
    ("plugin", "path"),
    [
        (
            {"aws:runShellScript": {"properties": "{{ commands }}"}},
            "runtimeConfig.aws:runShellScript.properties",
        ),
        (
            {"aws:cloudWatch": {"properties": "{{ p }}", "settings": "on"}},
            "runtimeConfig.aws:cloudWatch.settings",
        ),
    ],
    ids=["text-properties-elsewhere", "settings-not-a-map"],
)
def test_text_properties_and_settings_are_checked(plugin: dict[str, Any], path: str) -> None:
    assert content_error({"schemaVersion": "1.2", "runtimeConfig": plugin}).path == path
