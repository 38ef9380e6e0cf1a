"""Where a command's whole output goes, checked when the command is sent.

A command that names OutputS3BucketName keeps its output in that bucket on the server's S3
service, under OutputS3KeyPrefix; without a bucket it is kept in the local store. A bucket the
server cannot write to is refused here, at SendCommand, with InvalidOutputFolder, rather than
found out when the first host reports.
"""

from __future__ import annotations

from openssm.errors import InvalidOutputFolder, ObjectNotFound, ObjectStoreError
from openssm.server.objects import keys
from openssm.server.objects.stores import OutputStores


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
