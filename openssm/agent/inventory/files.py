"""AWS:File: the files that the ``files`` parameter's searches match, with their metadata.

The parameter is a JSON list of searches, each ``{"Path": "/etc", "Pattern": ["*.conf"],
"Recursive": true, "DirScanLimit": 5000, "DirScanDepth": 3, "FileLimit": 500}``. As in
AWS's agent: Path is a directory (absolute here), Pattern a list of shell wildcards
matched against file names, a search scans at most DirScanLimit directories (default
5,000) and a search matching more than FileLimit files (default 500) reports none of them
but an error saying so; DirScanDepth bounds how deep a recursive search goes (default:
no bound beyond DirScanLimit). Symbolic links are not followed: a search stays inside the
directory it names. Attributes Windows fills from a file's version resource
(FileVersion, ProductName, CompanyName, …) are empty on Linux.
"""

from __future__ import annotations

import fnmatch
import json
import os
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath

from openssm.agent.inventory.items import Row, rfc3339
from openssm.errors import AgentError

FILE = "AWS:File"
DEFAULT_DIR_SCAN_LIMIT = 5000
DEFAULT_FILE_LIMIT = 500
MAX_SEARCHES = 100
MAX_PATTERNS = 100


class FileSearchError(AgentError):
    """The ``files`` parameter or one search in it cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class FileSearch:
    path: str
    patterns: tuple[str, ...]
    recursive: bool = False
    dir_scan_limit: int = DEFAULT_DIR_SCAN_LIMIT
    dir_scan_depth: int | None = None
    file_limit: int = DEFAULT_FILE_LIMIT


def _positive(search: dict[str, object], key: str, default: int | None) -> int | None:
    value = search.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FileSearchError(f"{key} must be a positive whole number, not {value!r}")
    return value


def parse_searches(text: str) -> list[FileSearch]:
    """The ``files`` parameter's JSON text → searches; FileSearchError when malformed."""
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileSearchError(f"files is not JSON: {exc.msg}") from exc
    if not isinstance(value, list) or len(value) > MAX_SEARCHES:
        raise FileSearchError(f"files must be a JSON list of at most {MAX_SEARCHES} searches")
    searches: list[FileSearch] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise FileSearchError("each search in files must be an object with Path and Pattern")
        path, patterns = entry.get("Path"), entry.get("Pattern")
        if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
            raise FileSearchError(f"Path must be an absolute directory path, not {path!r}")
        if (
            not isinstance(patterns, list)
            or not patterns
            or len(patterns) > MAX_PATTERNS
            or not all(isinstance(p, str) and p for p in patterns)
        ):
            raise FileSearchError(f"Pattern of {path} must be a list of wildcard patterns")
        recursive = entry.get("Recursive", False)
        if not isinstance(recursive, bool):
            raise FileSearchError(f"Recursive of {path} must be true or false")
        searches.append(
            FileSearch(
                path=str(PurePosixPath(os.path.normpath(path))),
                patterns=tuple(patterns),
                recursive=recursive,
                dir_scan_limit=_positive(entry, "DirScanLimit", DEFAULT_DIR_SCAN_LIMIT)
                or DEFAULT_DIR_SCAN_LIMIT,
                dir_scan_depth=_positive(entry, "DirScanDepth", None),
                file_limit=_positive(entry, "FileLimit", DEFAULT_FILE_LIMIT) or DEFAULT_FILE_LIMIT,
            )
        )
    return searches


def file_row(path: str, info: os.stat_result) -> Row:
    """AWS:File's attributes of one file from its ``lstat``."""
    pure = PurePosixPath(path)
    return {
        "Name": pure.name,
        "Size": str(info.st_size),
        "Description": "",
        "FileVersion": "",
        "InstalledDate": rfc3339(info.st_ctime),
        "ModificationTime": rfc3339(info.st_mtime),
        "LastAccessTime": rfc3339(info.st_atime),
        "ProductName": "",
        "InstalledDir": str(pure.parent),
        "ProductLanguage": "",
        "CompanyName": "",
        "ProductVersion": "",
    }


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def search_files(search: FileSearch) -> list[Row]:
    """Rows of the regular files ``search`` matches; FileSearchError past its limits."""
    try:
        root_info = os.lstat(search.path)
    except OSError as exc:
        raise FileSearchError(f"{search.path}: {exc.strerror}") from exc
    if not stat.S_ISDIR(root_info.st_mode):
        raise FileSearchError(f"{search.path} is not a directory (links are not followed)")
    rows: list[Row] = []
    pending: list[tuple[str, int]] = [(search.path, 0)]
    scanned = 0
    while pending:
        directory, depth = pending.pop()
        scanned += 1
        if scanned > search.dir_scan_limit:
            raise FileSearchError(
                f"{search.path}: more than DirScanLimit {search.dir_scan_limit} directories"
            )
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue  # unreadable or gone: skipped, as AWS's agent skips it
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                deeper = search.dir_scan_depth is None or depth < search.dir_scan_depth
                if search.recursive and deeper:
                    pending.append((entry.path, depth + 1))
            elif entry.is_file(follow_symlinks=False) and _matches(entry.name, search.patterns):
                if len(rows) >= search.file_limit:
                    raise FileSearchError(
                        f"{search.path}: more than FileLimit {search.file_limit} files match"
                    )
                try:
                    rows.append(file_row(entry.path, entry.stat(follow_symlinks=False)))
                except OSError:
                    continue
    return rows
