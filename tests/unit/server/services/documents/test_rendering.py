"""Rendering a document for execution with Parameter Store behind ``{{ssm:…}}`` and
``{{ssm-secure:…}}``, against a real SQLite store.

Rules checked: references resolve from the caller's own Parameter Store (User Guide, "Using
parameters in Run Command"); a reference to a parameter that does not exist fails the whole render
with InvalidParameters naming it, so nothing is sent; a SecureString is only reachable through
``{{ssm-secure:…}}`` and its value appears only in the agent-bound plan (issue 4); values are
substituted once, so ``{{ }}`` text inside a value stays literal (SECURITY 13), and shell text in
a value stays where the document put it, never re-parsed (SECURITY 12); allowedPattern is
enforced by the server (SECURITY 12).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from openssm.documents.render import RenderedDocument
from openssm.errors import AccessDeniedException, InvalidParameters
from openssm.server.secrets import Keyring
from openssm.server.services.documents import reads as docs
from openssm.server.services.documents import rendering, writes
from openssm.server.services.parameters import writes as params
from openssm.server.store.engine import Store
from tests.unit.server.services.documents.store import context, open_store

SECRET = "canary-s3cret-value"
DOC = {
    "schemaVersion": "2.2",
    "description": "Connect to a database.",
    "parameters": {
        "host": {"type": "String", "default": "{{ssm:/app/db/host}}"},
        "port": {"type": "String", "default": "5432", "allowedPattern": "^[0-9]{1,5}$"},
    },
    "mainSteps": [
        {
            "action": "aws:runShellScript",
            "name": "connect",
            "inputs": {
                "runCommand": [
                    "psql -h '{{ host }}' -p {{ port }}",
                    "export PGPASSWORD='{{ssm-secure:/app/db/password}}'",
                    "echo {{ssm:/app/motd}}",
                ]
            },
        }
    ],
}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[Store, Keyring]]:
    with open_store(tmp_path) as opened:
        store, keyring = opened
        ctx = context()

        def seed(conn: Connection) -> None:
            for name, value, kind in (
                ("/app/db/host", "db.internal", "String"),
                ("/app/db/password", SECRET, "SecureString"),
                ("/app/motd", "welcome", "String"),
            ):
                params.put_parameter(
                    conn, ctx, keyring, params.PutInput(name=name, value=value, type=kind)
                )
            writes.create_document(
                conn, ctx, writes.CreateInput(name="ConnectDb", content=json.dumps(DOC))
            )

        store.write_sync(seed)
        yield store, keyring


def render(
    env: tuple[Store, Keyring], parameters: dict[str, list[str]], **kwargs: Any
) -> RenderedDocument:
    store, keyring = env
    ctx = context()

    def run(conn: Connection) -> RenderedDocument:
        _, document = docs.resolve_for_execution(conn, ctx, "ConnectDb", "$DEFAULT")
        return rendering.render_for_execution(conn, ctx, keyring, document, parameters, **kwargs)

    return store.read_sync(run)


def commands(rendered: RenderedDocument, *, agent: bool = False) -> list[str]:
    plan = rendered.agent if agent else rendered.display
    found: list[str] = plan.steps[0].inputs["runCommand"]
    return found


def test_references_resolve_from_parameter_store(env: tuple[Store, Keyring]) -> None:
    rendered = render(env, {})
    assert commands(rendered)[0] == "psql -h 'db.internal' -p 5432"
    assert commands(rendered)[2] == "echo welcome"


def test_secure_value_reaches_only_the_agent_plan(env: tuple[Store, Keyring]) -> None:
    rendered = render(env, {})
    assert commands(rendered, agent=True)[1] == f"export PGPASSWORD='{SECRET}'"
    assert SECRET not in json.dumps(commands(rendered))
    assert SECRET not in repr(rendered)
    assert SECRET not in json.dumps(rendered.parameters)
    assert rendered.has_secure_references


def test_missing_parameter_fails_the_render_naming_it(env: tuple[Store, Keyring]) -> None:
    with pytest.raises(InvalidParameters) as info:
        render(env, {"host": ["{{ssm:/app/db/nothing}}"]})
    assert "/app/db/nothing" in info.value.message


def test_missing_version_fails_the_render(env: tuple[Store, Keyring]) -> None:
    with pytest.raises(InvalidParameters) as info:
        render(env, {"host": ["{{ssm:/app/db/host:7}}"]})
    assert "/app/db/host:7" in info.value.message
    assert render(env, {"host": ["{{ssm:/app/db/host:1}}"]}).parameters["host"] == "db.internal"


def test_secure_string_through_plain_reference_is_refused(env: tuple[Store, Keyring]) -> None:
    with pytest.raises(InvalidParameters) as info:
        render(env, {"host": ["{{ssm:/app/db/password}}"]})
    assert "ssm-secure" in info.value.message
    assert SECRET not in info.value.message


def test_values_are_substituted_once(env: tuple[Store, Keyring]) -> None:
    """SECURITY 13: text that came from a value or a parameter is never expanded again."""
    rendered = render(env, {"host": ["{{ssm:/app/motd}} and {{ port }}"]})
    assert commands(rendered)[0] == "psql -h 'welcome and {{ port }}' -p 5432"
    direct = render(env, {"host": ["{{ host }}"]})
    assert commands(direct, agent=True)[0] == "psql -h '{{ host }}' -p 5432"


def test_shell_text_in_a_value_stays_where_the_document_put_it(
    env: tuple[Store, Keyring],
) -> None:
    """SECURITY 12: the value lands inside the document's quotes, as one item, unchanged."""
    hostile = "x'; rm -rf / #$(id)"
    rendered = render(env, {"host": [hostile]})
    assert commands(rendered) == [
        f"psql -h '{hostile}' -p 5432",
        "export PGPASSWORD='{{ssm-secure:/app/db/password}}'",
        "echo welcome",
    ]


def test_allowed_pattern_is_enforced(env: tuple[Store, Keyring]) -> None:
    with pytest.raises(InvalidParameters) as info:
        render(env, {"port": ["5432; reboot"]})
    assert "port" in info.value.message
    assert "reboot" not in info.value.message


def test_unknown_parameter_is_invalid_parameters(env: tuple[Store, Keyring]) -> None:
    with pytest.raises(InvalidParameters):
        render(env, {"nope": ["1"]})


def test_access_check_sees_every_referenced_parameter(env: tuple[Store, Keyring]) -> None:
    seen: list[str] = []
    render(env, {}, check_access=seen.append)
    assert sorted(set(seen)) == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host",
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password",
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/motd",
    ]

    def deny(arn: str) -> None:
        raise AccessDeniedException(f"not allowed: {arn}")

    with pytest.raises(AccessDeniedException):
        render(env, {}, check_access=deny)


def test_parameters_of_another_account_are_not_reachable(env: tuple[Store, Keyring]) -> None:
    store, keyring = env
    other = context(account_id="210987654321")

    def run(conn: Connection) -> RenderedDocument:
        _, document = docs.resolve_for_execution(conn, context(), "ConnectDb")
        return rendering.render_for_execution(conn, other, keyring, document, {})

    with pytest.raises(InvalidParameters) as info:
        store.read_sync(run)
    assert "/app/db/host" in info.value.message
