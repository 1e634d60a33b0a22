"""The FastAPI application: routers and error handlers wired around one service context."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.order_entry import (
    accounts, admin_operations, admin_reference, errors, health, market_data, orders, stream, transparency, web,
)
from services.order_entry import oversight_admin, oversight_public
from services.order_entry.deps import make_ports
from services.order_entry.order_desk import OrderDesk
from services.order_entry.stream_hub import Hub
from shared.runtime import ServiceContext


def create_app(ctx: ServiceContext, *, stream_events: bool = True) -> FastAPI:
    """The app over `ctx`; with `stream_events` its lifespan reads the event topics for the WebSocket."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reader = asyncio.create_task(stream.run_event_reader(ctx, app.state.hub)) if stream_events else None
        try:
            yield
        finally:
            if reader is not None:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader

    app = FastAPI(title="Carbonlink", version="0.1.0", openapi_url="/openapi.json", lifespan=lifespan)
    app.state.ctx = ctx
    app.state.ports = make_ports(ctx)
    app.state.desk = OrderDesk(app.state.ports)
    app.state.hub = Hub()
    errors.install(app)
    # `web` carries the dashboard and console pages, their static assets and the read endpoints they use
    for module in (health, orders, accounts, market_data, transparency, admin_reference, admin_operations, stream, web,
                   oversight_admin, oversight_public):
        app.include_router(module.router)
    return app
