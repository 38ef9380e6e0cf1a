"""The status enums carry exactly the values of botocore's SSM model."""

from __future__ import annotations

import botocore.session
from botocore.model import StringShape

from openssm.statuses import CommandStatus, InvocationStatus


def _model_enum(shape: str) -> set[str]:
    found = botocore.session.get_session().get_service_model("ssm").shape_for(shape)
    assert isinstance(found, StringShape)
    return set(found.enum)


def test_command_status_matches_the_model() -> None:
    assert {s.value for s in CommandStatus} == _model_enum("CommandStatus")


def test_invocation_status_matches_the_model() -> None:
    assert {s.value for s in InvocationStatus} == _model_enum("CommandInvocationStatus")
