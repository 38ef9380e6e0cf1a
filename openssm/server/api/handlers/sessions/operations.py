"""Session Manager operations: StartSession, ResumeSession, TerminateSession,
DescribeSessions, GetConnectionStatus.

Authorization as in IAM: ``ssm:StartSession`` on the node AND on the session document,
the default ``SSM-SessionManagerRunShell`` included (AWS checks the default document only
when a policy sets ``ssm:SessionDocumentAccessCheck``; we always do, so a policy that
allows port forwarding never also allows a shell). ResumeSession and TerminateSession are
checked on the session's ARN (``…:session/<id>``), whose id begins with the owner's user
name, so ``session/${aws:username}-*`` allows a user their own sessions only.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Mapping
from typing import Any

from openssm import arns
from openssm.errors import TargetNotConnected
from openssm.protocol.frames import SessionEndFrame
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.documents.catalog import document_arn
from openssm.server.services.sessions import lifecycle, reads, transcripts
from openssm.server.services.sessions.lifecycle import Opened
from openssm.server.services.sessions.model import ACTIVE

Out = Mapping[str, Any]
STREAM_PATH = "/v1/data-channel/"
# With several replicas: how long StartSession waits for the agent to open its leg.
RELAY_WAIT_S = 10.0
RELAY_POLL_S = 0.05


def _node_arn(ctx: RequestContext, target: str) -> str:
    return arns.managed_instance_arn(ctx.region, ctx.account_id, target)


def session_arn(ctx: RequestContext, session_id: str) -> str:
    return arns.ssm_arn(ctx.region, ctx.account_id, f"session/{session_id}")


def _start_resources(ctx: RequestContext, body: Body) -> list[str]:
    name = body.get("DocumentName") or lifecycle.DEFAULT_DOCUMENT
    return [_node_arn(ctx, body["Target"]), document_arn(ctx, name)]


def _session_resources(ctx: RequestContext, body: Body) -> list[str]:
    return [session_arn(ctx, body["SessionId"])]


def stream_url(server_url: str, session_id: str) -> str:
    """The data channel on the server at ``server_url``: wss:// behind TLS, else ws://."""
    parts = urllib.parse.urlsplit(server_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = STREAM_PATH + urllib.parse.quote(session_id, safe="")
    return f"{scheme}://{parts.netloc}{path}?role=publish_subscribe"


async def _opened(rt: Runtime, ctx: RequestContext, opened: Opened) -> Out:
    """The answer naming the server whose relay holds the agent: the one the caller reached
    when it holds the agent's channel, else the replica the agent opened its leg to."""
    server_url = ctx.endpoint_url
    if opened.target not in rt.hub:
        server_url = await _relay_of(rt, opened)
    return {
        "SessionId": opened.session_id,
        "TokenValue": opened.token,
        "StreamUrl": stream_url(server_url, opened.session_id),
    }


async def _relay_of(rt: Runtime, opened: Opened) -> str:
    """The address of the replica the agent opened the session's leg to, once it has."""
    session_id = opened.session_id
    async with asyncio.timeout(RELAY_WAIT_S):
        while True:
            url = await rt.store.read(lambda conn: lifecycle.relay_url(conn, session_id))
            if url:
                return url
            await asyncio.sleep(RELAY_POLL_S)


async def start_session(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    opened = await rt.store.write(
        lambda conn: lifecycle.start_session(
            conn,
            ctx,
            rt.keyring,
            target=body["Target"],
            document_name=body.get("DocumentName"),
            parameters=body.get("Parameters") or {},
            reason=body.get("Reason"),
            is_connected=rt.hub.__contains__,
            minute_s=rt.settings.session_minute_s,
            has_s3=rt.objects.s3 is not None,
        )
    )
    await rt.hub.send(opened.target, opened.spec.start_frame(opened.session_id))
    try:
        return await _opened(rt, ctx, opened)
    except TimeoutError:
        raise TargetNotConnected(f"{opened.target} did not open the session.") from None


async def resume_session(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    session_id = body["SessionId"]
    opened = await rt.store.write(lambda conn: lifecycle.resume_session(conn, ctx, session_id))
    if opened is None:
        return {"SessionId": session_id, "TokenValue": "", "StreamUrl": ""}
    try:
        return await _opened(rt, ctx, opened)
    except TimeoutError:
        return {"SessionId": session_id, "TokenValue": "", "StreamUrl": ""}


async def terminate_session(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    session_id = body["SessionId"]
    target = await rt.store.write(lambda conn: lifecycle.terminate_session(conn, ctx, session_id))
    if target is not None:
        await rt.hub.send(
            target, SessionEndFrame(session_id=session_id, reason=lifecycle.END_REASON)
        )
    return {"SessionId": session_id}


def _session(ctx: RequestContext, row: reads.SessionRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SessionId": row.session_id,
        "Target": row.target,
        "Status": row.status,
        "StartDate": row.start_date,
        "DocumentName": row.document_name,
        "Owner": row.owner,
        "Details": row.details,
        "AccessType": reads.ACCESS_TYPE,
        "OutputUrl": {
            "S3OutputUrl": (
                transcripts.output_url(ctx.endpoint_url, row.session_id)
                if row.transcript_chunks or row.status in ACTIVE
                else ""
            ),
            "CloudWatchOutputUrl": "",
        },
    }
    if row.end_date is not None:
        out["EndDate"] = row.end_date
    if row.reason:
        out["Reason"] = row.reason
    if row.max_session_duration:
        out["MaxSessionDuration"] = row.max_session_duration
    return out


async def describe_sessions(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    hides = ctx.hides

    def hidden(row: reads.SessionRow) -> bool:
        return hides is not None and hides(session_arn(ctx, row.session_id))

    rows, token = await rt.store.scan(
        lambda conn: reads.describe_sessions(
            conn,
            ctx,
            state=body["State"],
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
            hides=hidden if hides is not None else None,
        )
    )
    return {"Sessions": [_session(ctx, r) for r in rows], "NextToken": token}


async def get_connection_status(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    target = body["Target"]
    status = await rt.store.read(
        lambda conn: reads.connection_status(conn, ctx, target, is_connected=rt.hub.__contains__)
    )
    return {"Target": target, "Status": status}


OPERATIONS = (
    Operation("StartSession", start_session, _start_resources),
    Operation("ResumeSession", resume_session, _session_resources),
    Operation("TerminateSession", terminate_session, _session_resources),
    Operation("DescribeSessions", describe_sessions),
    Operation("GetConnectionStatus", get_connection_status),
)
