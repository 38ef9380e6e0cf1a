"""LabelParameterVersion and UnlabelParameterVersion over the wire.

Rules (LabelParameterVersion API reference): at most 10 labels per version; a label sits on one
version and moves when applied to another; labels that break the label rules come back in
InvalidLabels with HTTP 200; without ParameterVersion the latest version is labelled.
"""

from __future__ import annotations

import uuid

from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of


def _param(ssm: SSMClient, versions: int = 3) -> str:
    name = f"/lbl{uuid.uuid4().hex[:10]}/p"
    for i in range(versions):
        ssm.put_parameter(Name=name, Value=f"v{i + 1}", Type="String", Overwrite=True)
    return name


def _labels(ssm: SSMClient, name: str) -> dict[int, list[str]]:
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    return {p["Version"]: p["Labels"] for p in history if p["Labels"]}


def test_label_defaults_to_the_latest_version(ssm: SSMClient) -> None:
    name = _param(ssm)
    out = ssm.label_parameter_version(Name=name, Labels=["latest-ok"])
    assert (out["ParameterVersion"], out["InvalidLabels"]) == (3, [])
    assert _labels(ssm, name) == {3: ["latest-ok"]}


def test_invalid_labels_come_back_and_valid_ones_apply(ssm: SSMClient) -> None:
    name = _param(ssm)
    out = ssm.label_parameter_version(
        Name=name,
        ParameterVersion=1,
        Labels=["good", "1starts-with-digit", "awsreserved", "SSMreserved", "has/slash", "ok.v-1_"],
    )
    assert out["InvalidLabels"] == ["1starts-with-digit", "awsreserved", "SSMreserved", "has/slash"]
    assert _labels(ssm, name) == {1: ["good", "ok.v-1_"]}


def test_a_label_moves_between_versions(ssm: SSMClient) -> None:
    name = _param(ssm)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])
    assert _labels(ssm, name) == {2: ["prod"]}
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Version"] == 2


def test_ten_labels_per_version(ssm: SSMClient) -> None:
    name = _param(ssm)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    error = error_of(ssm.label_parameter_version, Name=name, ParameterVersion=1, Labels=["l10"])
    assert error.code == "ParameterVersionLabelLimitExceeded"
    # Re-applying labels the version already has is not "more labels".
    again = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["l0", "l1"])
    assert again["InvalidLabels"] == []


def test_label_errors_for_unknown_parameter_and_version(ssm: SSMClient) -> None:
    name = _param(ssm)
    missing = error_of(ssm.label_parameter_version, Name=name + "x", Labels=["a"])
    assert missing.code == "ParameterNotFound"
    version = error_of(ssm.label_parameter_version, Name=name, ParameterVersion=9, Labels=["a"])
    assert version.code == "ParameterVersionNotFound"
    assert "could not find version 9" in version.message


def test_label_longer_than_100_is_refused_by_the_model(ssm: SSMClient) -> None:
    name = _param(ssm, 1)
    error = error_of(ssm.label_parameter_version, Name=name, Labels=["a" * 101])
    assert error.code == "ValidationException"


def test_unlabel_removes_only_labels_on_that_version(ssm: SSMClient) -> None:
    name = _param(ssm)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["a", "b"])
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["c"])
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["a", "c", "never"])
    assert (out["RemovedLabels"], out["InvalidLabels"]) == (["a"], ["c", "never"])
    assert _labels(ssm, name) == {1: ["b"], 2: ["c"]}


def test_unlabel_errors_for_unknown_parameter_and_version(ssm: SSMClient) -> None:
    name = _param(ssm)
    missing = error_of(
        ssm.unlabel_parameter_version, Name=name + "x", ParameterVersion=1, Labels=["a"]
    )
    assert missing.code == "ParameterNotFound"
    version = error_of(ssm.unlabel_parameter_version, Name=name, ParameterVersion=4, Labels=["a"])
    assert version.code == "ParameterVersionNotFound"
