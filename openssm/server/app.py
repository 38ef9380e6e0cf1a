"""build_app: the Starlette application with its routes and background loops."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from openssm.server.api.endpoint import (
    CLOUDTRAIL_TARGET_PREFIX,
    TARGET_PREFIX,
    ApiEndpoint,
    TargetRouter,
)
from openssm.server.api.events_stream import ROUTE as EVENTS_TAIL_ROUTE
from openssm.server.api.events_stream import EventStreamRoute
from openssm.server.api.gate import Gate
from openssm.server.api.handlers import (
    associations,
    audit,
    commands,
    compliance,
    documents,
    events,
    fleet,
    groups,
    inventory,
    parameters,
    sessions,
    tags,
)
from openssm.server.api.model import ServiceModel, load_service_model
from openssm.server.api.operations import Operation, build_operation_table
from openssm.server.api.output_route import OutputRoute
from openssm.server.api.restjson import RestJsonEndpoint
from openssm.server.channel.endpoint import ChannelEndpoint
from openssm.server.channel.presence import Presence, flush_interval_s
from openssm.server.channel.registration import RegistrationEndpoint
from openssm.server.dispatch.dispatcher import Dispatcher
from openssm.server.loops import BackgroundLoop
from openssm.server.outputs.collector import STAGING_DIR, OutputCollector
from openssm.server.outputs.staging import OutputStaging
from openssm.server.runtime import Runtime
from openssm.server.services.audit.redaction import Redactor
from openssm.server.services.audit.writer import AuditPruner, AuditWriter, OutboxChoice
from openssm.server.services.fleet import instances
from openssm.server.services.sessions.transcripts import ROUTE as TRANSCRIPT_ROUTE
from openssm.server.sessions.agent_endpoint import AgentLegEndpoint
from openssm.server.sessions.client_endpoint import ClientEndpoint
from openssm.server.sessions.reaper import SessionReaper
from openssm.server.sessions.relays import SessionRelays
from openssm.server.sessions.starter import SessionStarter
from openssm.server.sessions.transcript_route import TranscriptRoute
from openssm.server.store.replicas import ReplicaLease, new_replica_id

log = logging.getLogger("openssm.server")

EVENTS_TARGET_PREFIX = "AWSEvents."


async def _health(_request: Request) -> JSONResponse:
    # Reveals nothing that needs authentication (SECURITY.md #20).
    return JSONResponse({"status": "ok"})


def operation_table() -> dict[str, Operation]:
    """Every implemented operation, from the handler packages: the one table dispatch uses."""
    return build_operation_table(
        [
            associations.OPERATIONS,
            commands.OPERATIONS,
            compliance.OPERATIONS,
            documents.OPERATIONS,
            fleet.OPERATIONS,
            inventory.OPERATIONS,
            parameters.OPERATIONS,
            sessions.OPERATIONS,
            tags.OPERATIONS,
        ]
    )


def groups_operation_table() -> dict[str, Operation]:
    """The operations of AWS Resource Groups, served on the same URL (REST-JSON paths)."""
    return build_operation_table([groups.OPERATIONS])


def events_operation_table() -> dict[str, Operation]:
    """The operations of Amazon EventBridge that manage event rules (AWS JSON 1.1 too)."""
    return build_operation_table([events.OPERATIONS])


def audit_loops(runtime: Runtime) -> list[BackgroundLoop]:
    """The audit trail's writer (it flushes once more when stopped) and its pruner."""
    settings = runtime.settings
    redactors = {
        f"{service}.amazonaws.com": Redactor(load_service_model(service))
        for service in ("ssm", "resource-groups", "events", "cloudtrail")
    }
    writer = AuditWriter(
        runtime.audit,
        runtime.store,
        redactors,
        interval_s=settings.audit_flush_interval_s,
        outbox=OutboxChoice(settings.audit_events),
    )
    pruner = AuditPruner(
        runtime.store,
        runtime.clock,
        retention=dt.timedelta(days=settings.audit_retention_days),
        interval_s=settings.audit_prune_interval_s,
    )
    return [writer, pruner]


def build_app(runtime: Runtime, loops: Sequence[BackgroundLoop] = ()) -> Starlette:
    model = ServiceModel(strict=runtime.settings.strict_output)
    gate = Gate(runtime)
    api = ApiEndpoint(runtime, model, operation_table(), gate)
    events_model = ServiceModel(
        strict=runtime.settings.strict_output, model=load_service_model("events")
    )
    events_api = ApiEndpoint(
        runtime,
        events_model,
        events_operation_table(),
        gate,
        service="events",
        target_prefix=EVENTS_TARGET_PREFIX,
    )
    cloudtrail_api = ApiEndpoint(
        runtime,
        ServiceModel(strict=runtime.settings.strict_output, model=load_service_model("cloudtrail")),
        build_operation_table([audit.OPERATIONS]),
        gate,
        service="cloudtrail",
        target_prefix=CLOUDTRAIL_TARGET_PREFIX,
    )
    groups_api = RestJsonEndpoint(
        runtime, gate, groups_operation_table(), strict=runtime.settings.strict_output
    )

    async def revoke(instance_ids: set[str]) -> None:
        for instance_id in sorted(instance_ids):
            await runtime.hub.revoke(instance_id, instances.deregistration_notice(instance_id))

    lease = ReplicaLease(runtime.store.engine, new_replica_id())
    relays = SessionRelays(runtime, lease.replica_id)
    presence = Presence(
        runtime.store,
        interval_s=flush_interval_s(runtime.settings.connection_lost_after_s),
        on_deregistered=revoke,
        clock=runtime.clock,
    )
    dispatcher = Dispatcher(runtime.store, runtime.keyring, runtime.hub, runtime.clock)
    runtime.commands_doorbell.listen(dispatcher.wake)
    runtime.command_starter.attach(dispatcher.start_new)
    collector = OutputCollector(
        runtime.store,
        runtime.objects,
        runtime.hub,
        OutputStaging(
            runtime.settings.data_dir / STAGING_DIR,
            max_bytes=runtime.settings.output_stream_max_bytes,
        ),
        ready=dispatcher.result_ready,
        connected=dispatcher.agent_connected,
        delivered=dispatcher.delivered_command,
    )
    # The audit writer stops last of all, then the presence flusher: by then the server has
    # closed every agent connection, and their disconnections are written and recorded.
    all_loops: list[BackgroundLoop] = [
        *audit_loops(runtime),
        presence,
        dispatcher,
        collector,
        SessionStarter(runtime),
        SessionReaper(runtime, lease),
        *loops,
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for loop in all_loops:
            await loop.start()
        try:
            yield
        finally:
            # Reverse order: what started last depends on what started first.
            for loop in reversed(all_loops):
                await loop.stop()

    return Starlette(
        routes=[
            Route(
                "/",
                TargetRouter(
                    {
                        TARGET_PREFIX: api,
                        EVENTS_TARGET_PREFIX: events_api,
                        CLOUDTRAIL_TARGET_PREFIX: cloudtrail_api,
                    }
                ),
                methods=["POST"],
            ),
            Route("/health", _health, methods=["GET"]),
            Route("/output/{tail:path}", OutputRoute(runtime, gate), methods=["GET"]),
            Route(EVENTS_TAIL_ROUTE, EventStreamRoute(runtime, gate), methods=["GET"]),
            Route("/agent/v1/register", RegistrationEndpoint(runtime).register, methods=["POST"]),
            WebSocketRoute("/agent/v1/channel", ChannelEndpoint(runtime, presence, collector)),
            WebSocketRoute("/agent/v1/session/{session_id}", AgentLegEndpoint(runtime, relays)),
            WebSocketRoute("/v1/data-channel/{session_id}", ClientEndpoint(runtime, relays)),
            Route(
                TRANSCRIPT_ROUTE + "{session_id}",
                TranscriptRoute(runtime, gate),
                methods=["GET"],
            ),
            *(Route(path, groups_api) for path in groups_api.router.starlette_paths()),
        ],
        lifespan=lifespan,
    )
