"""The built-in documents and document-name rules.

AWS rules checked: documents named with the prefixes ``aws``, ``amazon`` or
``amzn`` (any case) are reserved for AWS; document names match
``^[a-zA-Z0-9_\\-.]{3,128}$``; the seeded documents keep AWS's names and
parameter names (ssm-api.md 4.1) so existing scripts work unchanged.
"""

from __future__ import annotations

import pytest

from openssm.documents.catalog import CatalogDocument, load_catalog
from openssm.documents.content import DocumentFormat, document_hash
from openssm.documents.errors import DocumentParameterError
from openssm.documents.kinds import DocumentType
from openssm.documents.names import is_reserved_name, is_valid_document_name
from openssm.documents.render import render
from openssm.documents.schema import Document, load_document
from openssm.documents.values import SessionType

EMPTY: dict[str, str] = {}
CATALOG = load_catalog()
BY_NAME = {doc.name: doc for doc in CATALOG}

EXPECTED_PARAMETERS = {
    "AWS-RunShellScript": ["commands", "workingDirectory", "executionTimeout"],
    "AWS-RunPowerShellScript": ["commands", "workingDirectory", "executionTimeout"],
    "AWS-RunDocument": ["sourceType", "sourceInfo", "documentParameters"],
    "AWS-RunPatchBaseline": [
        "Operation",
        "SnapshotId",
        "InstallOverrideList",
        "AssociationId",
        "BaselineOverride",
        "RebootOption",
    ],
    "AWS-RunAnsiblePlaybook": ["playbook", "playbookurl", "extravars", "check", "timeoutSeconds"],
    "AWS-ConfigureDocker": ["action"],
    "AWS-ConfigureAWSPackage": [
        "action",
        "installationType",
        "name",
        "version",
        "additionalArguments",
    ],
    "AWS-UpdateSSMAgent": ["version", "allowDowngrade"],
    "AWS-RefreshAssociation": ["associationIds"],
    "AWS-GatherSoftwareInventory": [
        "applications",
        "awsComponents",
        "files",
        "networkConfig",
        "billingInfo",
        "windowsUpdates",
        "instanceDetailedInformation",
        "services",
        "windowsRegistry",
        "windowsRoles",
        "customInventory",
    ],
    "SSM-SessionManagerRunShell": [],
    "AWS-StartPortForwardingSession": ["portNumber", "localPortNumber"],
    "AWS-StartPortForwardingSessionToRemoteHost": ["host", "portNumber", "localPortNumber"],
    "AWS-StartSSHSession": ["portNumber"],
    "AWS-StartInteractiveCommand": ["command"],
    "AWS-StartNonInteractiveCommand": [
        "command",
        "separateOutputStream",
        "stdoutSeparatorPrefix",
        "stderrSeparatorPrefix",
    ],
}


def load(entry: CatalogDocument) -> Document:
    return load_document(entry.content, entry.document_format, entry.document_type)


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.name)
def test_every_catalog_document_validates(entry: CatalogDocument) -> None:
    doc = load(entry)
    assert doc.document_type is entry.document_type
    assert doc.platform_types
    assert entry.hash == document_hash(entry.content)


def test_catalog_holds_exactly_the_expected_documents_and_parameters() -> None:
    assert {name: [p.name for p in load(BY_NAME[name]).parameters] for name in BY_NAME} == (
        EXPECTED_PARAMETERS
    )


def test_catalog_uses_both_formats() -> None:
    assert {doc.document_format for doc in CATALOG} == {DocumentFormat.JSON, DocumentFormat.YAML}


def test_run_shell_script_matches_aws_defaults() -> None:
    doc = load(BY_NAME["AWS-RunShellScript"])
    assert doc.schema_version == "1.2"
    commands, working_directory, timeout = doc.parameters
    assert commands.is_required
    assert commands.min_items == 1
    assert (working_directory.default, timeout.default) == ("", "3600")
    assert doc.steps[0].name == "aws:runShellScript"


def test_run_shell_script_renders_for_the_agent() -> None:
    doc = load(BY_NAME["AWS-RunShellScript"])
    plan = render(
        doc, {"commands": ["uptime", "df -h"]}, EMPTY.get, secure_resolver=EMPTY.get
    ).agent
    assert plan.steps[0].inputs["runCommand"] == ["uptime", "df -h"]
    assert plan.steps[0].inputs["timeoutSeconds"] == "3600"


@pytest.mark.parametrize(
    ("value", "ok"), [("1", True), ("172800", True), ("172801", False), ("0", False)]
)
def test_execution_timeout_range(value: str, ok: bool) -> None:
    """AWS-RunShellScript's executionTimeout allows 1 to 172800 seconds."""
    doc = load(BY_NAME["AWS-RunShellScript"])
    params = {"commands": ["true"], "executionTimeout": [value]}
    if ok:
        render(doc, params, EMPTY.get, secure_resolver=EMPTY.get)
    else:
        with pytest.raises(DocumentParameterError, match="allowedPattern"):
            render(doc, params, EMPTY.get, secure_resolver=EMPTY.get)


def test_patch_baseline_uses_the_native_action_on_linux() -> None:
    doc = load(BY_NAME["AWS-RunPatchBaseline"])
    assert [(s.name, s.action) for s in doc.steps] == [("PatchLinux", "aws:runPatchBaseline")]
    options = {p.name: p.allowed_values for p in doc.parameters}
    assert options["Operation"] == ("Scan", "Install")
    assert options["RebootOption"] == ("RebootIfNeeded", "NoReboot")


def test_patch_baseline_operation_has_no_default() -> None:
    """On AWS, Operation is required: a run must say whether it scans or installs."""
    doc = load(BY_NAME["AWS-RunPatchBaseline"])
    operation = doc.parameter("Operation")
    assert operation is not None
    assert operation.is_required
    with pytest.raises(DocumentParameterError, match="'Operation' is required"):
        render(doc, {}, EMPTY.get, secure_resolver=EMPTY.get)
    plan = render(doc, {"Operation": ["Install"]}, EMPTY.get, secure_resolver=EMPTY.get).agent
    assert plan.steps[0].inputs["Operation"] == "Install"


def test_configure_package_limits_additional_arguments_as_aws_does() -> None:
    doc = load(BY_NAME["AWS-ConfigureAWSPackage"])
    arguments = doc.parameter("additionalArguments")
    assert arguments is not None
    assert arguments.max_chars == 4096


def test_inventory_document_is_a_policy_document() -> None:
    entry = BY_NAME["AWS-GatherSoftwareInventory"]
    assert entry.document_type is DocumentType.POLICY
    assert load(entry).steps[0].name == "collectSoftwareInventoryItems"


@pytest.mark.parametrize(
    ("name", "session_type"),
    [
        ("SSM-SessionManagerRunShell", SessionType.STANDARD_STREAM),
        ("AWS-StartPortForwardingSession", SessionType.PORT),
        ("AWS-StartPortForwardingSessionToRemoteHost", SessionType.PORT),
        ("AWS-StartSSHSession", SessionType.PORT),
        ("AWS-StartInteractiveCommand", SessionType.INTERACTIVE_COMMANDS),
        ("AWS-StartNonInteractiveCommand", SessionType.NON_INTERACTIVE_COMMANDS),
    ],
)
def test_session_documents_have_their_session_type(name: str, session_type: SessionType) -> None:
    session = load(BY_NAME[name]).session
    assert session is not None
    assert session.session_type is session_type
    assert BY_NAME[name].target_type is None


def test_port_forwarding_defaults_render() -> None:
    doc = load(BY_NAME["AWS-StartPortForwardingSession"])
    session = render(doc, {}, EMPTY.get, secure_resolver=EMPTY.get).agent.session
    assert session is not None
    assert session.properties == {
        "portNumber": "80",
        "type": "LocalPortForwarding",
        "localPortNumber": "0",
    }


def test_ssh_session_forwards_standard_streams() -> None:
    """AWS-StartSSHSession serves as SSH's ProxyCommand: no type, so no local listener."""
    doc = load(BY_NAME["AWS-StartSSHSession"])
    session = render(doc, {}, EMPTY.get, secure_resolver=EMPTY.get).agent.session
    assert session is not None
    assert session.properties == {"portNumber": "22"}
    assert session.forwards_local_port is False


@pytest.mark.parametrize(
    "name", ["AWS-StartPortForwardingSession", "AWS-StartPortForwardingSessionToRemoteHost"]
)
def test_port_forwarding_documents_open_a_local_listener(name: str) -> None:
    session = load(BY_NAME[name]).session
    assert session is not None
    assert session.forwards_local_port is True


def test_catalog_names_are_valid_and_reserved_where_aws_owns_them() -> None:
    for entry in CATALOG:
        assert is_valid_document_name(entry.name)
        assert is_reserved_name(entry.name) is entry.name.startswith("AWS-")


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("AWS-RunShellScript", True),
        ("aws-mine", True),
        ("AwsLike", True),
        ("AWSSupport-Thing", True),
        ("Amazon-Thing", True),
        ("amazonia", True),
        ("AMZN_tool", True),
        ("SSM-SessionManagerRunShell", False),
        ("my-aws-doc", False),
        ("Deploy", False),
    ],
)
def test_reserved_document_name_prefixes(name: str, reserved: bool) -> None:
    assert is_reserved_name(name) is reserved


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("ab", False),
        ("abc", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("a/b/c", False),
        ("../x", False),
    ],
)
def test_document_name_pattern(name: str, valid: bool) -> None:
    assert is_valid_document_name(name) is valid
