"""Who is asking, where, and when: built once per API request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from openssm import arns


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    account_id: str
    region: str
    principal_arn: str
    request_id: str
    now: dt.datetime
    # Whether the caller is explicitly denied this call on one resource ARN; None when the
    # caller's policies deny nothing. Calls answering with many resources (by path,
    # describe) leave out what it hides, so a Deny holds in every form of a call.
    hides: Callable[[str], bool] | None = None
    # The parameters generation read with the caller's identity when the request began
    # (one statement for both); None outside API requests, where it is read on demand.
    parameters_generation: int | None = None
    # scheme://host the caller reached this server at (its signed Host header): links the
    # server gives back, such as output URLs, start with it.
    endpoint_url: str = ""

    @property
    def partition(self) -> str:
        return arns.partition_for(self.region)

    def ssm_arn(self, resource: str) -> str:
        return arns.ssm_arn(self.region, self.account_id, resource)
