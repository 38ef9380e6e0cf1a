"""CreateDocument, GetDocument, DescribeDocument and their faults, over boto3 on both databases.

Rules checked (SSM API reference, CreateDocument / GetDocument / DescribeDocument): names
``^[a-zA-Z0-9_\\-.]{3,128}$`` with the reserved prefixes aws, amazon and amzn refused; Content at
most 64 KB; DocumentFormat JSON (default) or YAML, and GetDocument converts on request; Hash is the
SHA-256 of the content as stored, HashType Sha256; Status Active; a new document is version 1,
both default and latest; an existing name is DocumentAlreadyExists; faults in the content are
InvalidDocumentContent or InvalidDocumentSchemaVersion with the path of the fault.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.literals import DocumentTypeType

from tests.aws_errors import error_of
from tests.integration.documents.support import SIMPLE, unique
from tests.support import TEST_ACCOUNT_ID

FIXTURES = Path(__file__).parents[2] / "fixtures" / "documents"


def test_create_json_document_describes_version_one(ssm: SSMClient) -> None:
    name = unique()
    content = json.dumps(SIMPLE)
    created = ssm.create_document(Name=name, Content=content, DocumentType="Command")
    desc = created["DocumentDescription"]
    assert desc["Name"] == name
    assert desc["Owner"] == TEST_ACCOUNT_ID
    assert desc["Status"] == "Active"
    assert desc["HashType"] == "Sha256"
    assert desc["Hash"] == hashlib.sha256(content.encode()).hexdigest()
    assert (desc["DocumentVersion"], desc["LatestVersion"], desc["DefaultVersion"]) == ("1",) * 3
    assert desc["DocumentFormat"] == "JSON"
    assert desc["DocumentType"] == "Command"
    assert desc["SchemaVersion"] == "2.2"
    assert desc["PlatformTypes"] == ["Linux", "MacOS"]
    assert desc["Description"] == "Say hello."
    assert desc["Parameters"] == [{"Name": "greeting", "Type": "String", "DefaultValue": "hello"}]
    described = ssm.describe_document(Name=name)["Document"]
    assert described["Hash"] == desc["Hash"]
    assert described["Tags"] == []


def test_document_type_defaults_to_command(ssm: SSMClient) -> None:
    name = unique()
    desc = ssm.create_document(Name=name, Content=json.dumps(SIMPLE))["DocumentDescription"]
    assert desc["DocumentType"] == "Command"


def test_get_document_returns_content_exactly_as_stored(ssm: SSMClient) -> None:
    name = unique()
    content = (FIXTURES / "install-nginx.yaml").read_text()
    ssm.create_document(Name=name, Content=content, DocumentFormat="YAML", VersionName="v-one")
    got = ssm.get_document(Name=name)
    assert got["Content"] == content
    assert got["DocumentFormat"] == "YAML"
    assert got["Status"] == "Active"
    assert got["DocumentVersion"] == "1"
    assert got["VersionName"] == "v-one"
    assert got["DocumentType"] == "Command"


def test_yaml_document_read_back_as_json_holds_the_same_data(ssm: SSMClient) -> None:
    name = unique()
    content = (FIXTURES / "install-nginx.yaml").read_text()
    ssm.create_document(Name=name, Content=content, DocumentFormat="YAML")
    got = ssm.get_document(Name=name, DocumentFormat="JSON")
    assert got["DocumentFormat"] == "JSON"
    assert json.loads(got["Content"]) == yaml.safe_load(content)


def test_json_document_read_back_as_yaml_holds_the_same_data(ssm: SSMClient) -> None:
    name = unique()
    content = (FIXTURES / "deploy-app.json").read_text()
    ssm.create_document(Name=name, Content=content)
    got = ssm.get_document(Name=name, DocumentFormat="YAML")
    assert got["DocumentFormat"] == "YAML"
    assert yaml.safe_load(got["Content"]) == json.loads(content)
    # A YAML read-back is itself a valid document: it can be created again.
    again = unique()
    ssm.create_document(Name=again, Content=got["Content"], DocumentFormat="YAML")
    assert json.loads(ssm.get_document(Name=again, DocumentFormat="JSON")["Content"]) == (
        json.loads(content)
    )


def test_describe_aws_run_shell_script_shows_its_parameters(ssm: SSMClient) -> None:
    desc = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert desc["Owner"] == "Amazon"
    assert desc["DocumentType"] == "Command"
    assert desc["SchemaVersion"] == "1.2"
    params = {p["Name"]: p for p in desc["Parameters"]}
    assert set(params) == {"commands", "workingDirectory", "executionTimeout"}
    assert params["commands"]["Type"] == "StringList"
    assert "DefaultValue" not in params["commands"]
    assert params["executionTimeout"]["DefaultValue"] == "3600"
    assert "Linux" in desc["PlatformTypes"]
    content = ssm.get_document(Name="AWS-RunShellScript")["Content"]
    assert desc["Hash"] == hashlib.sha256(content.encode()).hexdigest()


def test_builtin_document_is_reachable_by_its_amazon_arn(ssm: SSMClient) -> None:
    arn = "arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript"
    assert ssm.describe_document(Name=arn)["Document"]["Owner"] == "Amazon"
    foreign = "arn:aws:ssm:eu-west-1::document/AWS-RunPowerShellScript"
    assert error_of(ssm.describe_document, Name=foreign).code == "InvalidDocument"


def test_typo_in_a_step_action_is_refused_naming_the_step(ssm: SSMClient) -> None:
    broken = json.loads(json.dumps(SIMPLE))
    broken["mainSteps"][0]["action"] = "aws:runShelScript"
    err = error_of(ssm.create_document, Name=unique(), Content=json.dumps(broken))
    assert err.code == "InvalidDocumentContent"
    assert "sayHello" in err.message
    assert "mainSteps[0]" in err.message
    assert "aws:runShelScript" in err.message


@pytest.mark.parametrize(
    ("content", "fmt", "code", "words"),
    [
        ("{not json", "JSON", "InvalidDocumentContent", "JSON not well-formed"),
        ("schemaVersion: '2.2'\nmainSteps: [", "YAML", "InvalidDocumentContent", "YAML"),
        (
            json.dumps({**SIMPLE, "schemaVersion": "9.9"}),
            "JSON",
            "InvalidDocumentSchemaVersion",
            "9.9",
        ),
        (json.dumps({**SIMPLE, "mainStep": []}), "JSON", "InvalidDocumentContent", "mainStep"),
    ],
    ids=["bad-json", "bad-yaml", "schema-version", "unknown-member"],
)
def test_broken_content_is_refused_with_the_fault(
    ssm: SSMClient, content: str, fmt: str, code: str, words: str
) -> None:
    err = error_of(ssm.create_document, Name=unique(), Content=content, DocumentFormat=fmt)
    assert err.code == code
    assert words in err.message


def test_yaml_content_without_a_format_gets_a_hint(ssm: SSMClient) -> None:
    content = (FIXTURES / "install-nginx.yaml").read_text()
    err = error_of(ssm.create_document, Name=unique(), Content=content)
    assert err.code == "InvalidDocumentContent"
    assert "DocumentFormat YAML" in err.message


@pytest.mark.parametrize(
    "name", ["aws-thing", "AWSEC2-x", "Amazon.Doc", "amzn_doc", "AwSSupport-Fix"]
)
def test_reserved_name_prefixes_are_refused(ssm: SSMClient, name: str) -> None:
    err = error_of(ssm.create_document, Name=name, Content=json.dumps(SIMPLE))
    assert err.code == "ValidationException"
    assert name in err.message


@pytest.mark.parametrize(
    "name",
    ["../etc", "/abs/path", "a/b", "%2e%2e", "x" * 129, "has space", "名前です"],
    ids=["dotdot", "absolute", "slash", "encoded", "too-long", "space", "unicode"],
)
def test_names_outside_the_pattern_are_refused(ssm: SSMClient, name: str) -> None:
    """SECURITY 11: a document name never becomes a path; the model pattern keeps it flat."""
    err = error_of(ssm.create_document, Name=name, Content=json.dumps(SIMPLE))
    assert err.code == "ValidationException"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "arn:aws:ssm:us-east-1:123456789012:document/../x",
        "arn:aws:ssm:us-east-1:123456789012:parameter/x",
        "arn:aws:ec2:us-east-1:123456789012:document/x",
    ],
)
def test_path_like_and_foreign_names_find_nothing(ssm: SSMClient, name: str) -> None:
    assert error_of(ssm.get_document, Name=name).code == "InvalidDocument"


def test_step_names_that_are_paths_are_refused(ssm: SSMClient) -> None:
    broken = json.loads(json.dumps(SIMPLE))
    broken["mainSteps"][0]["name"] = "../escape"
    err = error_of(ssm.create_document, Name=unique(), Content=json.dumps(broken))
    assert err.code == "InvalidDocumentContent"


def test_existing_name_is_document_already_exists(ssm: SSMClient) -> None:
    name = unique()
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE))
    err = error_of(ssm.create_document, Name=name, Content=json.dumps(SIMPLE))
    assert err.code == "DocumentAlreadyExists"


def test_content_over_64_kb_is_max_document_size_exceeded(ssm: SSMClient) -> None:
    big = json.loads(json.dumps(SIMPLE))
    big["description"] = "x" * (64 * 1024)
    err = error_of(ssm.create_document, Name=unique(), Content=json.dumps(big))
    assert err.code == "MaxDocumentSizeExceeded"


def test_unsupported_document_type_is_refused_clearly(ssm: SSMClient) -> None:
    err = error_of(
        ssm.create_document, Name=unique(), Content=json.dumps(SIMPLE), DocumentType="Automation"
    )
    assert err.code == "ValidationException"
    assert "Automation" in err.message
    assert "Command" in err.message


def test_session_document_is_created_and_described(ssm: SSMClient) -> None:
    name = unique("sess")
    content = {
        "schemaVersion": "1.0",
        "description": "Forward a port.",
        "sessionType": "Port",
        "parameters": {"portNumber": {"type": "String", "default": "8080"}},
        "properties": {"portNumber": "{{ portNumber }}"},
    }
    desc = ssm.create_document(Name=name, Content=json.dumps(content), DocumentType="Session")[
        "DocumentDescription"
    ]
    assert desc["DocumentType"] == "Session"
    assert desc["SchemaVersion"] == "1.0"


# Shapes from AWS's documentation and its own documents that an audit found refused.
AWS_SHAPES: dict[str, tuple[DocumentTypeType, dict[str, object]]] = {
    "string-map-max-chars": (
        "Command",
        {
            "schemaVersion": "2.2",
            "parameters": {
                "settings": {"type": "StringMap", "default": {}, "maxChars": 150},
                "extra": {"type": "StringMap", "default": {}, "minChars": 2, "maxChars": 4096},
            },
            "mainSteps": [
                {
                    "action": "aws:runShellScript",
                    "name": "show",
                    "inputs": {"runCommand": ["echo '{{ settings }}'"]},
                }
            ],
        },
    ),
    "interpolation-type": (
        "Command",
        {
            "schemaVersion": "2.2",
            "parameters": {
                "message": {
                    "type": "String",
                    "interpolationType": "ENV_VAR",
                    "allowedPattern": '^[^"]*$',
                }
            },
            "mainSteps": [
                {
                    "action": "aws:runShellScript",
                    "name": "say",
                    "inputs": {"runCommand": ['echo "$SSM_message"']},
                }
            ],
        },
    ),
    "string-list-default-reference": (
        "Command",
        {
            "schemaVersion": "1.2",
            "parameters": {
                "commands": {
                    "type": "StringList",
                    "minItems": 1,
                    "default": "{{ssm:RunCommand:2}}",
                },
                "more": {"type": "StringList", "default": "{{ ssm:/app/cmds }}"},
            },
            "runtimeConfig": {
                "aws:runShellScript": {
                    "properties": [{"id": "0.aws:runShellScript", "runCommand": "{{ commands }}"}]
                }
            },
        },
    ),
    "cloudwatch-12": (
        "Command",
        {
            "schemaVersion": "1.2",
            "parameters": {
                "status": {"type": "String", "default": "Enabled"},
                "properties": {"type": "String", "default": ""},
            },
            "runtimeConfig": {
                "aws:cloudWatch": {
                    "settings": {"startType": "{{ status }}"},
                    "properties": "{{ properties }}",
                }
            },
        },
    ),
    "port-unix-socket": (
        "Session",
        {
            "schemaVersion": "1.0",
            "sessionType": "Port",
            "properties": {
                "portNumber": "5432",
                "type": "LocalPortForwarding",
                "localUnixSocket": "/tmp/db.sock",
                "localConnectionType": "unix",
            },
        },
    ),
}


@pytest.mark.parametrize("shape", list(AWS_SHAPES))
def test_documents_shaped_like_aws_examples_are_accepted(ssm: SSMClient, shape: str) -> None:
    document_type, content = AWS_SHAPES[shape]
    name = unique(shape)
    ssm.create_document(Name=name, Content=json.dumps(content), DocumentType=document_type)
    assert json.loads(ssm.get_document(Name=name)["Content"]) == content


def test_interpolation_type_other_than_env_var_is_refused(ssm: SSMClient) -> None:
    content = json.loads(json.dumps(AWS_SHAPES["interpolation-type"][1]))
    content["parameters"]["message"]["interpolationType"] = "SHELL"
    err = error_of(ssm.create_document, Name=unique(), Content=json.dumps(content))
    assert err.code == "InvalidDocumentContent"
    assert "interpolationType must be ENV_VAR" in err.message


def test_string_list_default_reference_is_shown_as_written(ssm: SSMClient) -> None:
    name = unique("ref")
    content = AWS_SHAPES["string-list-default-reference"][1]
    ssm.create_document(Name=name, Content=json.dumps(content))
    params = {p["Name"]: p for p in ssm.describe_document(Name=name)["Document"]["Parameters"]}
    assert params["commands"]["DefaultValue"] == "{{ssm:RunCommand:2}}"
    assert params["commands"]["Type"] == "StringList"


def test_unknown_document_is_invalid_document(ssm: SSMClient) -> None:
    name = unique("missing")
    assert error_of(ssm.get_document, Name=name).code == "InvalidDocument"
    assert error_of(ssm.describe_document, Name=name).code == "InvalidDocument"
    assert error_of(ssm.list_document_versions, Name=name).code == "InvalidDocument"
    assert error_of(ssm.delete_document, Name=name).code == "InvalidDocument"


def test_tags_given_at_creation_are_listed_and_go_with_the_document(ssm: SSMClient) -> None:
    name = unique()
    ssm.create_document(
        Name=name, Content=json.dumps(SIMPLE), Tags=[{"Key": "team", "Value": "ops"}]
    )
    assert ssm.describe_document(Name=name)["Document"]["Tags"] == [{"Key": "team", "Value": "ops"}]
    ssm.add_tags_to_resource(
        ResourceType="Document", ResourceId=name, Tags=[{"Key": "env", "Value": "dev"}]
    )
    listed = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"]
    assert listed == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "ops"}]
    ssm.delete_document(Name=name)
    ssm.create_document(Name=name, Content=json.dumps(SIMPLE))
    assert ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"] == []


def test_builtin_documents_cannot_be_tagged(ssm: SSMClient) -> None:
    err = error_of(
        ssm.add_tags_to_resource,
        ResourceType="Document",
        ResourceId="AWS-RunShellScript",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert err.code == "InvalidResourceId"
