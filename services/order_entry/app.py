"""The FastAPI application: routers and error handlers wired around one service context; its lifespan runs the
outbox relay (``outbox_relay``) and the event reader (``stream``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.order_entry import (
    accounts, admin_operations, admin_reference, errors, health, market_data, orders, stream, transparency, web,
)
from services.order_entry import band_overrides, oversight_admin, oversight_public
from services.order_entry.body_limit import BodyLimit
from services.order_entry.deps import make_ports
from services.order_entry.order_desk import OrderDesk
from services.order_entry.order_intake import OrderEntryApp
from services.order_entry.outbox_relay import OutboxRelay
from services.order_entry.stream_hub import Hub
from shared.runtime import ServiceContext


def create_app(ctx: ServiceContext, *, stream_events: bool = True) -> FastAPI:
    """The app over `ctx` (new orders take a short way in: ``order_intake``). Its lifespan runs the outbox relay
    and, with `stream_events`, reads the event topics (for the WebSocket and to see matching acknowledge the relay's
    commands)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        relay: OutboxRelay = app.state.relay
        relaying = asyncio.create_task(relay.run())
        reader = None
        if stream_events:
            reader = asyncio.create_task(stream.run_event_reader(ctx, app.state.hub, relay, app.state.follower))
        try:
            yield
        finally:
            relay.stop()
            if reader is not None:
                reader.cancel()
            await asyncio.gather(*(t for t in (relaying, reader) if t is not None), return_exceptions=True)
            await app.state.desk.close()

    app = OrderEntryApp(title="Carbonlink", version="0.1.0", openapi_url="/openapi.json", lifespan=lifespan)
    app.state.ctx = ctx
    app.state.ports = make_ports(ctx)
    app.state.desk = OrderDesk(app.state.ports)
    app.state.hub = Hub()
    app.state.follower = stream.Follower(app.state.hub)
    app.state.relay = OutboxRelay(ctx)
    errors.install(app)
    app.add_middleware(BodyLimit)
    # `web` carries the dashboard and console pages, their static assets and the read endpoints they use
    for module in (health, orders, accounts, market_data, transparency, admin_reference, admin_operations, stream, web,
                   oversight_admin, oversight_public, band_overrides):
        app.include_router(module.router)
    return app
