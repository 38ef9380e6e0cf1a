"""State Manager's API errors carry names the SSM model declares (as openssm.errors' do)."""

from __future__ import annotations

import inspect

from openssm.errors import ApiError
from openssm.server.api.model import load_service_model
from openssm.server.services.associations import errors


def test_every_state_manager_error_is_an_exception_of_the_ssm_model() -> None:
    declared = {
        name
        for name, shape in load_service_model("ssm")["shapes"].items()
        if shape.get("exception")
    }
    ours = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, ApiError) and cls.__module__ == errors.__name__
    ]
    assert len(ours) >= 10
    assert sorted(c.code for c in ours if c.code not in declared) == []
