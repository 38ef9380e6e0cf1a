"""AWS:File searches: the files parameter's rules and limits, over a prepared directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openssm.agent.inventory.files import FileSearch, FileSearchError, parse_searches, search_files


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "a.conf").write_text("x" * 10)
    (tmp_path / "b.log").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.conf").write_text("yy")
    (tmp_path / "sub" / "deeper").mkdir()
    (tmp_path / "sub" / "deeper" / "d.conf").write_text("")
    return tmp_path


def names(rows: list[dict[str, str]]) -> list[str]:
    return sorted(r["Name"] for r in rows)


def test_a_flat_search_matches_names_in_the_directory_only(tree: Path) -> None:
    rows = search_files(FileSearch(str(tree), ("*.conf",)))
    assert names(rows) == ["a.conf"]
    assert rows[0]["Size"] == "10"
    assert rows[0]["InstalledDir"] == str(tree)
    assert rows[0]["ModificationTime"].endswith("Z")


def test_a_recursive_search_descends_within_dir_scan_depth(tree: Path) -> None:
    assert names(search_files(FileSearch(str(tree), ("*.conf",), recursive=True))) == [
        "a.conf",
        "c.conf",
        "d.conf",
    ]
    shallow = FileSearch(str(tree), ("*.conf",), recursive=True, dir_scan_depth=1)
    assert names(search_files(shallow)) == ["a.conf", "c.conf"]


def test_more_matches_than_file_limit_is_an_error_not_a_partial_list(tree: Path) -> None:
    with pytest.raises(FileSearchError, match="FileLimit 2"):
        search_files(FileSearch(str(tree), ("*.conf",), recursive=True, file_limit=2))


def test_more_directories_than_dir_scan_limit_is_an_error(tree: Path) -> None:
    with pytest.raises(FileSearchError, match="DirScanLimit 2"):
        search_files(FileSearch(str(tree), ("*",), recursive=True, dir_scan_limit=2))


def test_links_are_not_followed_out_of_the_searched_directory(tree: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "secret.conf").write_text("s")
    (tree / "link-dir").symlink_to(outside)
    (tree / "link.conf").symlink_to(outside / "secret.conf")
    rows = search_files(FileSearch(str(tree), ("*.conf",), recursive=True))
    assert "secret.conf" not in names(rows)
    assert "link.conf" not in names(rows)
    with pytest.raises(FileSearchError, match="not a directory"):
        search_files(FileSearch(str(tree / "link-dir"), ("*",)))


def test_parse_searches_reads_aws_members_with_defaults() -> None:
    [search] = parse_searches(json.dumps([{"Path": "/etc/../var", "Pattern": ["*.log"]}]))
    assert search == FileSearch("/var", ("*.log",))
    [search] = parse_searches(
        '[{"Path": "/srv", "Pattern": ["*"], "Recursive": true, "DirScanLimit": 10,'
        ' "DirScanDepth": 2, "FileLimit": 7}]'
    )
    assert (search.dir_scan_limit, search.dir_scan_depth, search.file_limit) == (10, 2, 7)
    assert parse_searches("") == []


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("{", "not JSON"),
        ('{"Path": "/"}', "JSON list"),
        ('[{"Path": "etc", "Pattern": ["*"]}]', "absolute"),
        ('[{"Path": "/etc", "Pattern": "*"}]', "list of wildcard"),
        ('[{"Path": "/etc", "Pattern": ["*"], "Recursive": "yes"}]', "true or false"),
        ('[{"Path": "/etc", "Pattern": ["*"], "FileLimit": 0}]', "positive"),
        ('[{"Path": "/etc", "Pattern": ["*"], "DirScanLimit": true}]', "positive"),
    ],
)
def test_parse_searches_refuses_malformed_searches(text: str, rule: str) -> None:
    with pytest.raises(FileSearchError, match=rule):
        parse_searches(text)
