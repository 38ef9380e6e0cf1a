"""Dispatch comes from an explicit table whose names are all real SSM operations."""

from __future__ import annotations

from openssm.server.api.model import ServiceModel
from openssm.server.app import operation_table


def test_every_registered_operation_is_in_the_ssm_model() -> None:
    model = ServiceModel()
    assert sorted(n for n in operation_table() if not model.has_operation(n)) == []


def test_registry_keys_match_operation_names() -> None:
    assert all(name == op.name for name, op in operation_table().items())
