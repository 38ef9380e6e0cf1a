"""What an operation is (name → handler and the resources it touches), and the table of them.

Each handler package exports its ``OPERATIONS``; the app assembles the table from them
(``openssm.server.app.operation_table``). Dispatch comes only from that table (never from
attribute lookup), so an operation exists on the wire exactly when a handler package lists it.
This module imports no handler, so handlers can import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime

Body = dict[str, Any]
Handler = Callable[[Runtime, RequestContext, Body], Awaitable[Mapping[str, Any]]]
ResourceResolver = Callable[[RequestContext, Body], list[str]]
# Other actions a call needs besides its own, each with the resources it is checked on.
OtherActions = Callable[[RequestContext, Body], list[tuple[str, list[str]]]]


def any_resource(_ctx: RequestContext, _body: Body) -> list[str]:
    """For operations without resource-level permissions, as in IAM."""
    return ["*"]


def no_other_actions(_ctx: RequestContext, _body: Body) -> list[tuple[str, list[str]]]:
    return []


@dataclass(frozen=True, slots=True)
class Operation:
    """One wire operation.

    ``denied_with`` names the other actions that read or change the same resources (the
    single form of a batch call, say): an explicit Deny of any of them on a resource refuses
    this call too, so a Deny can't be stepped around by choosing another form of the call.
    ``also_needs`` names actions of other services the call performs for the caller (reading
    a resource group's members, say), checked as AWS checks them, after the call's own.
    """

    name: str
    handler: Handler
    resources: ResourceResolver = any_resource
    denied_with: tuple[str, ...] = ()
    also_needs: OtherActions = no_other_actions


def build_operation_table(groups: Iterable[Iterable[Operation]]) -> dict[str, Operation]:
    table: dict[str, Operation] = {}
    for group in groups:
        for op in group:
            if op.name in table:
                raise ValueError(f"operation {op.name} registered twice")
            table[op.name] = op
    return table
