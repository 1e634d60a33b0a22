"""`GET /healthz`: Redis, the broker and the heartbeat of every other service, each reported on its own.

A service counts as healthy when its heartbeat is fresh, it reaches the broker and it is ready (consuming);
order entry itself is ready once its event reader has fetched."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shared.redis_health import fresh_beats, health_key

router = APIRouter()

PEERS = ("matching", "settlement", "bridge")


@router.get("/healthz", tags=["health"])
async def healthz(request: Request) -> JSONResponse:
    ctx = request.app.state.ctx
    components: dict[str, dict] = {"order_entry": {"healthy": ctx.ready}}
    try:
        await asyncio.wait_for(ctx.redis.ping(), timeout=1.0)
        components["redis"] = {"healthy": True}
    except Exception as err:
        components["redis"] = {"healthy": False, "error": type(err).__name__}
    components["broker"] = {"healthy": ctx.kafka_ok}
    if components["redis"]["healthy"]:
        for peer in PEERS:
            beats = fresh_beats(await ctx.redis.hgetall(health_key(peer)), ttl_s=ctx.settings.heartbeat_ttl_s)
            live = [beat for beat in beats.values() if beat.get("kafka_ok") and beat.get("ready")]
            components[peer] = {"healthy": bool(live), "instances": len(beats)}
    healthy = all(c["healthy"] for c in components.values())
    return JSONResponse({"healthy": healthy, "components": components}, status_code=200 if healthy else 503)
