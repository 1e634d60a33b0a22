"""``GET /v1/fx``: the value of one unit of each quoted currency in the reporting currency, for display.

The rates live in the Redis hash ``ref:fx`` (field = currency, value = an exact fraction string such as
``"0.048"``; field ``reporting_currency`` names the currency they are expressed in), filled by whoever loads
a scenario. Without it every rate is 1:1 and the reporting currency is unnamed.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.order_entry.deps import PortsDep
from services.order_entry.errors import error_responses
from shared.ledger.views import text_map
from shared.money import AmountError, format_fraction, parse_fraction

router = APIRouter(prefix="/v1", tags=["market data"], responses=error_responses(503))

FX_KEY = "ref:fx"
REPORTING_FIELD = "reporting_currency"


class FxView(BaseModel):
    reporting_currency: str | None = Field(description="null when no rates are loaded (every rate is then 1)")
    rates: dict[str, str] = Field(description="currency → value of one unit in the reporting currency (fraction)")
    loaded: bool


def fx_view(stored: dict[str, str], currencies: set[str]) -> FxView:
    """Rates for every quoted currency: a stored valid positive rate, else 1."""
    rates = {}
    for currency in sorted(currencies | (stored.keys() - {REPORTING_FIELD})):
        try:
            rate = parse_fraction(stored.get(currency, "1"))
        except AmountError:
            rate = None
        rates[currency] = format_fraction(rate) if rate is not None and rate > 0 else "1"
    return FxView(reporting_currency=stored.get(REPORTING_FIELD) or None, rates=rates, loaded=bool(stored))


@router.get("/fx", response_model=FxView)
async def fx(ports: PortsDep) -> FxView:
    """Display rates into the reporting currency (default 1:1 when none are loaded)."""
    stored = text_map(await ports.ctx.redis.hgetall(FX_KEY))
    currencies = {instrument.currency for instrument in await ports.reference.instruments()}
    return fx_view(stored, currencies)
