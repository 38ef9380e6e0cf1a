"""``render``: a document plus parameter values → the steps an agent runs.

AWS rules checked: ``{{ssm:…}}`` is resolved both in parameter values and in
document content; a missing Parameter Store parameter fails the request
(InvalidParameters); SecureString values are never echoed back in command
parameters, so ``{{ssm-secure:…}}`` stays literal in everything stored or listed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openssm.documents.actions import PlatformType
from openssm.documents.errors import DocumentParameterError
from openssm.documents.plan import plan_from_dict, plan_to_dict
from openssm.documents.render import RenderedDocument, render
from openssm.documents.schema import Document, parse_document

STORE = {"/app/dir": "/srv/app", "/app/greeting": "hello {{ name }}", "/app/port": "8080"}
SECRETS = {"/db/password": "canary-9f1c"}


def document(**top: Any) -> Document:
    data: dict[str, Any] = {
        "schemaVersion": "2.2",
        "parameters": {
            "name": {"type": "String", "default": "world"},
            "commands": {"type": "StringList", "default": ["true"]},
            "retries": {"type": "Integer", "default": 2},
        },
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "run",
                "inputs": {
                    "workingDirectory": "{{ssm:/app/dir}}",
                    "runCommand": ["echo {{ name }}", "{{ commands }}", "retry {{ retries }}"],
                },
            }
        ],
    }
    data.update(top)
    return parse_document(data, "Command")


def run(doc: Document, params: dict[str, list[str]] | None = None) -> RenderedDocument:
    return render(doc, params or {}, STORE.get, secure_resolver=SECRETS.get)


def test_render_applies_defaults_and_interpolates() -> None:
    rendered = run(document())
    (step,) = rendered.agent.steps
    assert step.inputs == {
        "workingDirectory": "/srv/app",
        "runCommand": ["echo world", "true", "retry 2"],
    }
    assert rendered.parameters == {"name": "world", "commands": ["true"], "retries": 2}
    assert rendered.display == rendered.agent
    assert rendered.has_secure_references is False


def test_render_resolves_references_inside_values() -> None:
    rendered = run(document(), {"name": ["{{ssm:/app/port}}"]})
    assert rendered.agent.steps[0].inputs["runCommand"][0] == "echo 8080"


def test_referenced_value_is_not_expanded_again() -> None:
    """SECURITY 13: /app/greeting holds '{{ name }}', which must stay literal."""
    rendered = run(document(), {"commands": ["{{ssm:/app/greeting}}", "{{ retries }}"]})
    assert rendered.agent.steps[0].inputs["runCommand"][1:3] == [
        "hello {{ name }}",
        "{{ retries }}",
    ]


def test_secure_reference_is_resolved_only_in_the_agent_form() -> None:
    rendered = run(document(), {"commands": ["mysql -p'{{ssm-secure:/db/password}}'"]})
    assert rendered.has_secure_references is True
    assert rendered.agent.steps[0].inputs["runCommand"][1] == "mysql -p'canary-9f1c'"
    display_text = json.dumps(plan_to_dict(rendered.display)) + json.dumps(rendered.parameters)
    assert "canary-9f1c" not in display_text
    assert "{{ssm-secure:/db/password}}" in display_text
    assert "canary-9f1c" not in repr(rendered)


def test_secure_reference_in_document_content_is_resolved_for_the_agent_only() -> None:
    doc = document(
        mainSteps=[
            {
                "action": "aws:runShellScript",
                "name": "s",
                "inputs": {"runCommand": ["export PW={{ssm-secure:/db/password}}"]},
            }
        ]
    )
    rendered = run(doc)
    assert rendered.agent.steps[0].inputs["runCommand"] == ["export PW=canary-9f1c"]
    assert rendered.display.steps[0].inputs["runCommand"] == [
        "export PW={{ssm-secure:/db/password}}"
    ]
    assert rendered.has_secure_references is True


def test_missing_reference_in_a_value_names_it() -> None:
    with pytest.raises(DocumentParameterError) as info:
        run(document(), {"name": ["{{ssm:/app/absent}}"]})
    assert "'/app/absent'" in info.value.message
    assert info.value.path == "name[0]"


def test_missing_reference_in_document_content_names_it_and_the_step() -> None:
    doc = document(
        mainSteps=[
            {
                "action": "aws:runShellScript",
                "name": "s",
                "inputs": {"runCommand": ["{{ssm:/nope}}"]},
            }
        ]
    )
    with pytest.raises(DocumentParameterError) as info:
        run(doc)
    assert "'/nope'" in info.value.message
    assert info.value.path == "mainSteps[0].inputs.runCommand[0]"


def test_default_holding_a_reference_is_resolved_then_checked() -> None:
    doc = document(
        parameters={
            "port": {"type": "String", "default": "{{ssm:/app/port}}", "allowedPattern": "^[0-9]+$"}
        },
        mainSteps=[
            {
                "action": "aws:runShellScript",
                "name": "s",
                "inputs": {"runCommand": "serve {{ port }}"},
            }
        ],
    )
    assert run(doc).agent.steps[0].inputs["runCommand"] == "serve 8080"
    store = {"/app/port": "eighty"}
    with pytest.raises(DocumentParameterError, match="allowedPattern"):
        render(doc, {}, store.get, secure_resolver=SECRETS.get)


@pytest.mark.parametrize("default", ["{{ssm:/app/cmds}}", "{{ ssm:/app/cmds:2 }}"])
def test_string_list_default_that_is_a_reference_is_resolved_at_send_time(default: str) -> None:
    """A whole-reference default takes the path a supplied ``["{{ssm:…}}"]`` value takes."""
    doc = document(
        parameters={"commands": {"type": "StringList", "minItems": 1, "default": default}},
        mainSteps=[
            {
                "action": "aws:runShellScript",
                "name": "s",
                "inputs": {"runCommand": "{{ commands }}"},
            }
        ],
    )
    store = {"/app/cmds": "uptime", "/app/cmds:2": "uptime"}
    rendered = render(doc, {}, store.get, secure_resolver=SECRETS.get)
    assert rendered.agent.steps[0].inputs["runCommand"] == ["uptime"]
    assert rendered.parameters == {"commands": ["uptime"]}


def test_constraints_see_the_resolved_secret_but_do_not_quote_it() -> None:
    doc = document(parameters={"name": {"type": "String", "allowedPattern": "^[a-z]+$"}})
    with pytest.raises(DocumentParameterError) as info:
        run(doc, {"name": ["{{ssm-secure:/db/password}}"]})
    assert "canary-9f1c" not in info.value.message


def test_unknown_and_missing_parameters_fail_render() -> None:
    with pytest.raises(DocumentParameterError, match="'bogus' is not defined"):
        run(document(), {"bogus": ["x"]})
    with pytest.raises(DocumentParameterError, match="'name' is required"):
        run(document(parameters={"name": {"type": "String"}}))


def test_parameter_precondition_is_decided_at_render_time() -> None:
    doc = document(
        parameters={"env": {"type": "String", "default": "dev"}},
        mainSteps=[
            {
                "action": "aws:runShellScript",
                "name": "prodOnly",
                "precondition": {"StringEquals": ["{{ env }}", "prod"]},
                "inputs": {"runCommand": ["deploy"]},
            },
            {
                "action": "aws:runShellScript",
                "name": "linuxOnly",
                "precondition": {"StringEquals": ["platformType", "Linux"]},
                "inputs": {"runCommand": ["uname"]},
            },
        ],
    )
    dev_step, linux_step = run(doc).agent.steps
    assert dev_step.precondition_met is False
    assert dev_step.skip_reason(PlatformType.LINUX) == "precondition {{ env }} == 'prod' is false"
    prod_step = run(doc, {"env": ["prod"]}).agent.steps[0]
    assert prod_step.skip_reason(PlatformType.LINUX) is None
    assert linux_step.skip_reason(PlatformType.LINUX) is None
    assert (
        linux_step.skip_reason(PlatformType.WINDOWS)
        == "precondition platformType == 'Linux' is false"
    )


def test_session_document_renders_its_properties() -> None:
    doc = parse_document(
        {
            "schemaVersion": "1.0",
            "sessionType": "Port",
            "parameters": {"portNumber": {"type": "String", "default": "22"}},
            "properties": {"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding"},
        },
        "Session",
    )
    rendered = run(doc, {"portNumber": ["{{ssm:/app/port}}"]})
    assert rendered.agent.session is not None
    assert rendered.agent.session.properties["portNumber"] == "8080"
    assert rendered.agent.steps == ()


def test_session_values_are_rechecked_after_substitution() -> None:
    doc = parse_document(
        {
            "schemaVersion": "1.0",
            "sessionType": "Port",
            "parameters": {"portNumber": {"type": "String"}},
            "properties": {"portNumber": "{{ portNumber }}"},
        },
        "Session",
    )
    with pytest.raises(DocumentParameterError) as info:
        run(doc, {"portNumber": ["99999"]})
    assert info.value.path == "properties.portNumber"


def test_schema_12_cloudwatch_settings_and_text_properties_are_rendered() -> None:
    doc = parse_document(
        {
            "schemaVersion": "1.2",
            "parameters": {
                "status": {"type": "String", "default": "Enabled"},
                "properties": {"type": "String"},
            },
            "runtimeConfig": {
                "aws:cloudWatch": {
                    "settings": {"startType": "{{ status }}"},
                    "properties": "{{ properties }}",
                }
            },
        },
        "Command",
    )
    plan = run(doc, {"properties": ['{"EngineConfiguration": {}}']}).agent
    (step,) = plan.steps
    assert step.settings == {"startType": "Enabled"}
    assert step.inputs == {"properties": '{"EngineConfiguration": {}}'}
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == plan


def test_each_reference_is_resolved_once_per_render() -> None:
    calls: list[str] = []

    def resolver(name: str) -> str | None:
        calls.append(name)
        return STORE.get(name)

    render(document(), {"name": ["{{ssm:/app/dir}}"]}, resolver, secure_resolver=SECRETS.get)
    assert calls == ["/app/dir"]
