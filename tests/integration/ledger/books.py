"""Test books: two registries (CN-BJ in CNY, KR in KRW), traders (named as in the ledger contract suite), and
builders with keyword overrides."""

from __future__ import annotations

from fractions import Fraction

from shared.fees import buy_reservation
from shared.ledger import AccountType, Ledger, TradeSides
from tests.contracts.ledger import BJ_OFFSET, BJ_UNIT, BUYER, CNY, FEES, KR_UNIT, SELLER, SEOUL

__all__ = ["BJ_OFFSET", "BJ_UNIT", "BUYER", "CNY", "FEES", "KR_UNIT", "SELLER", "SEOUL", "fund", "open_books",
           "place_orders", "trade"]


def open_books(ledger: Ledger) -> None:
    ledger.open_registry("CN-BJ", currency="CNY", offset_share=Fraction(5, 100), foreign_share=Fraction(1, 40))
    ledger.open_registry("KR", currency="KRW", offset_share=Fraction(1, 10))
    for account in (BUYER, SELLER):
        ledger.open_account(account, account_type=AccountType.HOLDING, holder=account)
    ledger.open_account(SEOUL, account_type=AccountType.HOLDING, holder="seoul")


def fund(ledger: Ledger, *, cash: int = 10_000_000, units: int = 1_000) -> None:
    assert ledger.deposit(entry_id="fund-cash", account=BUYER, currency="CNY", amount=cash, time=1).ok
    assert ledger.issue(entry_id="fund-units", registry="CN-BJ", unit_class=BJ_UNIT, qty=units, to_account=SELLER, time=1).ok


def place_orders(ledger: Ledger, *, limit_price: int = 5_000, qty: int = 100, buy: str = "b1", sell: str = "s1") -> int:
    """A buy of ``qty`` at ``limit_price`` by BUYER and a sell of ``qty`` by SELLER, both reserved."""
    amount = buy_reservation(FEES, limit_price=limit_price, quantity=qty)
    assert ledger.reserve_for_order(
        order_id=buy, account=BUYER, asset=CNY, amount=amount, limit_price=limit_price, quantity=qty, time=2
    ).ok
    assert ledger.reserve_for_order(order_id=sell, account=SELLER, asset=BJ_UNIT, amount=qty, quantity=qty, time=2).ok
    return amount


def trade(**overrides: object) -> TradeSides:
    fields: dict[str, object] = {
        "trade_id": "BJA:T1",
        "buyer_account": BUYER,
        "seller_account": SELLER,
        "buy_order_id": "b1",
        "sell_order_id": "s1",
        "unit_class": BJ_UNIT,
        "currency": "CNY",
        "qty": 40,
        "buy_leaves": 60,
        "sell_leaves": 60,
    }
    fields.update(overrides)
    return TradeSides(**fields)  # type: ignore[arg-type]
