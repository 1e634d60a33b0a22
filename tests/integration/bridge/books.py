"""Test books for the bridge: Beijing (CN-BJ) sellers, Seoul (KR) buyers, a Beijing allowance instrument quoted
in CNY, a Beijing -> Seoul link, and held cross-registry trades built the way settlement builds them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.settlement import translate
from shared import redis_keys
from shared.ledger import AccountType, Ledger, TradeSides, unit_asset
from shared.messages.order_events import TradeExecuted
from shared.messages.post_trade import DeliveryRequested
from shared.messages.vocabulary import Side
from shared.reference import Fees, Instrument, LinkageTerms, UnitClass

BJ_UNIT = unit_asset("CN-BJ", "ALLOWANCE", 2025)
CNY = "C:CNY"
SELLER = "CN-BJ/acme-steel"
BUYER = "KR/posco"
INSTRUMENT = Instrument(
    id="BJEA-2025", registry="CN-BJ", currency="CNY", unit=UnitClass(origin="CN-BJ", type="ALLOWANCE", vintage=2025),
    tick=1, lot=1, fees=Fees(maker_bps=5, taker_bps=10, min_fee=100),
)
FEES = INSTRUMENT.fee_schedule


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * 1000


MONDAY_3_MARCH_2025 = ms(2025, 3, 3, 10)
TUESDAY_4_MARCH_2025 = ms(2025, 3, 4, 10)


def link(**overrides: Any) -> LinkageTerms:
    """Beijing -> Seoul, allowances, 2:1 into Korea, 5% share of proceeds, 2% cancellation, adjustments on."""
    terms: dict[str, Any] = {
        "id": "BJ-KR", "kind": "UNILATERAL", "from_registry": "CN-BJ", "to_registry": "KR",
        "exchange_rate": "2", "levy_share": "0.05", "cancellation_share": "0.02", "corresponding_adjustment": True,
    }
    terms.update(overrides)
    return LinkageTerms(**terms)


def open_books(ledger: Ledger, *, buyers: int = 1, cash: int = 10**12, units: int = 1_000_000) -> None:
    ledger.open_registry("CN-BJ", currency="CNY")
    ledger.open_registry("KR", currency="KRW")
    ledger.declare_currency("CNY")
    ledger.open_account(SELLER, account_type=AccountType.HOLDING, holder="acme")
    assert ledger.issue(entry_id="issue", registry="CN-BJ", unit_class=BJ_UNIT, qty=units, to_account=SELLER,
                        time=1).ok
    for n in range(buyers):
        account = buyer(n)
        ledger.open_account(account, account_type=AccountType.HOLDING, holder=account)
        assert ledger.deposit(entry_id=f"cash:{account}", account=account, currency="CNY", amount=cash, time=1).ok


def buyer(n: int) -> str:
    return BUYER if n == 0 else f"{BUYER}-{n}"


def held_trade(ledger: Ledger, n: int, *, qty: int = 1_000, price: int = 5_000, limit_price: int = 5_200,
               buy_account: str = BUYER, matched_at: int = TUESDAY_4_MARCH_2025) -> DeliveryRequested:
    """Both orders reserved and fully filled by one cross-registry trade held for the bridge; its request."""
    trade_id = f"{INSTRUMENT.id}:T{n}"
    amount = limit_price * qty + FEES.fee(limit_price * qty, maker=False)
    assert ledger.reserve_for_order(order_id=f"b{n}", account=buy_account, asset=CNY, amount=amount,
                                    limit_price=limit_price, quantity=qty, time=2).ok
    assert ledger.reserve_for_order(order_id=f"s{n}", account=SELLER, asset=BJ_UNIT, amount=qty, quantity=qty,
                                    time=2).ok
    sides = TradeSides(trade_id=trade_id, buyer_account=buy_account, seller_account=SELLER, buy_order_id=f"b{n}",
                       sell_order_id=f"s{n}", unit_class=BJ_UNIT, currency="CNY", qty=qty, buy_leaves=0,
                       sell_leaves=0)
    assert ledger.hold_for_bridge(trade=sides, fees=FEES, time=3).ok
    trade = TradeExecuted(
        trade_id=trade_id, instrument=INSTRUMENT.id, trade_seq=n + 1, price=price, quantity=qty,  # sequences start at 1
        aggressor_side=Side.BUY, maker_order_id=f"s{n}", taker_order_id=f"b{n}", maker_account=SELLER,
        taker_account=buy_account, buy_order_id=f"b{n}", sell_order_id=f"s{n}", buy_account=buy_account,
        sell_account=SELLER, buy_leaves_quantity=0, sell_leaves_quantity=0,
    )
    return translate.delivery_request(trade, INSTRUMENT, ledger.record(redis_keys.hold_key(trade_id, "buy")),
                                      matched_at=matched_at)
