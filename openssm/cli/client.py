"""The boto3 clients of the human commands (SSM, and CloudTrail for ``openssm audit``), found the
way AWS tools find theirs.

Endpoint: ``--endpoint-url``, else what botocore finds itself (``AWS_ENDPOINT_URL_SSM``,
``AWS_ENDPOINT_URL``, the profile's ``endpoint_url``), else, on the server's own host, the
local server. Credentials: ``--profile``, else the standard chain (variables, shared files,
…); when that chain finds nothing, the credentials file the server wrote in its data
directory (profile ``openssm``), so ``openssm run`` works right after ``make run``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openssm.config import DEFAULT_REGION, ServerSettings, default_data_dir

if TYPE_CHECKING:
    from types_boto3_cloudtrail.client import CloudTrailClient
    from types_boto3_events.client import EventBridgeClient
    from types_boto3_ssm.client import SSMClient

# A server started with its defaults on this host (`make run`).
LOCAL_ENDPOINT = f"http://127.0.0.1:{ServerSettings().port}"
SERVER_PROFILE = "openssm"


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (as the aws CLI takes them)")
    group.add_argument("--endpoint-url", help="the server's URL (default: as botocore finds it)")
    group.add_argument("--region", help="region (default: as botocore finds it, else us-east-1)")
    group.add_argument("--profile", help="a profile of the shared AWS config and credentials")
    group.add_argument(
        "--data-dir",
        type=Path,
        help="the local server's data directory, for its credentials file when nothing "
        "else gives credentials",
    )


def ssm_client(args: argparse.Namespace) -> SSMClient:
    client: SSMClient = _client(args, "ssm")
    return client


def events_client(args: argparse.Namespace) -> EventBridgeClient:
    """boto3's EventBridge client on the same server: openssm's event rules and targets."""
    client: EventBridgeClient = _client(args, "events")
    return client


def cloudtrail_client(args: argparse.Namespace) -> CloudTrailClient:
    """CloudTrail's client, on the same server (openssm answers LookupEvents there too)."""
    client: CloudTrailClient = _client(args, "cloudtrail")
    return client


def _client(args: argparse.Namespace, service: Literal["ssm", "cloudtrail", "events"]) -> Any:
    import boto3
    import botocore.config

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    if session.get_credentials() is None:
        credentials = (args.data_dir or default_data_dir()) / "credentials"
        if credentials.is_file():
            session = _server_session(credentials, args.region)
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 5})
    kwargs: dict[str, Any] = {"config": config}
    # The SSM endpoint is the server's for every service it speaks.
    endpoint = (
        args.endpoint_url or _configured_endpoint(session, service) or _configured_endpoint(session)
    )
    kwargs["endpoint_url"] = endpoint or LOCAL_ENDPOINT
    if not session.region_name:
        kwargs["region_name"] = DEFAULT_REGION
    return session.client(service, **kwargs)


def _server_session(credentials: Path, region: str | None) -> Any:
    import boto3
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("credentials_file", str(credentials))
    core.set_config_variable("profile", SERVER_PROFILE)
    return boto3.Session(botocore_session=core, region_name=region)


def _configured_endpoint(session: Any, service: str = "ssm") -> str | None:
    """The endpoint botocore would use from the environment or the profile, if any."""
    from botocore.configprovider import ConfiguredEndpointProvider

    core = session._session  # boto3 exposes the botocore session only under this name
    provider = ConfiguredEndpointProvider(
        full_config=core.full_config, scoped_config=core.get_scoped_config(), client_name=service
    )
    found = provider.provide()
    return None if found is None else str(found)
