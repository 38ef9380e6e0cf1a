"""Every error class that can reach the wire carries a name AWS clients know."""

from __future__ import annotations

import openssm.errors as errors
from openssm.server.api.model import ServiceModel, load_service_model

# Codes AWS JSON services send that are not in the SSM model (AWS "Common Errors").
COMMON_ERRORS = {
    "AccessDeniedException",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "SerializationException",
    "ThrottlingException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    # Ours: names the SSM operation that openssm does not implement yet.
    "UnsupportedOperationException",
}


def _concrete_api_errors() -> list[type[errors.ApiError]]:
    found: list[type[errors.ApiError]] = []
    pending: list[type[errors.ApiError]] = [errors.ApiError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not cls.abstract:
            found.append(cls)
    return found


def test_every_api_error_code_is_an_aws_exception_name() -> None:
    resource_groups = ServiceModel(model=load_service_model("resource-groups"))
    eventbridge = ServiceModel(model=load_service_model("events"))
    cloudtrail = ServiceModel(model=load_service_model("cloudtrail"))
    known = (
        ServiceModel().exception_names()
        | resource_groups.exception_names()
        | eventbridge.exception_names()
        | cloudtrail.exception_names()
        | COMMON_ERRORS
    )
    unknown = sorted(c.code for c in _concrete_api_errors() if c.code not in known)
    assert unknown == []


def test_grouping_bases_never_reach_the_wire() -> None:
    assert errors.ClientFault.abstract
    assert errors.NotFoundFault.abstract
    assert errors.ParameterNotFound("x").to_wire() == {
        "__type": "ParameterNotFound",
        "message": "x",
    }


def test_internal_server_error_is_a_500() -> None:
    assert errors.InternalServerError.http_status == 500
    assert errors.ParameterNotFound.http_status == 400
