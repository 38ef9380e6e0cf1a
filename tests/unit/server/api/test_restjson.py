"""The Resource Groups REST-JSON wire: routes from botocore's model, members from the path and
query string, and errors under the service's own names."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from openssm.errors import (
    AccessDeniedException,
    ApiError,
    BadRequestException,
    ForbiddenException,
    InternalServerError,
    InternalServerErrorException,
    InvalidNextToken,
    InvalidSignatureException,
    MethodNotAllowedException,
    NotFoundException,
    SerializationException,
    ThrottlingException,
    TooManyRequestsException,
    UnsupportedOperationException,
    ValidationException,
)
from openssm.server.api.model import load_service_model
from openssm.server.api.restjson import RequestShape, Router, for_resource_groups

MODEL = load_service_model("resource-groups")
ARN = "arn:aws:resource-groups:us-east-1:123456789012:group/web"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(MODEL)


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("POST", "/groups", "CreateGroup"),
        ("POST", "/get-group", "GetGroup"),
        ("POST", "/groups-list", "ListGroups"),
        ("POST", "/resources/search", "SearchResources"),
        ("GET", f"/resources/{quote(ARN, safe='')}/tags", "GetTags"),
        ("PUT", f"/resources/{quote(ARN, safe='')}/tags", "Tag"),
        ("PATCH", f"/resources/{quote(ARN, safe='')}/tags", "Untag"),
    ],
)
def test_every_operation_is_found_by_method_and_path(
    router: Router, method: str, path: str, operation: str
) -> None:
    route, labels = router.match(method, path)
    assert route.operation == operation
    if "{Arn}" in route.template:
        assert labels == {"Arn": ARN}


def test_every_model_operation_has_a_route(router: Router) -> None:
    for name, op in MODEL["operations"].items():
        path = op["http"]["requestUri"].replace("{Arn}", "x")
        assert router.match(op["http"]["method"], path)[0].operation == name


def test_a_known_path_with_another_method_is_method_not_allowed(router: Router) -> None:
    with pytest.raises(MethodNotAllowedException):
        router.match("GET", "/groups")


def test_an_unknown_path_is_not_found(router: Router) -> None:
    with pytest.raises(NotFoundException):
        router.match("POST", "/groups/extra")


def test_starlette_paths_let_a_label_hold_slashes(router: Router) -> None:
    assert "/resources/{Arn:path}/tags" in router.starlette_paths()
    assert "/groups" in router.starlette_paths()


def test_query_string_members_are_typed_and_override_the_body() -> None:
    shape = RequestShape(MODEL)
    assembled = shape.assemble(
        "ListGroups",
        {"Filters": [], "MaxResults": 9},
        {},
        "maxResults=3&nextToken=ab%2Bc%3D",
        {},
    )
    assert assembled == {"Filters": [], "MaxResults": 3, "NextToken": "ab+c="}


def test_a_query_string_number_that_is_not_one_is_a_bad_request() -> None:
    with pytest.raises(BadRequestException, match="maxResults"):
        RequestShape(MODEL).assemble("ListGroups", {}, {}, "maxResults=ten", {})


def test_path_members_come_from_the_path() -> None:
    assembled = RequestShape(MODEL).assemble("GetTags", {"Arn": "other"}, {"Arn": ARN}, "", {})
    assert assembled == {"Arn": ARN}


@pytest.mark.parametrize(
    ("raised", "answered", "status"),
    [
        (ValidationException("v"), BadRequestException, 400),
        (SerializationException("s"), BadRequestException, 400),
        (InvalidNextToken("t"), BadRequestException, 400),
        (AccessDeniedException("a"), ForbiddenException, 403),
        (ThrottlingException("t"), TooManyRequestsException, 429),
        (InternalServerError("i"), InternalServerErrorException, 500),
        (NotFoundException("n"), NotFoundException, 404),
        (InvalidSignatureException("s"), InvalidSignatureException, 400),
        (UnsupportedOperationException("u"), UnsupportedOperationException, 400),
    ],
)
def test_shared_errors_take_resource_groups_names(
    raised: ApiError, answered: type[ApiError], status: int
) -> None:
    error = for_resource_groups(raised)
    assert type(error) is answered
    assert error.http_status == status
    assert error.message == raised.message
