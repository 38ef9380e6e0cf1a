"""Run Command and Session Manager (a target that is not connected)."""

from __future__ import annotations

from openssm.errors.base import ClientFault, InputFault, NotFoundFault

# --- Session Manager ------------------------------------------------------------------------


class TargetNotConnected(ClientFault):
    """StartSession's target is not a managed node connected to the server."""


# --- Run Command ----------------------------------------------------------------------------


class InvalidCommandId(NotFoundFault):
    pass


class InvalidPluginName(InputFault):
    pass


class InvocationDoesNotExist(NotFoundFault):
    pass


class DuplicateInstanceId(InputFault):
    pass


class InvalidOutputFolder(InputFault):
    """SendCommand's OutputS3BucketName cannot take the output (no S3 endpoint, no bucket)."""
