"""The FastAPI application: routers and error handlers wired around one service context."""

from __future__ import annotations

from fastapi import FastAPI

from services.order_entry import health
from shared.runtime import ServiceContext


def create_app(ctx: ServiceContext) -> FastAPI:
    app = FastAPI(title="Carbonlink", version="0.1.0", openapi_url="/openapi.json")
    app.state.ctx = ctx
    app.include_router(health.router)
    return app
