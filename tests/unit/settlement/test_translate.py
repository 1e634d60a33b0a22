"""From a matched trade to ledger work and bridge requests: routing and the cash legs a bridge request carries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.settlement import translate
from shared import fees
from shared.messages.order_events import TradeExecuted
from shared.messages.vocabulary import Side
from shared.reference import Fees, Instrument, UnitClass

INSTRUMENT = Instrument(id="BJA", registry="CN-BJ", currency="CNY", unit=UnitClass(origin="CN-BJ", type="ALLOWANCE",
                        vintage=2025), tick=1, lot=1, fees=Fees(maker_bps=5, taker_bps=10, min_fee=100))


def trade(**overrides: object) -> TradeExecuted:
    fields: dict[str, object] = dict(
        trade_id="BJA:T1", instrument="BJA", trade_seq=1, price=4_900, quantity=40, aggressor_side=Side.BUY,
        maker_order_id="s1", taker_order_id="b1", maker_account="CN-BJ/s", taker_account="CN-BJ/b",
        buy_order_id="b1", sell_order_id="s1", buy_account="CN-BJ/b", sell_account="CN-BJ/s",
        buy_leaves_quantity=60, sell_leaves_quantity=60)
    fields.update(overrides)
    return TradeExecuted(**fields)  # type: ignore[arg-type]


def test_a_trade_between_accounts_of_the_instruments_registry_is_domestic() -> None:
    assert not translate.is_cross_registry(trade(), INSTRUMENT)


def test_a_trade_with_either_account_in_another_registry_is_cross_registry() -> None:
    assert translate.is_cross_registry(trade(buy_account="KR/b"), INSTRUMENT)
    assert translate.is_cross_registry(trade(sell_account="JP-TYO/s"), INSTRUMENT)


def test_the_maker_side_decides_whose_fee_is_the_maker_fee() -> None:
    assert not translate.buyer_is_maker(trade())
    assert translate.buyer_is_maker(trade(maker_order_id="b1", taker_order_id="s1", aggressor_side=Side.SELL))


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(1, 100_000), qty=st.integers(1, 10_000), filled_before=st.integers(0, 10_000),
       discount=st.integers(0, 99_999), buyer_maker=st.booleans())
def test_a_bridge_request_pays_the_seller_the_notional_less_fees_and_never_more_than_the_hold(
        limit: int, qty: int, filled_before: int, discount: int, buyer_maker: bool) -> None:
    price = max(1, limit - discount)
    schedule = INSTRUMENT.fee_schedule
    order_qty = filled_before + qty
    portion = fees.fill_portion(schedule, limit_price=limit, order_qty=order_qty, filled_before=filled_before, qty=qty)
    matched = trade(price=price, quantity=qty, maker_order_id="b1" if buyer_maker else "s1")

    request = translate.delivery_request(matched, INSTRUMENT, {"remaining": str(portion), "limit_price": str(limit)},
                                         matched_at=7)

    assert request.buyer_cash - request.buyer_fee == price * qty == request.seller_cash + request.seller_fee
    assert 0 <= request.buyer_cash <= portion
    assert request.seller_cash >= 0 and request.matched_at == 7
