"""What one audited call is while it runs: filled in as the request goes, recorded at its end.

An ``ApiCall`` holds the raw facts (who, from where, which operation, its input and output,
how it ended). Nothing is shaped or redacted here: that happens off the request path, when
the writer turns a batch of calls into records (``records.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openssm import arns
from openssm.errors import AccessDeniedException, ApiError

EVENT_TYPE_API_CALL = "AwsApiCall"
# CloudTrail counts an operation as a read when its name says it only reads (TailEvents,
# openssm's live event stream, is one too).
_READ_PREFIXES = ("Get", "Describe", "List", "Lookup", "Search", "Tail")
MAX_USER_AGENT = 1024


def is_read_only(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


def error_code(exc: ApiError) -> str:
    """The errorCode CloudTrail records: AccessDenied for a refused authorization (as CloudTrail
    writes it), the exception's wire name otherwise."""
    return "AccessDenied" if isinstance(exc, AccessDeniedException) else exc.code


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """CloudTrail's userIdentity: an IAM user of the server, or a managed node."""

    type: str
    principal_id: str
    arn: str
    account_id: str
    user_name: str
    access_key_id: str = ""

    @classmethod
    def user(cls, *, account_id: str, user_name: str, access_key_id: str) -> Identity:
        return cls(
            type="IAMUser",
            principal_id=user_name,
            arn=arns.user_arn("", account_id, user_name),
            account_id=account_id,
            user_name=user_name,
            access_key_id=access_key_id,
        )

    @classmethod
    def node(cls, *, account_id: str, region: str, instance_id: str) -> Identity:
        """A managed node speaking for itself (its registration, its channel)."""
        return cls(
            type="AssumedRole",
            principal_id=instance_id,
            arn=arns.managed_instance_arn(region, account_id, instance_id),
            account_id=account_id,
            user_name=instance_id,
        )

    def to_json(self) -> dict[str, str]:
        found = {
            "type": self.type,
            "principalId": self.principal_id,
            "arn": self.arn,
            "accountId": self.account_id,
            "accessKeyId": self.access_key_id,
            "userName": self.user_name,
        }
        return {k: v for k, v in found.items() if v}


@dataclass(slots=True, kw_only=True)
class ApiCall:
    """One call as it is known so far; the endpoint and the gate fill it in."""

    event_source: str  # ssm.amazonaws.com
    event_name: str
    request_id: str
    event_time: dt.datetime
    source_ip: str
    user_agent: str
    # The server's account and region until a key (or a node) says whose call it is.
    account_id: str
    region: str
    identity: Identity | None = None
    # The key the request was signed with, recognized or not.
    access_key_id: str = ""
    parameters: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None
    resources: Sequence[str] = ()
    error_code: str | None = None
    error_message: str | None = None
    additional: Mapping[str, Any] | None = None
    event_type: str = EVENT_TYPE_API_CALL
    # Set when the call was made of parameters already fit to record (an agent's event).
    shaped: bool = False

    @property
    def read_only(self) -> bool:
        return is_read_only(self.event_name)

    @property
    def service(self) -> str:
        """The service prefix of the event source: ``ssm`` for ssm.amazonaws.com."""
        return self.event_source.split(".", 1)[0]

    def failed(self, exc: ApiError) -> None:
        self.error_code = error_code(exc)
        self.error_message = exc.message

    def failed_with(self, code: str, message: str) -> None:
        self.error_code = code
        self.error_message = message
