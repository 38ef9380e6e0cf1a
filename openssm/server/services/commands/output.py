"""Where a command's whole output goes (checked when the command is sent) and where to find
it afterwards (the URLs the API shows, the object the output route serves).

A command that names OutputS3BucketName keeps its output in that bucket on the server's S3
service, under OutputS3KeyPrefix; without a bucket it is kept in the local store. A bucket the
server cannot write to is refused here, at SendCommand, with InvalidOutputFolder, rather than
found out when the first host reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.errors import (
    BadObjectKey,
    InvalidOutputFolder,
    InvocationDoesNotExist,
    ObjectNotFound,
    ObjectStoreError,
)
from openssm.server.context import RequestContext
from openssm.server.objects import keys
from openssm.server.objects.stores import OutputStores
from openssm.server.store.commands import repo

# This server's route for a step's whole output: <endpoint>/output/<command>/<instance>/<plugin>/
# <step>/stdout|stderr, answered to a SigV4-signed GET of a caller allowed GetCommandInvocation.
ROUTE = "/output/"


def check_location(objects: OutputStores, bucket: str, prefix: str) -> None:
    """InvalidOutputFolder when output cannot go to ``bucket`` under ``prefix``. Blocks (it
    asks the S3 service whether the bucket exists): call it from a worker thread."""
    if not bucket:
        return  # the local store; AWS ignores a prefix without a bucket, and so do we
    problem = keys.prefix_problem(prefix)
    if problem is not None:
        raise InvalidOutputFolder(f"OutputS3KeyPrefix {prefix[:64]!r} {problem}.")
    if objects.s3 is None:
        raise InvalidOutputFolder(
            f"OutputS3BucketName {bucket!r}: this server has no S3 service to write to. Start "
            "it with --s3-endpoint-url (OPENSSM_S3_ENDPOINT_URL), or leave OutputS3BucketName "
            "out to keep the output in the server's own store."
        )
    try:
        objects.bucket(bucket).check_bucket()
    except ObjectNotFound:
        raise InvalidOutputFolder(
            f"The S3 bucket {bucket!r} does not exist on {objects.s3.endpoint_url}."
        ) from None
    except ObjectStoreError as exc:
        raise InvalidOutputFolder(
            f"The S3 bucket {bucket!r} on {objects.s3.endpoint_url} cannot be used: {exc}"
        ) from None


# --- where a step's output is, for the API and the output route --------------------------------


@dataclass(frozen=True, slots=True)
class OutputSource:
    """Where one stream's whole output is: an object (``key`` in ``bucket``, "" for the local
    store), or the recorded text itself when that is all of it."""

    bucket: str = ""
    key: str = ""
    text: bytes = b""


def _stream_of(plugin: repo.PluginRow, stream: keys.Stream) -> tuple[int, str]:
    if stream == "stdout":
        return plugin.stdout_size, plugin.stdout
    return plugin.stderr_size, plugin.stderr


def _is_inline(plugin: repo.PluginRow, stream: keys.Stream) -> bool:
    size, text = _stream_of(plugin, stream)
    return len(text.encode("utf-8", "surrogatepass")) == size


def _keys(command: repo.CommandRow, plugin: repo.PluginRow, *, local: bool) -> keys.StepKeys:
    return keys.step_keys(
        "" if local or not command.output_s3_bucket else command.output_s3_prefix,
        command_id=plugin.command_id,
        instance_id=plugin.instance_id,
        action=plugin.action,
        plugin_id=plugin.plugin_id or plugin.name,
    )


def source_of(
    command: repo.CommandRow, plugin: repo.PluginRow, stream: keys.Stream
) -> OutputSource | None:
    """Where the stream's whole output is; None when it was not kept."""
    size, text = _stream_of(plugin, stream)
    if not plugin.output_kept:
        return None
    if size == 0 or (_is_inline(plugin, stream) and not command.output_s3_bucket):
        return OutputSource(text=text.encode("utf-8", "surrogatepass") if size else b"")
    try:
        key = _keys(command, plugin, local=False).key(stream)
    except BadObjectKey:
        return None
    return OutputSource(bucket=command.output_s3_bucket, key=key)


def output_urls(
    command: repo.CommandRow,
    plugin: repo.PluginRow,
    *,
    endpoint_url: str,
    objects: OutputStores,
) -> tuple[str, str]:
    """StandardOutputUrl and StandardErrorUrl of one step: the S3 object's address when the
    command named a bucket, else this server's output route (``/output/<command>/<instance>/
    <plugin>/<step>/<stream>``, fetched with a signed GET); "" when there is nothing whole to
    fetch."""
    urls: list[str] = []
    for stream in keys.STREAMS:
        size, _ = _stream_of(plugin, stream)
        if not plugin.output_kept or size == 0:
            urls.append("")
            continue
        try:
            step = _keys(command, plugin, local=False)
        except BadObjectKey:
            urls.append("")
            continue
        if command.output_s3_bucket:
            urls.append(
                objects.bucket(command.output_s3_bucket).url(step.key(stream))
                if objects.s3 is not None
                else ""
            )
        else:
            urls.append(f"{endpoint_url}{ROUTE}{step.tail}/{stream}")
    return urls[0], urls[1]


def find_source(conn: Connection, ctx: RequestContext, tail: str) -> OutputSource:
    """The output the route path ``tail`` names (``<command>/<instance>/<plugin>/<step>/
    <stream>``), in the caller's account and region; InvocationDoesNotExist otherwise."""
    try:
        command_id, instance_id, plugin_dir, step_dir, stream = keys.split_tail(tail)
    except BadObjectKey as exc:
        raise InvocationDoesNotExist(f"No command output at {tail[:200]!r}: {exc}.") from None
    command = repo.get_command(
        conn, account_id=ctx.account_id, region=ctx.region, command_id=command_id
    )
    steps = (
        []
        if command is None
        else repo.plugins_of(conn, command_id, [instance_id]).get(instance_id, [])
    )
    wanted = f"{command_id}/{instance_id}/{plugin_dir}/{step_dir}"
    for plugin in steps:
        assert command is not None
        try:
            if _keys(command, plugin, local=True).tail != wanted:
                continue
        except BadObjectKey:
            continue
        found = source_of(command, plugin, stream)
        if found is None:
            raise InvocationDoesNotExist(
                f"The whole {stream} of step {plugin.name} of command {command_id} on "
                f"{instance_id} was not kept; GetCommandInvocation shows its beginning."
            )
        return found
    raise InvocationDoesNotExist(
        f"Command {command_id} has no step {plugin_dir}/{step_dir} on instance {instance_id}."
    )
