"""build_app: the Starlette application with its routes and background loops."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from openssm.server.api.endpoint import ApiEndpoint
from openssm.server.api.model import ServiceModel
from openssm.server.api.registry import default_registry
from openssm.server.runtime import Runtime

log = logging.getLogger("openssm.server")


class BackgroundLoop(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def _health(_request: Request) -> JSONResponse:
    # Reveals nothing that needs authentication (SECURITY.md #20).
    return JSONResponse({"status": "ok"})


def build_app(runtime: Runtime, loops: Sequence[BackgroundLoop] = ()) -> Starlette:
    model = ServiceModel(strict=runtime.settings.strict_output)
    api = ApiEndpoint(runtime, model, default_registry())

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for loop in loops:
            await loop.start()
        try:
            yield
        finally:
            # Reverse order: what started last depends on what started first.
            for loop in reversed(loops):
                await loop.stop()

    return Starlette(
        routes=[
            Route("/", api, methods=["POST"]),
            Route("/health", _health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
