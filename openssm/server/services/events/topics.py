"""Where Run Command's notifications go: the destination mapped to each NotificationArn.

SendCommand names an SNS topic ARN; the operator decides, on the server's host (``openssm
events topic set``), whether that topic is a webhook or a topic on the SNS-compatible service
the server's configuration names. An API caller can name a topic but never choose where the
server connects for it. A topic nothing is mapped to delivers nothing (the relay logs it).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.engine import Connection

from openssm.errors import OpenSSMError
from openssm.server.events import outbound
from openssm.server.events.senders import secret_binding
from openssm.server.secrets import Keyring
from openssm.server.store.events import rules as repo

TOPIC_ARN = re.compile(r"arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")


class TopicError(OpenSSMError):
    """The mapping cannot be made; the message says why."""


def set_topic(
    conn: Connection,
    keyring: Keyring,
    *,
    account_id: str,
    region: str,
    topic_arn: str,
    webhook: str | None,
    secret: str | None,
    now: dt.datetime,
) -> None:
    """Map the topic to a webhook (signed with ``secret`` when given), or, without one, to
    the topic of that ARN on the configured SNS-compatible service."""
    if not TOPIC_ARN.fullmatch(topic_arn):
        raise TopicError(f"{topic_arn} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
    if webhook is None:
        kind, address, sealed = "sns", topic_arn, None
    else:
        try:
            outbound.check_url_form(webhook)
        except outbound.OutboundRefused as exc:
            raise TopicError(str(exc)) from None
        kind, address = "webhook", webhook
        row = repo.TargetRow(
            id=0,
            account_id=account_id,
            region=region,
            rule_id=None,
            target_id="topic",
            topic_arn=topic_arn,
            kind=kind,
            address=address,
            secret_sealed=None,
            max_attempts=None,
            created_at=now,
        )
        sealed = keyring.seal_secret(secret, bound_to=secret_binding(row)) if secret else None
    repo.put_topic(
        conn,
        account_id=account_id,
        region=region,
        topic_arn=topic_arn,
        target=repo.NewTarget(kind=kind, address=address, secret_sealed=sealed, max_attempts=None),
        now=now,
    )


def list_topics(conn: Connection, *, account_id: str, region: str) -> list[repo.TargetRow]:
    return repo.list_topics(conn, account_id=account_id, region=region)


def remove_topic(conn: Connection, *, account_id: str, region: str, topic_arn: str) -> bool:
    return repo.remove_topic(conn, account_id=account_id, region=region, topic_arn=topic_arn)
