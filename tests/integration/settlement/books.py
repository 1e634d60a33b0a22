"""Test books for settlement: fresh accounts and a fresh instrument per test, builders with keyword overrides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from fractions import Fraction

from shared.fees import FeeSchedule, buy_reservation
from shared.ledger import AccountType, Ledger
from shared.messages.order_events import TradeExecuted
from shared.messages.vocabulary import Side
from shared.reference import Fees, Instrument, UnitClass

FEES = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=100)
UNIT = UnitClass(origin="CN-BJ", type="ALLOWANCE", vintage=2025)
CNY = "C:CNY"
CASH = 10_000_000
UNITS = 1_000


def open_registries(ledger: Ledger) -> None:
    ledger.open_registry("CN-BJ", currency="CNY", offset_share=Fraction(5, 100))
    ledger.open_registry("KR", currency="KRW")


@dataclass
class Books:
    """A buyer and a seller in CN-BJ and a trader in KR, funded, and an instrument of CN-BJ units in CNY."""

    ledger: Ledger
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.buyer = f"CN-BJ/buyer-{self.tag}"
        self.seller = f"CN-BJ/seller-{self.tag}"
        self.foreign = f"KR/trader-{self.tag}"
        self.instrument = Instrument(id=f"BJA-{self.tag}", registry="CN-BJ", currency="CNY", unit=UNIT, tick=1, lot=1,
                                     fees=Fees(maker_bps=FEES.maker_bps, taker_bps=FEES.taker_bps, min_fee=FEES.min_fee))
        for account in (self.buyer, self.seller, self.foreign):
            self.ledger.open_account(account, account_type=AccountType.HOLDING, holder=account)
        for account in (self.buyer, self.foreign):
            assert self.ledger.deposit(entry_id=f"cash:{account}", account=account, currency="CNY", amount=CASH, time=1).ok
        assert self.ledger.issue(entry_id=f"units:{self.tag}", registry="CN-BJ", unit_class=UNIT.asset, qty=UNITS,
                                 to_account=self.seller, time=1).ok

    def order_id(self, name: str) -> str:
        return f"{self.tag}-{name}"

    def reserve_buy(self, name: str, *, limit_price: int = 5_000, qty: int = 100, account: str | None = None) -> int:
        amount = buy_reservation(FEES, limit_price=limit_price, quantity=qty)
        assert self.ledger.reserve_for_order(order_id=self.order_id(name), account=account or self.buyer, asset=CNY,
                                             amount=amount, limit_price=limit_price, quantity=qty, time=2).ok
        return amount

    def reserve_sell(self, name: str, *, qty: int = 100) -> None:
        assert self.ledger.reserve_for_order(order_id=self.order_id(name), account=self.seller, asset=UNIT.asset,
                                             amount=qty, quantity=qty, time=2).ok

    def trade(self, seq: int = 1, **overrides: object) -> TradeExecuted:
        """A fill of 40 at 4,900 between orders "b1" (taker) and "s1" of 100 each."""
        fields: dict[str, object] = {
            "trade_id": f"{self.instrument.id}:T{seq}", "instrument": self.instrument.id, "trade_seq": seq,
            "price": 4_900, "quantity": 40, "aggressor_side": Side.BUY,
            "maker_order_id": self.order_id("s1"), "taker_order_id": self.order_id("b1"),
            "maker_account": self.seller, "taker_account": self.buyer,
            "buy_order_id": self.order_id("b1"), "sell_order_id": self.order_id("s1"),
            "buy_account": self.buyer, "sell_account": self.seller,
            "buy_leaves_quantity": 60, "sell_leaves_quantity": 60,
        }
        fields.update(overrides)
        return TradeExecuted(**fields)  # type: ignore[arg-type]
