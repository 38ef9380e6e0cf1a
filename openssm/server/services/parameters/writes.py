"""Parameter Store changes: PutParameter, deletes, labels, tags' target, policy enforcement.

Every function takes the caller's open transaction and raises the AWS error the API answers.
Reads live in ``parameter_reads``; the pure rules in ``parameter_names``, ``parameter_values``,
``parameter_policies`` and ``parameter_filters``. A SecureString is sealed here, under a fresh
data key bound to the parameter's ARN, before anything reaches the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import (
    HierarchyTypeMismatchException,
    InvalidKeyId,
    ParameterAlreadyExists,
    ParameterLimitExceeded,
    ParameterMaxVersionLimitExceeded,
    ParameterNotFound,
    ParameterVersionLabelLimitExceeded,
    ParameterVersionNotFound,
    ValidationException,
)
from openssm.server.context import RequestContext
from openssm.server.events.outbox import SSM_SOURCE, EventScope, write_event
from openssm.server.secrets import DEFAULT_ALIAS, Keyring, UnknownKeyError
from openssm.server.services import tags
from openssm.server.services.parameters import names, schedule, values
from openssm.server.services.parameters import policies as pol
from openssm.server.services.parameters.values import ParameterType, Tier
from openssm.server.store.parameters import repo

RESOURCE_TYPE = "Parameter"
MAX_VERSIONS = 100
MAX_LABELS_PER_VERSION = 10
CHANGE_EVENT = "Parameter Store Change"
POLICY_EVENT = "Parameter Store Policy Action"

TAGS_AND_OVERWRITE_MESSAGE = (
    "Invalid request: tags and overwrite can't be used together. To create a parameter with "
    "tags, please remove overwrite flag. To update tags for an existing parameter, please use "
    "AddTagsToResource or RemoveTagsFromResource."
)
EXISTS_MESSAGE = (
    "The parameter already exists. To overwrite this value, set the overwrite option in the "
    "request to true."
)
TYPE_REQUIRED_MESSAGE = "A parameter type is required when you create a parameter."


def not_found(name: str) -> ParameterNotFound:
    return ParameterNotFound(f"Parameter {name} not found.")


def version_not_found(name: str, version: int) -> ParameterVersionNotFound:
    return ParameterVersionNotFound(
        f"Systems Manager could not find version {version} of {name}. "
        "Verify the version and try again."
    )


def encryption_context(ctx: RequestContext, name: str) -> dict[str, str]:
    """What a SecureString is bound to: its ARN, so a blob copied to another row won't open."""
    return {"PARAMETER_ARN": arns.parameter_arn(ctx.region, ctx.account_id, name)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PutInput:
    name: str
    value: str = field(repr=False)
    type: str | None = None
    description: str | None = None
    key_id: str | None = None
    overwrite: bool = False
    allowed_pattern: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    tier: str | None = None
    policies: str | None = None
    data_type: str | None = None


@dataclass(frozen=True, slots=True)
class PutOutput:
    version: int
    tier: str


def put_parameter(
    conn: Connection, ctx: RequestContext, keyring: Keyring, request: PutInput
) -> PutOutput:
    """Create a parameter or, with Overwrite, add a version (PutParameter)."""
    if request.tags and request.overwrite:
        raise ValidationException(TAGS_AND_OVERWRITE_MESSAGE)
    name = names.check_new_name(request.name, region=ctx.region, account_id=ctx.account_id)
    values.check_no_nul("value", request.value)
    values.check_no_nul("description", request.description)
    values.check_no_nul("allowed pattern", request.allowed_pattern)
    key = names.key_of(name)
    param = repo.get_parameter(
        conn, account_id=ctx.account_id, region=ctx.region, name_key=key, for_update=True
    )
    current = None
    if param is not None:
        if not request.overwrite:
            raise ParameterAlreadyExists(EXISTS_MESSAGE)
        current = repo.get_current(conn, account_id=ctx.account_id, region=ctx.region, name_key=key)
        assert current is not None
        name = param.name
    kind = request.type or (current.type if current else None)
    if kind is None:
        raise ValidationException(TYPE_REQUIRED_MESSAGE)
    if current is not None and kind != current.type:
        raise HierarchyTypeMismatchException(
            f"The parameter type can't be changed: {name} is a {current.type} parameter, not "
            f"{kind}. Delete the parameter and create it again with the new type."
        )
    if request.key_id is not None and kind != ParameterType.SECURE_STRING:
        raise ValidationException(
            f"KeyId can be given only for SecureString parameters; {name} is a {kind} parameter."
        )
    if request.policies is not None:
        policies = pol.parse_policies(request.policies, now=ctx.now)
    else:
        policies = pol.load_policies(current.policies if current else None)
    value = request.value
    standard_count = 0
    counts: dict[str, int] = {}
    if current is None:
        counts = repo.count_by_tier(conn, account_id=ctx.account_id, region=ctx.region)
        standard_count = counts.get(Tier.STANDARD, 0)
    tier = values.resolve_tier(
        request.tier,
        current=current.tier if current else None,
        value_chars=len(value),
        has_policies=bool(policies),
        standard_count=standard_count,
    )
    values.check_value(value, tier=tier, has_policies=bool(policies))
    data_type = values.check_data_type(
        request.data_type or (current.data_type if current else values.DataType.TEXT),
        parameter_type=kind,
        value=value,
        current=current.data_type if current else None,
    )
    pattern = _keep(request.allowed_pattern, current.allowed_pattern if current else None)
    if pattern:
        values.check_pattern(value, pattern, parameter_type=kind)
    if current is None:
        _check_limits(counts, tier)
    key_id: str | None = None
    sealed: bytes | None = None
    plain: str | None = value
    if kind == ParameterType.SECURE_STRING:
        key_id = request.key_id or (current.key_id if current else None) or DEFAULT_ALIAS
        sealed, plain = _seal(ctx, keyring, name, value, key_id), None
    if param is None:
        parameter_id = repo.insert_parameter(
            conn,
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            name_key=key,
            parent_key=names.parent_of(key),
            type=kind,
            tier=tier,
            created_at=ctx.now,
        )
        version = 1
    else:
        parameter_id = param.id
        version = param.current_version + 1
        _make_room(conn, param)
    repo.insert_version(
        conn,
        parameter_id=parameter_id,
        version=version,
        new=repo.NewVersion(
            type=kind,
            value_text=plain,
            value_sealed=sealed,
            key_id=key_id,
            description=_keep(request.description, current.description if current else None),
            allowed_pattern=pattern,
            tier=tier,
            data_type=data_type,
            policies=pol.policies_text(policies),
            modified_at=ctx.now,
            modified_by=ctx.principal_arn,
        ),
    )
    schedule.arm(
        conn, ctx, parameter_id, policies, replaced=request.policies is not None or not current
    )
    if param is None and request.tags:
        tags.set_initial_tags(
            conn, ctx, resource_type=RESOURCE_TYPE, resource_id=name, tags=request.tags
        )
    _change_event(conn, ctx, name, kind, "Create" if param is None else "Update")
    return PutOutput(version=version, tier=tier)


def _seal(ctx: RequestContext, keyring: Keyring, name: str, value: str, key_id: str) -> bytes:
    """Envelope-encrypt a SecureString under a fresh data key, bound to the parameter's ARN."""
    try:
        return keyring.encrypt(value.encode(), key_id=key_id, context=encryption_context(ctx, name))
    except UnknownKeyError:
        raise InvalidKeyId(f"The key {key_id} does not exist in this server's keyring.") from None


def _keep(given: str | None, previous: str | None) -> str | None:
    """An optional member left out of an overwrite keeps its previous value."""
    return previous if given is None else given


def _check_limits(counts: dict[str, int], tier: Tier) -> None:
    limit = values.STANDARD_LIMIT if tier == Tier.STANDARD else values.ADVANCED_LIMIT
    if counts.get(tier, 0) >= limit:
        raise ParameterLimitExceeded(
            f"You have reached the limit of {limit} {tier.lower()} parameters in this account "
            "and Region. Delete one or more parameters and try again."
        )


def _make_room(conn: Connection, param: repo.ParameterRow) -> None:
    """Keep the 100 newest versions: drop the oldest unless a label holds it."""
    oldest, count = repo.version_span(conn, parameter_id=param.id)
    if count < MAX_VERSIONS:
        return
    if oldest in repo.labels_of(conn, parameter_id=param.id).values():
        raise ParameterMaxVersionLimitExceeded(
            f"You attempted to create a new version of {param.name} by calling the PutParameter "
            f"API with the overwrite flag. Version {oldest}, the oldest version, can't be "
            "deleted because it has a label associated with it. Move the label to another "
            "version of the parameter, and try again."
        )
    repo.delete_version(conn, parameter_id=param.id, version=oldest)


def _change_event(conn: Connection, ctx: EventScope, name: str, kind: str, operation: str) -> None:
    # Names and types only: an event never carries a parameter's value.
    write_event(
        conn,
        ctx,
        SSM_SOURCE,
        CHANGE_EVENT,
        [arns.parameter_arn(ctx.region, ctx.account_id, name)],
        {"operation": operation, "name": name, "type": kind},
    )


# --- deletes ----------------------------------------------------------------------------------


def delete_parameter(conn: Connection, ctx: RequestContext, name: str) -> None:
    """DeleteParameter: the parameter, every version, label, policy and tag."""
    if not _delete(conn, ctx, name):
        raise not_found(name.strip(" "))


def delete_parameters(
    conn: Connection, ctx: RequestContext, requested: Sequence[str]
) -> tuple[list[str], list[str]]:
    """DeleteParameters: (deleted names, names that named no parameter), in request order."""
    deleted: list[str] = []
    invalid: list[str] = []
    for name in dict.fromkeys(requested):
        (deleted if _delete(conn, ctx, name) else invalid).append(name)
    return deleted, invalid


def _delete(conn: Connection, ctx: RequestContext, name: str) -> bool:
    key = names.lookup_key(name)
    if key is None:
        return False
    param = repo.get_parameter(
        conn, account_id=ctx.account_id, region=ctx.region, name_key=key, for_update=True
    )
    if param is None:
        return False
    repo.delete_parameter(conn, parameter_id=param.id)
    tags.drop_all_tags(conn, ctx, resource_type=RESOURCE_TYPE, resource_id=param.name)
    _change_event(conn, ctx, param.name, param.type, "Delete")
    return True


# --- labels -----------------------------------------------------------------------------------


def _labelled_parameter(
    conn: Connection, ctx: RequestContext, name: str, version: int | None
) -> tuple[repo.ParameterRow, int]:
    key = names.lookup_key(name)
    param = None
    if key is not None:
        param = repo.get_parameter(
            conn, account_id=ctx.account_id, region=ctx.region, name_key=key, for_update=True
        )
    if param is None:
        raise not_found(name.strip(" "))
    if version is None:
        return param, param.current_version
    oldest, _ = repo.version_span(conn, parameter_id=param.id)
    if not oldest <= version <= param.current_version:
        raise version_not_found(param.name, version)
    return param, version


def label_parameter_version(
    conn: Connection, ctx: RequestContext, name: str, version: int | None, labels: Sequence[str]
) -> tuple[list[str], int]:
    """LabelParameterVersion: (labels that break the label rules, the version labelled).

    A label already on another version moves here; a version holds at most 10 labels.
    """
    param, version = _labelled_parameter(conn, ctx, name, version)
    wanted = list(dict.fromkeys(labels))
    valid = [label for label in wanted if names.is_valid_label(label)]
    invalid = [label for label in wanted if not names.is_valid_label(label)]
    existing = repo.labels_of(conn, parameter_id=param.id)
    on_version = {label for label, v in existing.items() if v == version} | set(valid)
    if len(on_version) > MAX_LABELS_PER_VERSION:
        raise ParameterVersionLabelLimitExceeded(
            f"A parameter version can have maximum {MAX_LABELS_PER_VERSION} labels. "
            "Move one or more labels to another version and try again."
        )
    moved = [label for label in valid if existing.get(label) != version]
    repo.put_labels(conn, parameter_id=param.id, version=version, labels=moved)
    if moved:
        _change_event(conn, ctx, param.name, param.type, "LabelParameterVersion")
    return invalid, version


def unlabel_parameter_version(
    conn: Connection, ctx: RequestContext, name: str, version: int, labels: Sequence[str]
) -> tuple[list[str], list[str]]:
    """UnlabelParameterVersion: (labels removed, labels not on that version)."""
    param, version = _labelled_parameter(conn, ctx, name, version)
    existing = repo.labels_of(conn, parameter_id=param.id)
    wanted = list(dict.fromkeys(labels))
    removed = [label for label in wanted if existing.get(label) == version]
    invalid = [label for label in wanted if existing.get(label) != version]
    repo.delete_labels(conn, parameter_id=param.id, version=version, labels=removed)
    return removed, invalid


# --- tags -------------------------------------------------------------------------------------


def tag_target(conn: Connection, ctx: RequestContext, resource_id: str) -> str | None:
    """For the tag operations: the stored name of the parameter ``resource_id`` names."""
    ref = names.parse_ref(
        resource_id, region=ctx.region, account_id=ctx.account_id, allow_selector=False
    )
    if ref.key is None:
        return None
    return repo.name_for_key(conn, account_id=ctx.account_id, region=ctx.region, name_key=ref.key)
