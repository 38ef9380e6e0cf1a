"""Everything a server needs before it can answer: data dir, keyring, schema, admin key."""

from __future__ import annotations

import resource
from dataclasses import dataclass

from openssm.clock import Clock
from openssm.config import DEFAULT_REGION, ServerSettings
from openssm.files import ensure_private_dir, write_private_file
from openssm.server.connections import ConnectionCounts, ConnectionLimits
from openssm.server.objects.stores import OutputStores, S3Service
from openssm.server.runtime import Runtime
from openssm.server.secrets import Keyring
from openssm.server.services import identity
from openssm.server.store import migrate
from openssm.server.store.engine import Store, create_engine


@dataclass(frozen=True, slots=True, kw_only=True)
class Bootstrapped:
    runtime: Runtime
    new_admin_key: identity.NewAccessKey | None


def bootstrap(settings: ServerSettings, clock: Clock) -> Bootstrapped:
    """Prepare the data dir, open the store, migrate it and make sure an admin key exists."""
    ensure_private_dir(settings.data_dir)
    keyring = Keyring.load_or_create(
        settings.keyring_file, extra_aliases=settings.master_key_aliases
    )
    engine = create_engine(settings.resolved_database_url, pool_size=settings.worker_threads)
    migrate.upgrade(engine)
    store = Store(engine, worker_threads=settings.worker_threads)
    admin = settings.admin_credentials
    new_key = store.write_sync(
        lambda conn: identity.ensure_admin(
            conn,
            keyring,
            account_id=settings.account_id,
            now=clock.now(),
            access_key_id=admin.access_key_id if admin else None,
            secret_access_key=admin.secret_access_key if admin else None,
        )
    )
    if new_key is not None or not settings.credentials_file.exists():
        key = new_key or _first_admin_key(store, keyring, settings)
        if key is not None:
            write_credentials_file(settings, key)
    runtime = Runtime(
        settings=settings,
        store=store,
        keyring=keyring,
        clock=clock,
        objects=output_stores(settings),
        connections=ConnectionCounts(connection_limits(settings)),
    )
    return Bootstrapped(runtime=runtime, new_admin_key=new_key)


def output_stores(settings: ServerSettings) -> OutputStores:
    """The local store under the data dir, and the S3 service when one is configured."""
    s3 = None
    if settings.s3_endpoint_url:
        s3 = S3Service(
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return OutputStores.under(settings.data_dir, s3)


def connection_limits(settings: ServerSettings) -> ConnectionLimits:
    """Each kind's budget of connections, within the files this process may open."""
    open_files, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return ConnectionLimits.within(
        open_files, api=settings.max_api_connections, channels=settings.max_agent_channels
    )


def _first_admin_key(
    store: Store, keyring: Keyring, settings: ServerSettings
) -> identity.NewAccessKey | None:
    def find(conn: object) -> identity.NewAccessKey | None:
        for row in identity.list_access_keys(conn):  # type: ignore[arg-type]  # a Connection
            if row.user.user_name == identity.ADMIN_USER and row.status == "Active":
                return identity.NewAccessKey(
                    access_key_id=row.access_key_id,
                    secret_access_key=keyring.open_secret(
                        row.secret_sealed, bound_to=row.access_key_id
                    ),
                    user_name=row.user.user_name,
                    account_id=row.user.account_id,
                )
        return None

    return store.read_sync(find)


def write_credentials_file(settings: ServerSettings, key: identity.NewAccessKey) -> None:
    """The AWS shared-credentials format, profile `openssm`, mode 0600."""
    text = (
        "[openssm]\n"
        f"aws_access_key_id = {key.access_key_id}\n"
        f"aws_secret_access_key = {key.secret_access_key}\n"
    )
    write_private_file(settings.credentials_file, text.encode())


def banner(settings: ServerSettings, url: str) -> str:
    """The lines a user pastes to reach this server with boto3 and the aws CLI."""
    creds = settings.credentials_file
    return "\n".join(
        [
            f"openssm server listening on {url}",
            f"admin credentials: {creds} (profile 'openssm')",
            "",
            "aws CLI:",
            f"  export AWS_SHARED_CREDENTIALS_FILE={creds} AWS_PROFILE=openssm"
            f" AWS_DEFAULT_REGION={DEFAULT_REGION}",
            f"  aws ssm describe-parameters --endpoint-url {url}",
            "boto3:",
            f"  boto3.Session(profile_name='openssm', region_name='{DEFAULT_REGION}')"
            f".client('ssm', endpoint_url='{url}')",
            f"  (with AWS_SHARED_CREDENTIALS_FILE={creds})",
            *(
                ["if a private CA signed the certificate: export AWS_CA_BUNDLE=<its CA file>"]
                if settings.tls_cert
                else []
            ),
        ]
    )
