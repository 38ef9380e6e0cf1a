from __future__ import annotations

import pytest

from openssm.cli.shorthand import ShorthandError, parse_parameters, parse_target


def test_a_target_has_one_key_and_its_values() -> None:
    assert parse_target("Key=tag:Env,Values=prod") == {"Key": "tag:Env", "Values": ["prod"]}
    assert parse_target("Key=tag-key,Values=a,b") == {"Key": "tag-key", "Values": ["a", "b"]}
    assert parse_target("Key=InstanceIds,Values=mi-1,mi-2")["Values"] == ["mi-1", "mi-2"]


@pytest.mark.parametrize("text", ["tag:Env=prod", "Key=tag:Env", "Key=,Values=x", "Key=a,Values="])
def test_a_malformed_target_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ShorthandError, match="Key=<key>,Values="):
        parse_target(text)


def test_parameters_as_the_aws_cli_writes_them() -> None:
    assert parse_parameters("commands='uptime',workingDirectory=/tmp") == {
        "commands": ["uptime"],
        "workingDirectory": ["/tmp"],
    }
    assert parse_parameters("commands=['echo a,b', uptime]") == {"commands": ["echo a,b", "uptime"]}
    assert parse_parameters('commands="df -h",commands=uptime') == {"commands": ["df -h", "uptime"]}


def test_parameters_as_json() -> None:
    assert parse_parameters('{"commands": ["uptime"], "executionTimeout": 60}') == {
        "commands": ["uptime"],
        "executionTimeout": ["60"],
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [("commands", "name=value"), ("commands='oops", "unclosed quote"), ("{nope", "JSON")],
)
def test_malformed_parameters_are_refused(text: str, words: str) -> None:
    with pytest.raises(ShorthandError, match=words):
        parse_parameters(text)
