"""What the dispatcher tests share: a real store and keyring on a FakeClock, registered nodes,
a sent command, and a recording peer standing in for an agent's socket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Connection

from openssm.clock import FakeClock
from openssm.protocol.frames import Frame, ResultFrame, StepResult
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services.commands import send
from openssm.server.services.fleet import activations, instances
from openssm.server.store.commands import repo
from openssm.server.store.engine import Store
from tests.unit.server.services.documents.store import open_store

World = tuple[Store, Keyring, FakeClock]


class RecordingPeer:
    def __init__(self) -> None:
        self.frames: list[Frame] = []

    async def send_frame(self, frame: Frame) -> None:
        self.frames.append(frame)

    async def close(self, code: int, *, frame: Frame | None = None, reason: str = "") -> bool:
        return True


@contextmanager
def open_world(root: Path) -> Iterator[World]:
    with open_store(root) as (store, keyring):
        yield store, keyring, FakeClock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))


def register_nodes(store: Store, ctx: RequestContext, count: int = 1) -> list[str]:
    def register(conn: Connection) -> list[str]:
        created = activations.create_activation(
            conn,
            ctx,
            activations.CreateInput(iam_role="SSMServiceRole", registration_limit=count),
        )
        return [
            instances.register_instance(
                conn,
                instances.RegisterInput(
                    activation_id=created.activation_id,
                    activation_code=created.activation_code,
                    public_key=bytes([n]) * 32,
                ),
                now=ctx.now,
            ).instance_id
            for n in range(count)
        ]

    return store.write_sync(register)


def send_command(
    store: Store, keyring: Keyring, ctx: RequestContext, nodes: Sequence[str]
) -> repo.CommandRow:
    request = send.SendInput(
        document_name="AWS-RunShellScript",
        parameters={"commands": ["sleep 1"], "executionTimeout": ["60"]},
        instance_ids=list(nodes),
        delivery_timeout_s=30,
        max_concurrency="100%",
    )
    return store.write_sync(
        lambda conn: send.send_command(conn, ctx, keyring, request, online_cutoff=ctx.now)
    )


def details(store: Store, command_id: str) -> dict[str, int]:
    return store.read_sync(lambda conn: repo.details_of(conn, command_id))


def result_frame(command_id: str, status: str, code: int, stdout: str = "") -> ResultFrame:
    """An agent's result of a one-step aws:runShellScript command."""
    step = StepResult(
        index=0,
        name="0.awsrunShellScript",
        action="aws:runShellScript",
        status=status,
        status_details=status,
        response_code=code,
        started_at=1.0,
        ended_at=2.0,
        stdout=stdout,
        stderr="",
    )
    return ResultFrame(
        command_id=command_id, details=status, response_code=code, ended_at=2.0, steps=[step]
    )
