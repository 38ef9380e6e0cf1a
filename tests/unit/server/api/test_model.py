"""The compiled SSM model: request validation as AWS words it, response shaping.

Expected messages follow AWS's ValidationException format (docs/ssm-api.md §2.14): ``N validation
error(s) detected: Value '<v>' at '<memberPath>' failed to satisfy constraint: Member must ...``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import unicodedata
from typing import Any

import botocore.serialize
import botocore.session
import pytest

from openssm.errors import SerializationException, UnknownOperationException, ValidationException
from openssm.server.api.model import OutputShapeError, ServiceModel, java_regex


@pytest.fixture(scope="module")
def model() -> ServiceModel:
    return ServiceModel(strict=True)


@pytest.fixture(scope="module")
def lenient() -> ServiceModel:
    return ServiceModel()


@pytest.fixture(scope="module")
def shapes() -> dict[str, Any]:
    loader = botocore.session.get_session().get_component("data_loader")
    raw: dict[str, Any] = loader.load_service_model("ssm", "service-2")["shapes"]
    return raw


def invalid(model: ServiceModel, operation: str, body: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as caught:
        model.validate_input(operation, body)
    return caught.value.message


# --- the catalogue -------------------------------------------------------------------------


def test_catalogue_names_operations_and_exceptions(model: ServiceModel) -> None:
    assert {"GetParameter", "PutParameter", "SendCommand"} <= model.operation_names()
    assert model.has_operation("GetParameter")
    assert not model.has_operation("getParameter")
    assert {"ParameterNotFound", "InvalidDocument"} <= model.exception_names()
    assert "GetParameterRequest" not in model.exception_names()


def test_unknown_operation_is_refused(model: ServiceModel) -> None:
    with pytest.raises(UnknownOperationException):
        model.validate_input("StealSecrets", {})
    with pytest.raises(UnknownOperationException):
        model.shape_output("StealSecrets", {})


# --- constraints ---------------------------------------------------------------------------


def test_missing_required_member_is_null(model: ServiceModel) -> None:
    assert invalid(model, "GetParameter", {"WithDecryption": True}) == (
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_json_null_counts_as_missing(model: ServiceModel) -> None:
    assert "Value null at 'name'" in invalid(model, "GetParameter", {"Name": None})


def test_every_problem_is_counted_and_joined(model: ServiceModel) -> None:
    message = invalid(model, "PutParameter", {"Name": "", "Type": "Bogus"})
    assert message == (
        "3 validation errors detected: "
        "Value '' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value 'Bogus' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [String, StringList, SecureString]; "
        "Value null at 'value' failed to satisfy constraint: Member must not be null"
    )


def test_string_too_long(model: ServiceModel) -> None:
    name = "a" * 2049
    assert invalid(model, "GetParameter", {"Name": name}) == (
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )


def test_length_counts_code_points(model: ServiceModel) -> None:
    model.validate_input("GetParameter", {"Name": "\U0001f511" * 2048})


def test_list_too_long_echoes_the_list(model: ServiceModel) -> None:
    names = [f"/p{i}" for i in range(11)]
    assert invalid(model, "GetParameters", {"Names": names}) == (
        f"1 validation error detected: Value '[{', '.join(names)}]' at 'names' "
        "failed to satisfy constraint: Member must have length less than or equal to 10"
    )


def test_number_out_of_range(model: ServiceModel) -> None:
    assert invalid(model, "GetParametersByPath", {"Path": "/a", "MaxResults": 11}) == (
        "1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 10"
    )
    assert "greater than or equal to 1" in invalid(
        model, "GetParametersByPath", {"Path": "/a", "MaxResults": 0}
    )


def test_pattern_is_matched_against_the_whole_value(model: ServiceModel) -> None:
    body = {"DocumentName": "AWS-RunShellScript", "InstanceIds": ["i-0123456789abcdef0x"]}
    assert invalid(model, "SendCommand", body) == (
        "1 validation error detected: Value 'i-0123456789abcdef0x' at 'instanceIds.1.member' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)"
    )
    body["InstanceIds"] = ["i-0123456789abcdef0", "mi-0123456789abcdef0"]
    assert model.validate_input("SendCommand", body) == body


def test_java_word_class_stays_ascii(model: ServiceModel) -> None:
    body = {"DocumentName": "AWS-RunShellScript", "InstanceIds": ["i-ééééééé1"]}
    assert "regular expression pattern" in invalid(model, "SendCommand", body)


@pytest.mark.parametrize("key", ["Env", "ключ", "名前", "a b", "a\u3000b", "x_1.2:3/4=5+6-7@8"])
def test_unicode_property_classes_accept(model: ServiceModel, key: str) -> None:
    tags = [{"Key": key, "Value": "v"}]
    model.validate_input(
        "AddTagsToResource", {"ResourceType": "Parameter", "ResourceId": "/p", "Tags": tags}
    )


@pytest.mark.parametrize("key", ["a\tb", "a$b", "a;b"])
def test_unicode_property_classes_reject(model: ServiceModel, key: str) -> None:
    body = {"ResourceType": "Parameter", "ResourceId": "/p", "Tags": [{"Key": key, "Value": "v"}]}
    assert f"Value '{key}' at 'tags.1.member.key'" in invalid(model, "AddTagsToResource", body)


def test_nested_paths_use_one_based_member_segments(model: ServiceModel) -> None:
    filters = [
        {"Key": "Type", "Values": ["String"]},
        {"Key": "bad key", "Values": ["ok", ""]},
        None,
    ]
    message = invalid(model, "GetParametersByPath", {"Path": "/a", "ParameterFilters": filters})
    assert message.startswith("3 validation errors detected: ")
    assert "Value 'bad key' at 'parameterFilters.2.member.key'" in message
    assert "Value '' at 'parameterFilters.2.member.values.2.member'" in message
    assert "Value null at 'parameterFilters.3.member' failed" in message


def test_required_member_of_a_nested_structure(model: ServiceModel) -> None:
    filters = [{"Values": ["String"]}]
    assert "Value null at 'parameterFilters.1.member.key'" in invalid(
        model, "DescribeParameters", {"ParameterFilters": filters}
    )


# --- deserialization -------------------------------------------------------------------------


@pytest.mark.parametrize("body", [[], "GetParameter", 3, None, True])
def test_body_must_be_an_object(model: ServiceModel, body: object) -> None:
    with pytest.raises(SerializationException, match="must be a JSON object"):
        model.validate_input("GetParameter", body)


@pytest.mark.parametrize(
    ("operation", "body", "path"),
    [
        ("GetParametersByPath", {"Path": "/a", "MaxResults": "10"}, "maxResults"),
        ("GetParametersByPath", {"Path": "/a", "MaxResults": True}, "maxResults"),
        ("GetParametersByPath", {"Path": "/a", "MaxResults": 2.5}, "maxResults"),
        ("GetParametersByPath", {"Path": "/a", "MaxResults": 2**31}, "maxResults"),
        ("GetParameter", {"Name": "/a", "WithDecryption": "true"}, "withDecryption"),
        ("GetParameter", {"Name": 7}, "name"),
        ("GetParameters", {"Names": "/a"}, "names"),
        ("GetParameters", {"Names": [["/a"]]}, "names.1.member"),
        ("DescribeParameters", {"ParameterFilters": {"Key": "Name"}}, "parameterFilters"),
        ("DescribeParameters", {"ParameterFilters": ["Name"]}, "parameterFilters.1.member"),
        (
            "CreateActivation",
            {"IamRole": "r", "ExpirationDate": "2030-01-01T00:00:00Z"},
            "expirationDate",
        ),
    ],
)
def test_wrong_json_type_is_a_serialization_error(
    model: ServiceModel, operation: str, body: dict[str, Any], path: str
) -> None:
    with pytest.raises(SerializationException, match=f"^Value at '{re.escape(path)}' must be"):
        model.validate_input(operation, body)


def test_unknown_members_and_nulls_are_dropped(model: ServiceModel) -> None:
    body = {"Name": "/a", "Extra": {"x": 1}, "WithDecryption": None}
    assert model.validate_input("GetParameter", body) == {"Name": "/a"}
    assert body == {"Name": "/a", "Extra": {"x": 1}, "WithDecryption": None}
    filters = [{"Key": "Name", "Values": ["/a"], "Junk": 1}]
    out = model.validate_input("DescribeParameters", {"ParameterFilters": filters})
    assert out == {"ParameterFilters": [{"Key": "Name", "Values": ["/a"]}]}


def test_clean_body_comes_back_unchanged(model: ServiceModel) -> None:
    body = {"Name": "/a", "WithDecryption": True}
    assert model.validate_input("GetParameter", body) is body


def test_blob_is_base64_measured_after_decoding(model: ServiceModel) -> None:
    def register(payload: object) -> dict[str, Any]:
        lam = {"Lambda": {"Payload": payload}}
        body = {"WindowId": "mw-0123456789abcdef0", "TaskArn": "f", "TaskType": "LAMBDA"}
        return body | {"TaskInvocationParameters": lam}

    model.validate_input("RegisterTaskWithMaintenanceWindow", register("eyJhIjogMX0="))
    with pytest.raises(SerializationException, match="base64"):
        model.validate_input("RegisterTaskWithMaintenanceWindow", register("not base64!"))
    big = base64.b64encode(b"s" * 4097).decode()
    message = invalid(model, "RegisterTaskWithMaintenanceWindow", register(big))
    assert message == (
        "1 validation error detected: Value '***' at 'taskInvocationParameters.lambda.payload' "
        "failed to satisfy constraint: Member must have length less than or equal to 4096"
    )


def test_what_botocore_sends_passes(model: ServiceModel) -> None:
    """Bodies from botocore's own serializer: timestamps as numbers, blobs as base64."""
    service = botocore.session.get_session().get_service_model("ssm")
    serializer = botocore.serialize.create_serializer("json")
    cases: list[tuple[str, dict[str, Any]]] = [
        (
            "CreateActivation",
            {"IamRole": "r", "ExpirationDate": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
        ),
        (
            "RegisterTaskWithMaintenanceWindow",
            {
                "WindowId": "mw-0123456789abcdef0",
                "TaskArn": "fn",
                "TaskType": "LAMBDA",
                "TaskInvocationParameters": {"Lambda": {"Payload": b"\x00\xff"}},
            },
        ),
        ("GetParameters", {"Names": ["/a", "/b"], "WithDecryption": True}),
    ]
    for operation, params in cases:
        request = serializer.serialize_to_request(params, service.operation_model(operation))
        body = json.loads(request["body"])
        assert model.validate_input(operation, body) == body


# --- secrets ---------------------------------------------------------------------------------


def test_sensitive_member_is_masked(model: ServiceModel) -> None:
    secret = "my-secret-description-" * 10
    body = {"Name": "mw", "Schedule": "rate(1 day)", "Duration": 1, "Cutoff": 0}
    body |= {"AllowUnassociatedTargets": True, "Description": secret}
    message = invalid(model, "CreateMaintenanceWindow", body)
    assert "Value '***' at 'description'" in message
    assert "my-secret" not in message


def test_map_under_a_sensitive_shape_is_masked(model: ServiceModel) -> None:
    body: dict[str, Any] = {"WindowId": "mw-0123456789abcdef0", "TaskArn": "AWS-RunShellScript"}
    body |= {"TaskType": "RUN_COMMAND", "TaskParameters": {"": {"Values": ["hunter2"]}}}
    message = invalid(model, "RegisterTaskWithMaintenanceWindow", body)
    assert message == (
        "1 validation error detected: Value '***' at 'taskParameters' failed to satisfy "
        "constraint: Map keys must satisfy constraint: "
        "[Member must have length greater than or equal to 1]"
    )


def test_map_values_are_walked(model: ServiceModel) -> None:
    body: dict[str, Any] = {"WindowId": "mw-0123456789abcdef0", "TaskArn": "AWS-RunShellScript"}
    body |= {"TaskType": "RUN_COMMAND", "TaskParameters": {"commands": {"Values": ["ls"], "X": 1}}}
    out = model.validate_input("RegisterTaskWithMaintenanceWindow", body)
    assert out["TaskParameters"] == {"commands": {"Values": ["ls"]}}
    body["TaskParameters"] = {"commands": None}
    assert (
        "Value '***' at 'taskParameters' failed to satisfy constraint: Map value must not be null"
        in (invalid(model, "RegisterTaskWithMaintenanceWindow", body))
    )


def test_put_parameter_value_is_masked_even_without_the_trait() -> None:
    """SECURITY: a parameter value never reaches an error message, whatever the model says."""
    model = ServiceModel(
        model={
            "operations": {"PutParameter": {"input": {"shape": "PutParameterRequest"}}},
            "shapes": {
                "PutParameterRequest": {
                    "type": "structure",
                    "members": {"Name": {"shape": "Plain"}, "Value": {"shape": "Plain"}},
                },
                "Plain": {"type": "string", "max": 4},
            },
        }
    )
    message = invalid(model, "PutParameter", {"Name": "name-x", "Value": "hunter2"})
    assert "Value 'name-x' at 'name'" in message
    assert "Value '***' at 'value'" in message
    assert "hunter2" not in message


def test_type_errors_never_echo_values(model: ServiceModel) -> None:
    with pytest.raises(SerializationException) as caught:
        model.validate_input("PutParameter", {"Name": "/a", "Value": ["hunter2"]})
    assert "hunter2" not in caught.value.message


# --- the whole model -------------------------------------------------------------------------


def test_every_model_pattern_compiles(shapes: dict[str, Any]) -> None:
    patterns = {s["pattern"] for s in shapes.values() if "pattern" in s}
    assert [p for p in patterns if java_regex(p) is None] == []


def test_letter_and_number_classes_always_come_together(shapes: dict[str, Any]) -> None:
    """java_regex spells \\p{L} and \\p{N} as \\w, exact only next to each other and '_'."""
    for shape in shapes.values():
        pattern = shape.get("pattern", "")
        if r"\p{L}" in pattern or r"\p{N}" in pattern:
            assert r"\p{L}" in pattern
            assert r"\p{N}" in pattern
            assert "_" in pattern


def test_separator_class_matches_unicode_z_categories() -> None:
    regex = java_regex(r"\p{Z}")
    assert regex is not None
    for code in range(0x10000):
        char = chr(code)
        assert (regex.fullmatch(char) is not None) == unicodedata.category(char).startswith("Z")


def _minimal(shapes: dict[str, Any], name: str) -> Any:
    shape = shapes[name]
    kind = shape["type"]
    if kind == "structure":
        required = shape.get("required", [])
        return {m: _minimal(shapes, shape["members"][m]["shape"]) for m in required}
    if kind == "list":
        return [_minimal(shapes, shape["member"]["shape"]) for _ in range(shape.get("min", 0))]
    if kind == "map":
        return {}
    if "enum" in shape:
        return shape["enum"][0]
    if kind in ("integer", "long", "double", "timestamp"):
        return shape.get("min", 0)
    if kind == "boolean":
        return False
    if kind == "blob":
        return base64.b64encode(b"x" * max(shape.get("min", 1), 1)).decode()
    return "a" * max(shape.get("min", 1), 1)


def test_every_operation_validates_a_minimal_body(
    model: ServiceModel, shapes: dict[str, Any]
) -> None:
    """Required members filled with values in range: only patterns may still object."""
    loader = botocore.session.get_session().get_component("data_loader")
    operations = loader.load_service_model("ssm", "service-2")["operations"]
    assert set(operations) == model.operation_names()
    objections: dict[str, str] = {}
    for name, operation in operations.items():
        body = _minimal(shapes, operation["input"]["shape"])
        try:
            model.validate_input(name, body)
        except ValidationException as exc:
            objections[name] = exc.message
        assert model.shape_output(name, {}) == {}
    unexpected = re.compile("must not be null|Member must have|enum value set")
    assert {name: m for name, m in objections.items() if unexpected.search(m)} == {}


# --- output ----------------------------------------------------------------------------------

WHEN = dt.datetime(2017, 2, 23, 18, 55, 22, 564000, tzinfo=dt.UTC)


def parameter(**extra: Any) -> dict[str, Any]:
    return {"Name": "/db/pw", "Type": "SecureString", "Value": "x", "Version": 3} | extra


def test_output_converts_datetimes_to_epoch_millis(model: ServiceModel) -> None:
    out = model.shape_output("GetParameter", {"Parameter": parameter(LastModifiedDate=WHEN)})
    assert out == {"Parameter": parameter(LastModifiedDate=1487876122.564)}
    assert json.dumps(out["Parameter"]["LastModifiedDate"]) == "1487876122.564"


def test_output_datetime_in_another_zone(model: ServiceModel) -> None:
    when = WHEN.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    out = model.shape_output("GetParameter", {"Parameter": parameter(LastModifiedDate=when)})
    assert out["Parameter"]["LastModifiedDate"] == 1487876122.564


def test_output_recurses_into_lists(model: ServiceModel) -> None:
    output = {
        "Parameters": [parameter(LastModifiedDate=WHEN), parameter(Selector=None)],
        "InvalidParameters": ["/missing"],
    }
    assert model.shape_output("GetParameters", output) == {
        "Parameters": [parameter(LastModifiedDate=1487876122.564), parameter()],
        "InvalidParameters": ["/missing"],
    }


def test_output_blob_is_base64(model: ServiceModel) -> None:
    output = {"TaskInvocationParameters": {"Lambda": {"Payload": b"\x00\xff"}}}
    out = model.shape_output("GetMaintenanceWindowTask", output)
    assert out == {"TaskInvocationParameters": {"Lambda": {"Payload": "AP8="}}}


def test_lenient_output_drops_what_the_shape_lacks(lenient: ServiceModel) -> None:
    output = {"Parameter": parameter(Internal=1, LastModifiedDate=WHEN), "Debug": True}
    out = lenient.shape_output("GetParameter", output)
    assert out == {"Parameter": parameter(LastModifiedDate=1487876122.564)}


def test_lenient_output_takes_naive_datetimes_as_utc(lenient: ServiceModel) -> None:
    naive = WHEN.replace(tzinfo=None)
    out = lenient.shape_output("GetParameter", {"Parameter": {"LastModifiedDate": naive}})
    assert out == {"Parameter": {"LastModifiedDate": 1487876122.564}}


@pytest.mark.parametrize(
    ("operation", "output", "where"),
    [
        (
            "GetParameter",
            {"Parameter": parameter(Internal=1)},
            "GetParameter.Parameter: 'Internal'",
        ),
        ("GetParameter", {"Parameter": parameter(Version="3")}, "GetParameter.Parameter.Version:"),
        ("GetParameter", {"Parameter": parameter(Version=True)}, "GetParameter.Parameter.Version:"),
        ("GetParameter", {"Parameter": parameter(Type="Bogus")}, "GetParameter.Parameter.Type:"),
        (
            "GetParameter",
            {"Parameter": {"LastModifiedDate": WHEN.replace(tzinfo=None)}},
            "GetParameter.Parameter.LastModifiedDate: naive",
        ),
        ("GetParameter", {"Parameter": {"LastModifiedDate": 1.5}}, "LastModifiedDate:"),
        ("GetParameters", {"Parameters": [parameter(), {"Name": 1}]}, "Parameters[1].Name:"),
        ("GetParameters", {"InvalidParameters": "/a"}, "GetParameters.InvalidParameters: list"),
        ("GetParameter", {"Parameter": "/a"}, "GetParameter.Parameter: Parameter needs"),
    ],
)
def test_strict_output_names_the_offending_member(
    model: ServiceModel, operation: str, output: dict[str, Any], where: str
) -> None:
    with pytest.raises(OutputShapeError) as caught:
        model.shape_output(operation, output)
    assert where in str(caught.value)
