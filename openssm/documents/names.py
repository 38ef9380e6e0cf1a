"""Rules for document names, step names and plugin ids.

AWS reserves document names that begin with ``aws``, ``amazon`` or ``amzn``
in any letter case; the other prefixes the CreateDocument reference lists
(``AWSEC2``, ``AWSConfigRemediation``, ``AWSSupport``) already start with
``aws``. ``SSM-`` is not reserved: ``SSM-SessionManagerRunShell`` is created in
the caller's own account by Session Manager preferences.

Step names become path segments (output folders, S3 keys), so beyond AWS's
character set a name made only of dots is refused.
"""

from __future__ import annotations

import re

RESERVED_PREFIXES = ("aws", "amazon", "amzn")

DOCUMENT_NAME_RE = re.compile(r"[a-zA-Z0-9_\-.]{3,128}")
STEP_NAME_RE = re.compile(r"[a-zA-Z0-9_\-.]{1,128}")
# Schema 1.2 plugin ids look like ``0.aws:runShellScript``.
PLUGIN_ID_RE = re.compile(r"[a-zA-Z0-9_\-.:]{1,128}")


def is_reserved_name(name: str) -> bool:
    """True when only AWS may own a document called ``name`` (case-insensitive prefix)."""
    return name.lower().startswith(RESERVED_PREFIXES)


def is_valid_document_name(name: str) -> bool:
    return DOCUMENT_NAME_RE.fullmatch(name) is not None


def is_valid_step_name(name: str) -> bool:
    return STEP_NAME_RE.fullmatch(name) is not None and name.strip(".") != ""


def is_valid_plugin_id(plugin_id: str) -> bool:
    return PLUGIN_ID_RE.fullmatch(plugin_id) is not None and plugin_id.strip(".") != ""
