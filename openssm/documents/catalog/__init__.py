"""The built-in documents the server seeds with Owner ``Amazon``.

Each document is a file in this package, named ``<DocumentName>.json`` or
``.yaml``; the suffix gives its DocumentFormat. The text was written for
openssm, keeping AWS's document and parameter names so existing scripts and
CLI calls work. ``_ENTRIES`` holds what the file cannot say: the DocumentType
and TargetType.

Choices worth knowing:

- AWS-GatherSoftwareInventory is a Policy document, as on AWS; the server should
  let associations run it and refuse it in SendCommand.
- AWS-RunPatchBaseline runs the native ``aws:runPatchBaseline`` action (see
  ``actions.py``), so it lists Linux as its only platform.
- SSM-SessionManagerRunShell is not Amazon-owned on AWS (Session Manager writes
  it into each account); it is here so StartSession without a DocumentName has
  a preferences document from the start.
- AWS-RunAnsiblePlaybook keeps AWS's parameters but runs the native
  ``aws:runAnsiblePlaybook`` action (no parameter becomes shell text); playbookurl
  takes https URLs only.
- TargetType is ``/`` (any resource type) for Command and Policy documents and
  unset for Session documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from openssm.documents.content import DocumentFormat, document_hash
from openssm.documents.kinds import DocumentType

_C, _P, _S = DocumentType.COMMAND, DocumentType.POLICY, DocumentType.SESSION

_ENTRIES: tuple[tuple[str, DocumentType, str | None], ...] = (
    ("AWS-RunShellScript", _C, "/"),
    ("AWS-RunPowerShellScript", _C, "/"),
    ("AWS-RunDocument", _C, "/"),
    ("AWS-RunPatchBaseline", _C, "/"),
    ("AWS-RunAnsiblePlaybook", _C, "/"),
    ("AWS-ConfigureDocker", _C, "/"),
    ("AWS-ConfigureAWSPackage", _C, "/"),
    ("AWS-UpdateSSMAgent", _C, "/"),
    ("AWS-RefreshAssociation", _C, "/"),
    ("AWS-GatherSoftwareInventory", _P, "/"),
    ("SSM-SessionManagerRunShell", _S, None),
    ("AWS-StartPortForwardingSession", _S, None),
    ("AWS-StartPortForwardingSessionToRemoteHost", _S, None),
    ("AWS-StartSSHSession", _S, None),
    ("AWS-StartInteractiveCommand", _S, None),
    ("AWS-StartNonInteractiveCommand", _S, None),
)
_SUFFIXES = {".json": DocumentFormat.JSON, ".yaml": DocumentFormat.YAML}


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogDocument:
    name: str
    document_type: DocumentType
    document_format: DocumentFormat
    content: str
    target_type: str | None

    @property
    def hash(self) -> str:
        return document_hash(self.content)


def load_catalog() -> list[CatalogDocument]:
    """Every built-in document, in a stable order, read from the package files."""
    folder = resources.files(__name__)
    documents: list[CatalogDocument] = []
    for name, document_type, target_type in _ENTRIES:
        found = [
            (folder.joinpath(name + suffix), document_format)
            for suffix, document_format in _SUFFIXES.items()
            if folder.joinpath(name + suffix).is_file()
        ]
        if len(found) != 1:
            raise FileNotFoundError(f"built-in document {name} needs one .json or .yaml file")
        resource, document_format = found[0]
        documents.append(
            CatalogDocument(
                name=name,
                document_type=document_type,
                document_format=document_format,
                content=resource.read_text(encoding="utf-8"),
                target_type=target_type,
            )
        )
    return documents
