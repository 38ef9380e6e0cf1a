"""Managed nodes and hybrid activations."""

from __future__ import annotations

from openssm.errors.base import ClientFault, InputFault, NotFoundFault


class InvalidActivation(ClientFault):
    """The activation exists but cannot register more nodes (expired, used up)."""


class InvalidActivationId(NotFoundFault):
    pass


class InvalidInstanceId(NotFoundFault):
    pass


class InvalidInstanceInformationFilterValue(InputFault):
    pass
