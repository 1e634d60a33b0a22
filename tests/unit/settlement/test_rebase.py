"""Rebasing an amended order's reservation: the true-up arithmetic and the planned ledger entry (no Redis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.cash_legs import split_buyer_portion
from shared.fees import FeeSchedule, buy_reservation, fill_portion, true_up
from shared import redis_keys
from shared.ledger import AdjustRecord, EntryKind, Posting, SetRecord
from shared.ledger.entries import rebase_order

FEES = FeeSchedule(maker_bps=5, taker_bps=10, min_fee=100)
BUYER = "CN-BJ/buyer"
SELLER = "CN-BJ/seller"
CNY = "C:CNY"
UNIT = "U:CN-BJ:ALLOWANCE:2025"
KEY = redis_keys.reservation_key("o1")

schedules = st.builds(FeeSchedule, maker_bps=st.integers(0, 50), taker_bps=st.integers(0, 100),
                      min_fee=st.integers(0, 5_000))


def buy_record(*, remaining: int, limit_price: int = 5_000, quantity: int = 100) -> dict[str, str]:
    return {"account": BUYER, "asset": CNY, "remaining": str(remaining), "reserved": str(remaining),
            "limit_price": str(limit_price), "quantity": str(quantity)}


def rebase(record: dict[str, str], *, buy: bool = True, open_qty: int = 100, limit_price: int | None = 5_200):
    plan = rebase_order(event_id="BJA:7", order_id="o1", account=BUYER if buy else SELLER, asset=CNY if buy else UNIT,
                        buy=buy, open_qty=open_qty, limit_price=limit_price, fees=FEES, time=9)
    assert plan.reads == (KEY,)
    return plan.build([record])


@given(held=st.integers(0, 10**12), needed=st.integers(0, 10**12))
@settings(max_examples=300)
def test_a_true_up_keeps_at_most_the_need_and_never_creates_anything(held: int, needed: int) -> None:
    trued = true_up(held=held, needed=needed)

    assert trued.kept + trued.released == held
    assert trued.kept == min(held, needed)
    assert trued.shortfall == max(0, needed - held)
    assert trued.released == 0 or trued.shortfall == 0


@st.composite
def rebased_fills(draw: st.DrawFn) -> tuple[FeeSchedule, int, int, list[int]]:
    """A schedule, an amended buy (new limit, open quantity) and fills splitting the open quantity."""
    schedule = draw(schedules)
    limit = draw(st.integers(1, 2_000_000))
    open_qty = draw(st.integers(1, 100_000))
    fills, left = [], open_qty
    while left:
        q = left if len(fills) == 10 else draw(st.integers(1, left))
        fills.append(q)
        left -= q
    return schedule, limit, open_qty, fills


@given(rebased_fills())
@settings(max_examples=200)
def test_the_fills_after_a_rebase_consume_exactly_what_the_rebased_order_keeps(case) -> None:
    schedule, limit, open_qty, fills = case
    kept = buy_reservation(schedule, limit_price=limit, quantity=open_qty)
    leaves, consumed = open_qty, 0
    for qty in fills:
        leaves -= qty
        # settlement's filled_before, from the rebased record's quantity and the trade's leaves
        portion = fill_portion(schedule, limit_price=limit, order_qty=open_qty, filled_before=open_qty - leaves - qty,
                               qty=qty)
        split_buyer_portion(schedule, portion=portion, limit_price=limit, qty=qty, price=limit, maker=False)
        consumed += portion

    assert consumed == kept


def test_raising_a_buy_price_rebases_its_record_to_the_new_limit_and_open_quantity() -> None:
    need = buy_reservation(FEES, limit_price=5_200, quantity=60)

    entry = rebase(buy_record(remaining=need + 250, quantity=100), open_qty=60)

    assert entry.entry_id == "rebase:BJA:7" and entry.kind is EntryKind.RELEASE and entry.amounts == (60,)
    assert entry.records == (
        SetRecord(KEY, {"quantity": "60", "limit_price": "5200"}, expect={"account": BUYER, "asset": CNY}),
        AdjustRecord(KEY, "remaining", -250, expect={"account": BUYER, "asset": CNY}),
    )
    assert entry.postings == (Posting(BUYER, CNY, "r", -250), Posting(BUYER, CNY, "a", 250))
    assert entry.meta["needed"] == need and entry.meta["released"] == 250 and "shortfall" not in entry.meta


def test_a_record_holding_exactly_the_need_is_rebased_without_a_movement() -> None:
    entry = rebase(buy_record(remaining=buy_reservation(FEES, limit_price=5_200, quantity=100)))

    assert entry.postings == () and [type(op) for op in entry.records] == [SetRecord]


def test_a_record_holding_less_than_the_need_keeps_what_it_has_and_flags_the_shortfall() -> None:
    need = buy_reservation(FEES, limit_price=5_200, quantity=100)

    entry = rebase(buy_record(remaining=need - 40))

    assert entry.postings == () and [type(op) for op in entry.records] == [SetRecord]
    assert entry.meta["shortfall"] == 40 and entry.meta["released"] == 0


def test_an_amend_without_a_price_keeps_the_recorded_limit() -> None:
    entry = rebase(buy_record(remaining=600_000, limit_price=5_000), open_qty=50, limit_price=None)

    assert entry.records[0] == SetRecord(KEY, {"quantity": "50", "limit_price": "5000"},
                                         expect={"account": BUYER, "asset": CNY})
    assert entry.meta["needed"] == buy_reservation(FEES, limit_price=5_000, quantity=50)


def test_a_sell_keeps_one_unit_per_open_tonne() -> None:
    record = {"account": SELLER, "asset": UNIT, "remaining": "70", "reserved": "100"}

    entry = rebase(record, buy=False, open_qty=30, limit_price=5_000)

    assert entry.records[0] == SetRecord(KEY, {"quantity": "30"}, expect={"account": SELLER, "asset": UNIT})
    assert entry.postings == (Posting(SELLER, UNIT, "r", -40), Posting(SELLER, UNIT, "a", 40))


def test_the_rebase_of_an_order_whose_record_is_gone_moves_nothing() -> None:
    entry = rebase({})

    assert entry.postings == () and entry.records == () and entry.meta["missing"] is True


def test_a_buy_record_without_its_terms_is_refused_rather_than_guessed() -> None:
    record = buy_record(remaining=1_000)
    del record["limit_price"]

    entry = rebase(record, limit_price=None)

    assert "limit_price" in str(entry.meta["reason"]) and entry.postings == ()
