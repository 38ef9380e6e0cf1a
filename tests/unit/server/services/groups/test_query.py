"""TAG_FILTERS_1_0 queries as AWS Resource Groups documents them (ResourceQuery, TagFilter)."""

from __future__ import annotations

import json

import pytest

from openssm.errors import BadRequestException
from openssm.server.services.groups.query import TagFilter, TagQuery, parse


def _query(**members: object) -> str:
    return json.dumps(members)


def test_a_query_reads_types_and_tag_filters() -> None:
    text = _query(
        ResourceTypeFilters=["AWS::SSM::ManagedInstance", "AWS::EC2::Instance"],
        TagFilters=[{"Key": "Stage", "Values": ["Test", "Beta"]}, {"Key": "Storage"}],
    )
    assert parse("TAG_FILTERS_1_0", text) == TagQuery(
        resource_types=("AWS::SSM::ManagedInstance", "AWS::EC2::Instance"),
        tag_filters=(TagFilter("Stage", ("Test", "Beta")), TagFilter("Storage", ())),
    )


def test_resource_type_filters_default_to_all_supported() -> None:
    parsed = parse("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "Env", "Values": []}]))
    assert parsed.resource_types == ("AWS::AllSupported",)
    assert parsed.includes_any(["AWS::SSM::ManagedInstance"])


def test_includes_any_compares_the_types_named() -> None:
    parsed = parse(
        "TAG_FILTERS_1_0",
        _query(ResourceTypeFilters=["AWS::S3::Bucket"], TagFilters=[{"Key": "k"}]),
    )
    assert not parsed.includes_any(["AWS::SSM::ManagedInstance", "AWS::EC2::Instance"])
    assert parsed.includes_any(["AWS::S3::Bucket"])


@pytest.mark.parametrize(
    ("query_type", "text", "words"),
    [
        ("CLOUDFORMATION_STACK_1_0", "{}", "not supported"),
        ("TAG_FILTERS_1_0", "{", "not a JSON object"),
        ("TAG_FILTERS_1_0", "[]", "not a JSON object"),
        ("TAG_FILTERS_1_0", "[" * 300 + "]" * 300, "nest"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k"}], Extra=1), "Extra"),
        ("TAG_FILTERS_1_0", _query(ResourceTypeFilters=["AWS::EC2::Instance"]), "at least one"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[]), "at least one"),
        ("TAG_FILTERS_1_0", _query(TagFilters={"Key": "k"}), "array of objects"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": ""}]), "Key of 1 to 128"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k" * 129}]), "Key of 1 to 128"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "a\x00b"}]), "Key of 1 to 128"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": 5}]), "Key of 1 to 128"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k", "Values": "v"}]), "array of strings"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k", "Values": ["\ud800"]}]), "value of"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k", "Values": ["v" * 257]}]), "value of"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k"}, {"Key": "k"}]), "more than once"),
        ("TAG_FILTERS_1_0", _query(TagFilters=[{"Key": "k", "Size": 1}]), "Size"),
        (
            "TAG_FILTERS_1_0",
            _query(TagFilters=[{"Key": "k", "Values": [str(i) for i in range(21)]}]),
            "more than 20 values",
        ),
        (
            "TAG_FILTERS_1_0",
            _query(TagFilters=[{"Key": f"k{i}"} for i in range(51)]),
            "at most 50 tag keys",
        ),
        ("TAG_FILTERS_1_0", _query(ResourceTypeFilters=[], TagFilters=[{"Key": "k"}]), "at least"),
        (
            "TAG_FILTERS_1_0",
            _query(ResourceTypeFilters=["EC2 instances"], TagFilters=[{"Key": "k"}]),
            "AWS::Service::Type",
        ),
        (
            "TAG_FILTERS_1_0",
            _query(
                ResourceTypeFilters=["AWS::AllSupported", "AWS::EC2::Instance"],
                TagFilters=[{"Key": "k"}],
            ),
            "only item",
        ),
        (
            "TAG_FILTERS_1_0",
            _query(
                ResourceTypeFilters=[f"AWS::S{i}::T" for i in range(21)],
                TagFilters=[{"Key": "k"}],
            ),
            "at most 20",
        ),
    ],
)
def test_bad_queries_are_bad_requests_naming_the_problem(
    query_type: str, text: str, words: str
) -> None:
    with pytest.raises(BadRequestException, match=words):
        parse(query_type, text)
