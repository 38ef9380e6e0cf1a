"""Custom inventory: ``Custom:`` types from JSON files in the agent's custom folder.

As on AWS, each ``*.json`` file in the folder (``<state-dir>/inventory/custom``) holds one
type: ``{"SchemaVersion": "1.0", "TypeName": "Custom:RackInfo", "Content": {...}}``, where
Content is one object or a list of them, every value a string. TypeName must begin with
``Custom:`` (AWS's types are its own) and be at most 100 characters; attribute names are
1-64 characters, values at most 4,096, an entry has at most 50 attributes and a type at
most 10,000 entries (PutInventory's limits). A file that breaks a rule is skipped with a
message naming the file and the rule; the others are still reported.

Files are opened without following symbolic links, so a link planted in the folder
cannot make the agent read (and report) a file elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from openssm.agent.inventory.items import Row
from openssm.errors import AgentError

CUSTOM_PREFIX = "Custom:"
MAX_FILE_BYTES = 1 << 20
MAX_TYPE_NAME = 100
MAX_ATTRIBUTE_NAME = 64
MAX_VALUE = 4096
MAX_ATTRIBUTES = 50
MAX_ENTRIES = 10000
_SCHEMA_VERSION = re.compile(r"[0-9]{1,6}\.[0-9]{1,6}")


class CustomInventoryError(AgentError):
    """A custom inventory file breaks a rule; the message names it."""


@dataclass(frozen=True, slots=True)
class CustomType:
    type_name: str
    schema_version: str
    rows: list[Row]


def _row(entry: object, where: str) -> Row:
    if not isinstance(entry, dict):
        raise CustomInventoryError(f"{where}: Content entries must be objects")
    if len(entry) > MAX_ATTRIBUTES:
        raise CustomInventoryError(f"{where}: an entry has more than {MAX_ATTRIBUTES} attributes")
    row: Row = {}
    for key, value in entry.items():
        if not 1 <= len(key) <= MAX_ATTRIBUTE_NAME:
            raise CustomInventoryError(
                f"{where}: attribute names are 1 to {MAX_ATTRIBUTE_NAME} characters"
            )
        if not isinstance(value, str):
            raise CustomInventoryError(f"{where}: the value of {key} must be a string")
        if len(value) > MAX_VALUE:
            raise CustomInventoryError(f"{where}: the value of {key} exceeds {MAX_VALUE} chars")
        row[key] = value
    return row


def parse_custom(text: str, where: str) -> CustomType:
    """One custom inventory file's text → its type; CustomInventoryError when it is not one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CustomInventoryError(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise CustomInventoryError(f"{where}: must hold one object with TypeName and Content")
    type_name = value.get("TypeName")
    if not isinstance(type_name, str) or not type_name.startswith(CUSTOM_PREFIX):
        raise CustomInventoryError(f"{where}: TypeName must begin with {CUSTOM_PREFIX}")
    if not len(CUSTOM_PREFIX) < len(type_name) <= MAX_TYPE_NAME:
        raise CustomInventoryError(f"{where}: TypeName is at most {MAX_TYPE_NAME} characters")
    schema_version = value.get("SchemaVersion", "1.0")
    if not isinstance(schema_version, str) or not _SCHEMA_VERSION.fullmatch(schema_version):
        raise CustomInventoryError(f"{where}: SchemaVersion must look like 1.0")
    content = value.get("Content")
    entries = content if isinstance(content, list) else [content]
    if len(entries) > MAX_ENTRIES:
        raise CustomInventoryError(f"{where}: Content has more than {MAX_ENTRIES} entries")
    return CustomType(type_name, schema_version, [_row(e, where) for e in entries])


def _read_nofollow(path: Path) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise CustomInventoryError(f"{path.name}: not a regular file")
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CustomInventoryError(f"{path.name}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CustomInventoryError(f"{path.name}: not UTF-8") from exc


def read_custom_folder(folder: Path) -> tuple[list[CustomType], list[str]]:
    """The folder's custom types, and a message per file skipped. A type named by two files
    is reported once, from the first file by name."""
    types: dict[str, CustomType] = {}
    problems: list[str] = []
    try:
        names = sorted(e.name for e in os.scandir(folder) if e.name.lower().endswith(".json"))
    except FileNotFoundError:
        return [], []
    for name in names:
        try:
            found = parse_custom(_read_nofollow(folder / name), name)
        except OSError as exc:
            problems.append(f"{name}: {exc.strerror}")
            continue
        except CustomInventoryError as exc:
            problems.append(str(exc))
            continue
        if found.type_name in types:
            problems.append(f"{name}: {found.type_name} is already reported from another file")
            continue
        types[found.type_name] = found
    return list(types.values()), problems
