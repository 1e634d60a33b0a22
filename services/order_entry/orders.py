"""Traders' order routes under /v1/orders: place, amend, cancel, read, list, mass-cancel."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from services.order_entry.deps import AnyPrincipal, TraderOrOperator
from services.order_entry import prometheus_metrics as metrics
from services.order_entry.errors import ApiError, error_responses
from services.order_entry.order_decisions import view
from services.order_entry.order_desk import OrderDesk
from services.order_entry.schemas import (
    AccountId, Accepted, AmendRequest, MassCancelRequest, OrderPage, OrderRequest, OrderView,
)
from shared import market_keys as mk

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=error_responses(400, 401, 403, 422, 429, 503))

OrderId = Annotated[str, Path(min_length=1, max_length=200)]


def _desk(request: Request) -> OrderDesk:
    return request.app.state.desk


@router.post("", response_model=OrderView, status_code=201,
             responses={200: {"model": OrderView, "description": "a retry: the order placed before"},
                        **error_responses(404, 409)})
async def place_order(body: OrderRequest, principal: TraderOrOperator, request: Request, response: Response) -> OrderView:
    """Check, reserve and submit an order; a retry with the same `client_order_id` returns the same order."""
    started = time.perf_counter()
    try:
        order, new = await _desk(request).submit(principal, body)
    except ApiError as err:
        metrics.order_rejected(err.code)
        raise
    metrics.order_answered(new=new, seconds=time.perf_counter() - started)
    if not new:
        response.status_code = 200
    return order


@router.get("", response_model=OrderPage)
async def list_orders(
    principal: AnyPrincipal, request: Request,
    account: Annotated[AccountId, Query()],
    status: Annotated[str | None, Query(pattern="^(" + "|".join(mk.ORDER_STATUSES) + ")$")] = None,
    instrument: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str, Query(pattern=r"^[0-9]{1,9}$")] = "0",
) -> OrderPage:
    """An account's orders, newest first, one page at a time."""
    return await _desk(request).list(principal, account=account, status=status, instrument=instrument, limit=limit,
                                     cursor=int(cursor))


@router.post("/mass-cancel", response_model=Accepted, status_code=202, responses=error_responses(404))
async def mass_cancel(body: MassCancelRequest, principal: TraderOrOperator, request: Request) -> Accepted:
    """Cancel every open order of an account (traders) or of an instrument / registry (operators)."""
    return Accepted(detail=await _desk(request).mass_cancel(principal, body))


@router.get("/{order_id}", response_model=OrderView, responses=error_responses(404))
async def get_order(order_id: OrderId, principal: AnyPrincipal, request: Request) -> OrderView:
    return view(await _desk(request).order(principal, order_id))


@router.delete("/{order_id}", response_model=OrderView, status_code=202, responses=error_responses(404, 409))
async def cancel_order(order_id: OrderId, principal: TraderOrOperator, request: Request) -> OrderView:
    """Ask matching to cancel the order; its CANCELLED state follows from the execution report."""
    return await _desk(request).cancel(principal, order_id)


@router.patch("/{order_id}", response_model=OrderView, status_code=202, responses=error_responses(404, 409))
async def amend_order(order_id: OrderId, body: AmendRequest, principal: TraderOrOperator, request: Request) -> OrderView:
    """Amend price and/or open quantity; a larger need is reserved before the amend is sent."""
    return await _desk(request).amend(principal, order_id, body)
