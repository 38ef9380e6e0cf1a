"""`openssm admin`: users, access keys and policies, managed on the server's own store.

These commands open the database directly, so only someone who can read the
server's data dir and database can change who may call the API.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openssm.cli.flags import given_settings
from openssm.cli.server_cmd import STORE_SETTINGS, add_server_options


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "admin", help="manage users, access keys and policies"
    )
    add_server_options(parser)
    area = parser.add_subparsers(dest="area", required=True)

    users = area.add_parser("user", help="users").add_subparsers(dest="verb", required=True)
    users.add_parser("list").set_defaults(handler=_user_list)
    create = users.add_parser("create")
    create.add_argument("name")
    create.set_defaults(handler=_user_create)
    delete = users.add_parser("delete")
    delete.add_argument("name")
    delete.set_defaults(handler=_user_delete)
    run_as = users.add_parser(
        "run-as",
        help="the OS user this user's sessions run as when run-as is on (tag SSMSessionRunAs)",
    )
    run_as.add_argument("name")
    chosen = run_as.add_mutually_exclusive_group(required=True)
    chosen.add_argument("os_user", nargs="?", help="the operating-system user")
    chosen.add_argument("--clear", action="store_true", help="remove the tag")
    run_as.set_defaults(handler=_user_run_as)

    keys = area.add_parser("key", help="access keys").add_subparsers(dest="verb", required=True)
    keys.add_parser("list").set_defaults(handler=_key_list)
    kcreate = keys.add_parser("create")
    kcreate.add_argument("user")
    kcreate.add_argument("--expires-in-days", type=float)
    kcreate.set_defaults(handler=_key_create)
    for verb, handler in (
        ("disable", _key_disable),
        ("enable", _key_enable),
        ("delete", _key_delete),
    ):
        cmd = keys.add_parser(verb)
        cmd.add_argument("access_key_id")
        cmd.set_defaults(handler=handler)

    policies = area.add_parser("policy", help="inline user policies").add_subparsers(
        dest="verb", required=True
    )
    put = policies.add_parser("put")
    put.add_argument("user")
    put.add_argument("policy_name")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--document", help="the policy JSON")
    source.add_argument("--file", help="a file holding the policy JSON")
    put.set_defaults(handler=_policy_put)
    plist = policies.add_parser("list")
    plist.add_argument("user")
    plist.set_defaults(handler=_policy_list)
    pdelete = policies.add_parser("delete")
    pdelete.add_argument("user")
    pdelete.add_argument("policy_name")
    pdelete.set_defaults(handler=_policy_delete)


class _Admin:
    def __init__(self, args: argparse.Namespace) -> None:
        from openssm.clock import SystemClock
        from openssm.config import ServerSettings, load_server_settings
        from openssm.server.secrets import Keyring
        from openssm.server.store import migrate
        from openssm.server.store.engine import Store, create_engine

        self.settings = load_server_settings(
            given_settings(args, ServerSettings, only=STORE_SETTINGS)
        )
        self.keyring = Keyring.load_or_create(self.settings.keyring_file)
        engine = create_engine(self.settings.resolved_database_url, pool_size=1)
        migrate.upgrade(engine)
        self.store = Store(engine, worker_threads=1)
        self.now = SystemClock().now()

    @property
    def account(self) -> str:
        return self.settings.account_id


@contextlib.contextmanager
def open_store(args: argparse.Namespace) -> Iterator[_Admin]:
    """The server's store, keyring and account, opened from its settings on its host."""
    admin = _Admin(args)  # a ConfigError is reported by openssm.cli.main
    try:
        yield admin
    finally:
        admin.store.close()


def _run(args: argparse.Namespace, action: Any) -> int:
    from openssm.server.services.identity import IdentityError

    admin = _Admin(args)  # a ConfigError is reported by openssm.cli.main
    try:
        action(admin)
    except IdentityError as exc:
        print(f"openssm admin: {exc}", file=sys.stderr)
        return 1
    finally:
        admin.store.close()
    return 0


def _user_list(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        for user in a.store.read_sync(identity.list_users):
            print(f"{user.account_id}\t{user.user_name}\t{user.created_at.isoformat()}")

    return _run(args, act)


def _user_create(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.create_user(c, account_id=a.account, user_name=args.name, now=a.now)
        )
        print(f"created user {args.name}")

    return _run(args, act)


def _user_delete(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.delete_user(c, account_id=a.account, user_name=args.name)
        )
        print(f"deleted user {args.name}")

    return _run(args, act)


def _user_run_as(args: argparse.Namespace) -> int:
    from openssm.server.services import identity
    from openssm.server.services.sessions.preferences import RUN_AS_TAG, is_os_user_name

    if not args.clear and not is_os_user_name(args.os_user):
        print(f"openssm admin: {args.os_user!r} is not an OS user name", file=sys.stderr)
        return 2

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.set_user_tag(
                c,
                account_id=a.account,
                user_name=args.name,
                key=RUN_AS_TAG,
                value=None if args.clear else args.os_user,
            )
        )
        if args.clear:
            print(f"{args.name}'s sessions run as the document's runAsDefaultUser")
        else:
            print(f"{args.name}'s sessions run as {args.os_user} where run-as is enabled")

    return _run(args, act)


def _key_list(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        for key in a.store.read_sync(identity.list_access_keys):
            expires = key.expires_at.isoformat() if key.expires_at else "-"
            print(f"{key.access_key_id}\t{key.user.user_name}\t{key.status}\t{expires}")

    return _run(args, act)


def _key_create(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        expires = a.now + dt.timedelta(days=args.expires_in_days) if args.expires_in_days else None
        key = a.store.write_sync(
            lambda c: identity.create_access_key(
                c,
                a.keyring,
                account_id=a.account,
                user_name=args.user,
                now=a.now,
                expires_at=expires,
            )
        )
        print(f"aws_access_key_id = {key.access_key_id}")
        print(f"aws_secret_access_key = {key.secret_access_key}")

    return _run(args, act)


def _key_status(args: argparse.Namespace, *, active: bool) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.set_access_key_status(
                c, access_key_id=args.access_key_id, active=active
            )
        )
        print(f"{args.access_key_id} is now {'Active' if active else 'Inactive'}")

    return _run(args, act)


def _key_disable(args: argparse.Namespace) -> int:
    return _key_status(args, active=False)


def _key_enable(args: argparse.Namespace) -> int:
    return _key_status(args, active=True)


def _key_delete(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.delete_access_key(c, access_key_id=args.access_key_id)
        )
        print(f"deleted {args.access_key_id}")

    return _run(args, act)


def _policy_put(args: argparse.Namespace) -> int:
    from openssm.server.api.authz import PolicyError, parse_policy
    from openssm.server.services import identity

    text = args.document if args.document is not None else Path(args.file).read_text()
    try:
        parse_policy(text)
    except PolicyError as exc:
        print(f"openssm admin: invalid policy: {exc}", file=sys.stderr)
        return 2
    canonical = json.dumps(json.loads(text), separators=(",", ":"))

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.put_user_policy(
                c,
                account_id=a.account,
                user_name=args.user,
                policy_name=args.policy_name,
                document=canonical,
            )
        )
        print(f"put policy {args.policy_name} on {args.user}")

    return _run(args, act)


def _policy_list(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        for name, document in a.store.read_sync(
            lambda c: identity.list_user_policies(c, account_id=a.account, user_name=args.user)
        ):
            print(f"{name}\t{document}")

    return _run(args, act)


def _policy_delete(args: argparse.Namespace) -> int:
    from openssm.server.services import identity

    def act(a: _Admin) -> None:
        a.store.write_sync(
            lambda c: identity.delete_user_policy(
                c, account_id=a.account, user_name=args.user, policy_name=args.policy_name
            )
        )
        print(f"deleted policy {args.policy_name} from {args.user}")

    return _run(args, act)
