"""Inventory."""

from __future__ import annotations

from openssm.errors.base import InputFault, LimitFault, NotFoundFault


class InvalidTypeNameException(InputFault):
    pass


class ItemContentMismatchException(InputFault):
    pass


class CustomSchemaCountLimitExceededException(LimitFault):
    pass


class UnsupportedInventorySchemaVersionException(InputFault):
    pass


class UnsupportedInventoryItemContextException(InputFault):
    pass


class InvalidAggregatorException(InputFault):
    pass


class InvalidResultAttributeException(InputFault):
    pass


class InvalidInventoryGroupException(InputFault):
    pass


class InvalidOptionException(InputFault):
    pass


class InvalidDeleteInventoryParametersException(InputFault):
    pass


class InvalidInventoryRequestException(InputFault):
    pass


class InvalidDeletionIdException(NotFoundFault):
    pass
