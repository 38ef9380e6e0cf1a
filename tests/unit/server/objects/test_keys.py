"""Object keys of command output: AWS's layout (shared/ssm-api.md §2.3 "S3 output layout"), and
keys that cannot leave their root (SECURITY.md #11)."""

from __future__ import annotations

import pytest

from openssm.errors import BadObjectKey
from openssm.server.objects import keys

COMMAND = "3a1c5a0e-9d6f-4a7e-8c4b-0f6b2d9e1a77"
INSTANCE = "mi-0123456789abcdef0"


def test_run_shell_script_output_is_under_its_plugin_and_plugin_id_without_colons() -> None:
    """AWS-RunShellScript (schema 1.2, plugin id 0.aws:runShellScript) writes to
    <prefix>/<command>/<instance>/awsrunShellScript/0.awsrunShellScript/stdout."""
    found = keys.step_keys(
        "logs/run",
        command_id=COMMAND,
        instance_id=INSTANCE,
        action="aws:runShellScript",
        plugin_id="0.aws:runShellScript",
    )
    assert found.folder == f"logs/run/{COMMAND}/{INSTANCE}/awsrunShellScript"
    assert found.key("stdout") == (
        f"logs/run/{COMMAND}/{INSTANCE}/awsrunShellScript/0.awsrunShellScript/stdout"
    )
    assert found.tail == f"{COMMAND}/{INSTANCE}/awsrunShellScript/0.awsrunShellScript"


def test_a_schema_2_2_step_is_named_by_its_step_name_and_no_prefix_starts_at_the_command() -> None:
    found = keys.step_keys(
        "", command_id=COMMAND, instance_id=INSTANCE, action="aws:runShellScript",
        plugin_id="PatchLinux",
    )  # fmt: skip
    assert found.key("stderr") == f"{COMMAND}/{INSTANCE}/awsrunShellScript/PatchLinux/stderr"


def test_a_trailing_slash_of_the_prefix_is_the_same_folder() -> None:
    assert keys.normalized_prefix("logs/") == keys.normalized_prefix("logs") == "logs"


@pytest.mark.parametrize(
    "prefix",
    [
        "../other-bucket",
        "logs/../../etc",
        "logs/./x",
        "/etc/passwd",
        "//",
        "logs//x",
        "..",
        ".",
        "logs\\..\\x",
        "logs/\x00/x",
        "logs/\n",
        "logs/\u202e",
        "x" * 501,
    ],
)
def test_a_prefix_that_could_mean_another_place_is_refused(prefix: str) -> None:
    assert keys.prefix_problem(prefix) is not None
    with pytest.raises(BadObjectKey):
        keys.step_keys(
            prefix, command_id=COMMAND, instance_id=INSTANCE, action="aws:runShellScript",
            plugin_id="x",
        )  # fmt: skip


@pytest.mark.parametrize(
    "prefix", ["", "logs", "logs/2024-07-07/run", "%2e%2e", "..x", "a..b", "ünïcode/ok", "sp ace"]
)
def test_ordinary_prefixes_are_accepted(prefix: str) -> None:
    assert keys.prefix_problem(prefix) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "../x"),
        ("action", "a/b"),
        ("plugin_id", ".."),
        ("plugin_id", "..."),
        ("plugin_id", "a/../../b"),
        ("plugin_id", "%2e%2e"),
        ("instance_id", "mi-0/../.."),
        ("command_id", ""),
        ("plugin_id", "x" * 129),
    ],
)
def test_segments_from_the_agent_or_the_document_must_be_plain_names(
    field: str, value: str
) -> None:
    parts = {
        "command_id": COMMAND,
        "instance_id": INSTANCE,
        "action": "aws:runShellScript",
        "plugin_id": "0.aws:runShellScript",
        field: value,
    }
    with pytest.raises(BadObjectKey):
        keys.step_keys("", **parts)


def test_an_output_path_splits_into_its_parts_and_nothing_else() -> None:
    tail = f"{COMMAND}/{INSTANCE}/awsrunShellScript/0.awsrunShellScript/stdout"
    assert keys.split_tail(tail) == (
        COMMAND, INSTANCE, "awsrunShellScript", "0.awsrunShellScript", "stdout",
    )  # fmt: skip
    for bad in (
        f"{COMMAND}/{INSTANCE}/awsrunShellScript/0.awsrunShellScript/passwd",
        f"{COMMAND}/{INSTANCE}/../0.awsrunShellScript/stdout",
        f"{COMMAND}/{INSTANCE}/awsrunShellScript/stdout",
        f"{COMMAND}/{INSTANCE}/a/b/c/stdout",
    ):
        with pytest.raises(BadObjectKey):
            keys.split_tail(bad)
