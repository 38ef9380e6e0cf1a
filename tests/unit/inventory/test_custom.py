"""Custom inventory files: AWS's Custom: rules, and a folder read without following links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openssm.agent.inventory.custom import CustomInventoryError, parse_custom, read_custom_folder

FIXTURES = Path(__file__).parents[2] / "fixtures" / "inventory" / "custom"


def test_fixture_files_give_their_types() -> None:
    found, problems = read_custom_folder(FIXTURES)
    assert problems == []
    by_name = {t.type_name: t for t in found}
    assert by_name["Custom:RackInformation"].rows == [
        {
            "Location": "US-EAST-02.CMH.RACK1",
            "InstalledTime": "2016-01-01T01:01:01Z",
            "vendor": "DELL",
            "Zone": "BJS12",
            "TimeZone": "UTC-8",
        }
    ]
    assert [r["Product"] for r in by_name["Custom:SoftwareLicenses"].rows] == [
        "Oracle Database",
        "Veritas NetBackup",
    ]


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"TypeName": "AWS:Application", "Content": {}}, "must begin with Custom:"),
        ({"TypeName": "Custom:", "Content": {}}, "at most 100"),
        ({"TypeName": "Custom:" + "x" * 94, "Content": {}}, "at most 100"),
        ({"TypeName": "Custom:A", "SchemaVersion": "one", "Content": {}}, "SchemaVersion"),
        ({"TypeName": "Custom:A", "Content": {"n": 1}}, "must be a string"),
        ({"TypeName": "Custom:A", "Content": {"": "v"}}, "1 to 64"),
        ({"TypeName": "Custom:A", "Content": {"k": "v" * 4097}}, "exceeds 4096"),
        ({"TypeName": "Custom:A", "Content": {f"k{i}": "v" for i in range(51)}}, "50 attributes"),
        ({"TypeName": "Custom:A", "Content": ["text"]}, "must be objects"),
        ([], "one object"),
    ],
)
def test_parse_custom_refuses_what_aws_refuses(document: object, rule: str) -> None:
    with pytest.raises(CustomInventoryError, match=rule):
        parse_custom(json.dumps(document), "f.json")


def test_a_bad_file_is_skipped_and_named_and_the_others_kept(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text('{"TypeName": "Custom:Good", "Content": {"a": "b"}}')
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("ignored: not a .json file")
    found, problems = read_custom_folder(tmp_path)
    assert [t.type_name for t in found] == ["Custom:Good"]
    assert len(problems) == 1
    assert problems[0].startswith("bad.json: not JSON")


def test_a_symlink_in_the_folder_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere.json"
    secret.write_text('{"TypeName": "Custom:Secret", "Content": {"key": "value"}}')
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "planted.json").symlink_to(secret)
    found, problems = read_custom_folder(folder)
    assert found == []
    assert len(problems) == 1
    assert problems[0].startswith("planted.json:")


def test_two_files_of_one_type_report_it_once(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps({"TypeName": "Custom:T", "Content": {"f": name}}))
    found, problems = read_custom_folder(tmp_path)
    assert [t.rows for t in found] == [[{"f": "a.json"}]]
    assert problems == ["b.json: Custom:T is already reported from another file"]


def test_a_missing_folder_has_no_custom_inventory(tmp_path: Path) -> None:
    assert read_custom_folder(tmp_path / "absent") == ([], [])
