"""Real-world style documents in tests/fixtures/documents, parsed and rendered.

Every fixture file must appear in EXPECTED, so adding a document means saying
what it should parse to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openssm.documents.actions import PlatformType
from openssm.documents.content import DocumentFormat, convert_content
from openssm.documents.errors import DocumentParameterError
from openssm.documents.render import render
from openssm.documents.schema import Document, load_document

EMPTY: dict[str, str] = {}
FIXTURES = Path(__file__).parents[2] / "fixtures" / "documents"
W, L, M = PlatformType.WINDOWS, PlatformType.LINUX, PlatformType.MACOS
EXPECTED: dict[str, tuple[tuple[PlatformType, ...], list[str]]] = {
    "install-nginx.yaml": (
        (W, L, M),
        ["installNginxLinux", "installNginxMacOS", "installNginxWindows"],
    ),
    "deploy-app.json": (
        (L, M),
        ["installPackages", "fetchRelease", "restartService", "healthCheck"],
    ),
    "rotate-logs.yaml": ((L, M), ["compress", "prune"]),
    "legacy-uptime.json": ((L, M), ["aws:runShellScript"]),
}
FORMATS = {".json": DocumentFormat.JSON, ".yaml": DocumentFormat.YAML}


def load(name: str) -> Document:
    path = FIXTURES / name
    return load_document(path.read_text(encoding="utf-8"), FORMATS[path.suffix])


def test_every_fixture_has_expectations() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_platforms_and_steps(name: str) -> None:
    doc = load(name)
    platforms, steps = EXPECTED[name]
    assert doc.platform_types == platforms
    assert [s.name for s in doc.steps] == steps


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_survives_format_conversion(name: str) -> None:
    path = FIXTURES / name
    source = FORMATS[path.suffix]
    target = DocumentFormat.YAML if source is DocumentFormat.JSON else DocumentFormat.JSON
    converted = convert_content(path.read_text(encoding="utf-8"), source, target)
    assert load_document(converted, target) == load(name)


def test_nginx_renders_boolean_into_script_text() -> None:
    plan = render(
        load("install-nginx.yaml"),
        {"nginxVersion": ["1.24.0"]},
        EMPTY.get,
        secure_resolver=EMPTY.get,
    ).agent
    script = plan.steps[0].inputs["runCommand"]
    assert "VERSION='1.24.0'" in script
    assert "if [ 'true' = true ]; then systemctl enable nginx; fi" in script
    assert [s.skip_reason(L) is None for s in plan.steps] == [True, False, False]


def test_nginx_version_pattern_blocks_injection() -> None:
    with pytest.raises(DocumentParameterError, match="nginxVersion"):
        render(
            load("install-nginx.yaml"),
            {"nginxVersion": ["1'; reboot; '"]},
            EMPTY.get,
            secure_resolver=EMPTY.get,
        )


def test_deploy_app_renders_every_parameter_type() -> None:
    doc = load("deploy-app.json")
    rendered = render(
        doc,
        {
            "appVersion": ["2.4.1"],
            "packages": ["curl", "libpq5"],
            "healthCheckRetries": ["10"],
            "restartService": ["false"],
            "environment": ['{"LOG_LEVEL": "info"}'],
        },
        EMPTY.get,
        secure_resolver=EMPTY.get,
    )
    install, fetch, restart, health = rendered.agent.steps
    assert install.inputs["runCommand"][1] == "IFS=, read -r -a PKGS <<< 'curl,libpq5'"
    assert 'echo \'{"LOG_LEVEL":"info"}\' > 2.4.1/environment.json' in fetch.inputs["runCommand"]
    assert fetch.inputs["timeoutSeconds"] == 600
    assert restart.precondition_met is False
    assert health.is_finally is True
    assert health.inputs["runCommand"][0] == "for i in $(seq 1 10); do"
    assert rendered.parameters["healthCheckRetries"] == 10


@pytest.mark.parametrize(
    ("params", "culprit"),
    [
        ({"appVersion": ["latest"]}, "appVersion"),
        ({"appVersion": ["1.0.0"], "healthCheckRetries": ["4"]}, "healthCheckRetries"),
        ({"appVersion": ["1.0.0"], "packages": ["curl", "x; rm -rf /"]}, "packages"),
        ({"appVersion": ["1.0.0"], "restartService": ["maybe"]}, "restartService"),
        ({}, "appVersion"),
    ],
)
def test_deploy_app_refuses_bad_values(params: dict[str, list[str]], culprit: str) -> None:
    with pytest.raises(DocumentParameterError) as info:
        render(load("deploy-app.json"), params, EMPTY.get, secure_resolver=EMPTY.get)
    assert info.value.path == culprit


def test_legacy_12_document_splices_extra_commands() -> None:
    plan = render(
        load("legacy-uptime.json"),
        {"extraCommands": ["free -m"]},
        EMPTY.get,
        secure_resolver=EMPTY.get,
    ).agent
    assert plan.steps[0].inputs["runCommand"] == ["uptime", "cat /proc/loadavg", "free -m"]
