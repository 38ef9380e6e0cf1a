"""Where a command's whole output may go, checked at SendCommand (issue 10 item 6): a bucket
needs the server's S3 service, and OutputS3KeyPrefix cannot name another place (SECURITY.md
#11). A refused command leaves nothing behind.
"""

from __future__ import annotations

import pytest

from tests.aws_errors import error_of
from tests.support import ServerProcess

SHELL = "AWS-RunShellScript"
NODE = "mi-0123456789abcdef0"


def test_a_bucket_without_an_s3_service_is_refused_at_send_command(
    sqlite_server: ServerProcess,
) -> None:
    ssm = sqlite_server.client()
    before = len(ssm.list_commands()["Commands"])
    error = error_of(
        ssm.send_command,
        DocumentName=SHELL,
        InstanceIds=[NODE],
        Parameters={"commands": ["echo hi"]},
        OutputS3BucketName="my-output",
    )
    assert error.code == "InvalidOutputFolder"
    assert "--s3-endpoint-url" in error.message
    assert "my-output" in error.message
    assert len(ssm.list_commands()["Commands"]) == before


@pytest.mark.parametrize("prefix", ["../other-bucket", "logs/../../x", "/abs", "a//b", "a\\b"])
def test_an_output_prefix_that_names_another_place_is_refused(
    sqlite_server: ServerProcess, prefix: str
) -> None:
    error = error_of(
        sqlite_server.client().send_command,
        DocumentName=SHELL,
        InstanceIds=[NODE],
        Parameters={"commands": ["echo hi"]},
        OutputS3BucketName="my-output",
        OutputS3KeyPrefix=prefix,
    )
    assert (error.code, error.status) == ("InvalidOutputFolder", 400)
    assert "OutputS3KeyPrefix" in error.message
