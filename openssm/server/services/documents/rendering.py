"""Turning a document and a caller's parameters into the steps an agent runs, with Parameter
Store behind ``{{ssm:…}}`` and ``{{ssm-secure:…}}``.

SendCommand, State Manager and maintenance windows call ``render_for_execution`` after
``documents.resolve_for_execution``; the pure work is ``openssm.documents.render.render``. This
module only supplies the two Parameter Store lookups and maps the core's errors to the wire:

- ``{{ssm:name}}`` (also ``name:version``, ``name:label`` and parameter ARNs) reads a String or
  StringList parameter of the caller's account and region. A SecureString named this way is
  refused: its value would land in the stored, displayed command. Use ``{{ssm-secure:…}}``.
- ``{{ssm-secure:name}}`` decrypts, and the value appears only in ``RenderedDocument.agent``,
  which must travel to the agent and never be stored or echoed in clear.
- A parameter that does not exist (or a version or label it does not have) fails the whole
  render with InvalidParameters naming the reference; nothing is sent.

``check_access``, when given, is called with each referenced parameter's ARN before it is read,
so the caller's IAM policy can be applied (it raises to refuse).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.engine import Connection

from openssm.documents.errors import DocumentError, DocumentParameterError
from openssm.documents.placeholders import Resolver
from openssm.documents.render import RenderedDocument, render
from openssm.documents.schema import Document
from openssm.errors import ParameterNotFound, ParameterVersionNotFound
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services.documents import records
from openssm.server.services.parameters import reads as parameter_reads
from openssm.server.services.parameters.names import resource_arn
from openssm.server.services.parameters.values import ParameterType

AccessCheck = Callable[[str], None]


def parameter_resolvers(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    *,
    check_access: AccessCheck | None = None,
    secure_values: list[str] | None = None,
) -> tuple[Resolver, Resolver]:
    """(resolver for ``{{ssm:…}}``, resolver for ``{{ssm-secure:…}}``) over the open transaction."""

    def read(name: str, *, secure: bool) -> str | None:
        if check_access is not None:
            check_access(resource_arn(name, region=ctx.region, account_id=ctx.account_id))
        try:
            found = parameter_reads.get_parameter(conn, ctx, keyring, name, decrypt=secure)
        except (ParameterNotFound, ParameterVersionNotFound):
            return None
        if not secure and found.row.type == ParameterType.SECURE_STRING:
            raise DocumentParameterError(
                f"Parameter Store parameter '{name}' is a SecureString; reference it as "
                "{{ssm-secure:" + name + "}} so that its value is never stored or displayed",
                path=name,
            )
        return found.value

    def plain(name: str) -> str | None:
        return read(name, secure=False)

    def secure(name: str) -> str | None:
        value = read(name, secure=True)
        if value is not None and secure_values is not None:
            secure_values.append(value)
        return value

    return plain, secure


def render_for_execution(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    document: Document,
    parameters: Mapping[str, Sequence[str]],
    *,
    check_access: AccessCheck | None = None,
    secure_values: list[str] | None = None,
) -> RenderedDocument:
    """The concrete steps for ``document`` with the caller's wire-shaped ``parameters``.

    Raises InvalidParameters when a parameter is unknown, missing, of the wrong shape, breaks
    a constraint, or references a Parameter Store parameter that does not exist.
    ``secure_values``, when given, receives each decrypted ``{{ssm-secure:…}}`` value (for the
    agent to mask in output).
    """
    plain, secure = parameter_resolvers(
        conn, ctx, keyring, check_access=check_access, secure_values=secure_values
    )
    try:
        return render(document, parameters, plain, secure_resolver=secure)
    except DocumentError as exc:
        raise records.api_error(exc) from None
