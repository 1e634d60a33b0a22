"""The public transparency dashboard and the operator console: static pages served by order entry, fed by
the JSON API and the WebSocket, plus the few read endpoints they need (fx rates, market summary, drill
reports, the latest audit). Include ``router`` in the app; it carries the static mount too."""

from __future__ import annotations

from fastapi import APIRouter

from services.order_entry.web import audit, fx, market_summary, pages, reports

__all__ = ["router"]

router = APIRouter()
for _module in (fx, market_summary, reports, audit, pages):
    router.include_router(_module.router)
