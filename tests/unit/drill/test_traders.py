"""Simulated traders' decisions: valuations bound every price, budgets bound every quantity."""

from __future__ import annotations

import random
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from carbonlink.drill.agents import Agent, Floor
from carbonlink.drill.setup_plan import Member
from carbonlink.drill.dealers import MarketMaker, NoiseTrader
from carbonlink.drill.order_terms import BUY, SELL, OrderIntent, Quote, Venue, buy_cost
from carbonlink.drill.trading_step import entity_flow, flow_order
from carbonlink.drill.traders import ComplianceTrader

HOME = Venue("A-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999)


def entity(**overrides) -> ComplianceTrader:
    values = dict(baseline=10_000, slope=Fraction(1, 10), value_scale=100, position=9_600, units=9_600,
                  cash={"CNY": 10**9})
    return ComplianceTrader(**(values | overrides))


def test_the_marginal_value_is_the_mac_at_the_abatement_still_needed() -> None:
    assert entity().marginal_value(9_600) == 4_000  # 0.1 CNY × 400 t = CNY 40.00
    assert entity().marginal_value(10_500) == 0


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), position=st.integers(9_000, 10_200), last=st.integers(500, 9_000))
def test_a_compliance_entity_never_bids_above_nor_asks_below_its_valuation(seed: int, position: int, last: int) -> None:
    trader = entity(position=position, units=position)
    intent = trader.decide(random.Random(seed), HOME, [], {HOME.instrument: Quote(last, 4_000)})
    if intent is None:
        return
    if intent.side == BUY:
        assert intent.price <= trader.marginal_value(position + intent.quantity)
    else:
        assert intent.price >= trader.marginal_value(position - intent.quantity)
        assert intent.quantity <= trader.units


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), cash=st.integers(0, 200_000))
def test_a_buy_never_needs_more_cash_than_the_trader_has(seed: int, cash: int) -> None:
    trader = entity(cash={"CNY": cash}, units=0)
    intent = trader.decide(random.Random(seed), HOME, [], {HOME.instrument: Quote(3_000, 4_000)})
    if intent is not None:
        assert intent.side == BUY
        assert buy_cost(HOME, intent.price, intent.quantity) <= cash


def test_a_compliance_entity_buys_abroad_when_a_credited_tonne_is_cheaper_there() -> None:
    abroad = Venue("B-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999, credit=Fraction(9, 10))
    trader = entity(units=0)
    quotes = {HOME.instrument: Quote(4_000, 4_000), abroad.instrument: Quote(1_000, 1_000)}
    intent = trader.decide(random.Random(1), HOME, [abroad], quotes)
    assert intent is not None and intent.instrument == "B-ALW" and intent.side == BUY
    # the bid is the valuation converted: at most value × credit per tonne bought abroad
    assert intent.price <= trader.marginal_value(trader.position) * Fraction(9, 10)


def test_prices_stay_inside_the_band_and_on_the_tick() -> None:
    venue = Venue("KR", "KRW", tick=50, lot=1, min_qty=1, max_qty=100_000)
    quote = Quote(10_000, 10_000, band=(9_000, 11_000))
    for seed in range(200):
        trader = ComplianceTrader(baseline=1_000, slope=Fraction(30), value_scale=1, position=600, units=600,
                                  cash={"KRW": 10**12})
        intent = trader.decide(random.Random(seed), venue, [], {"KR": quote})
        if intent is not None:
            assert 9_000 <= intent.price <= 11_000 and intent.price % 50 == 0


def test_a_buyer_valuing_tonnes_above_the_band_bids_limit_up_abroad_and_at_home() -> None:
    banded = Venue("A-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999)
    abroad = Venue("B-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999)
    quotes = {"A-ALW": Quote(9_000, 9_000, band=(8_100, 9_900)), "B-ALW": Quote(4_000, 4_000, band=(3_600, 4_400))}
    intents = [entity(position=8_000, units=0).decide(random.Random(seed), banded, [abroad], quotes)
               for seed in range(50)]  # each values the next tonne at CNY 200
    assert all(i is not None and i.side == BUY for i in intents)
    assert {(i.instrument, i.price) for i in intents} == {("B-ALW", 4_400), ("A-ALW", 9_900)}
    assert sum(i.instrument == "B-ALW" for i in intents) > 35  # mostly where it is cheaper


def test_a_seller_whose_cost_is_below_the_band_asks_limit_down_and_a_value_below_it_never_bids() -> None:
    venue = Venue("A-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999)
    quote = {"A-ALW": Quote(9_000, 9_000, band=(8_100, 9_900))}
    intents = [entity(position=10_000, units=10_000, baseline=10_100).decide(random.Random(seed), venue, [], quote)
               for seed in range(50)]  # each values a tonne at CNY 10 at most
    assert all(intent is None or (intent.side, intent.price) == (SELL, 8_100) for intent in intents)
    assert any(intent is not None for intent in intents)


def test_a_trader_knows_its_position_from_the_ledger_home_and_credited_foreign_units_alike() -> None:
    member = Member("A-ce1", "compliance", "A-ALW", "A", "A-ce1", "A/A-ce1")
    agent = Agent(member=member, logic=entity(), home=HOME, home_asset="U:A:ALLOWANCE:2025",
                  rng=random.Random(1), api_key="k")
    agent.observe({"U:A:ALLOWANCE:2025": (9_500, 100), "U:B:ALLOWANCE:2025": (7, 0), "C:CNY": (50_000, 3_000)})
    assert (agent.logic.position, agent.logic.units, agent.logic.cash) == (9_607, 9_500, {"CNY": 50_000})


def test_a_dealer_sells_only_what_is_free_and_unwinds_towards_its_phase_start_inventory() -> None:
    member = Member("A-mm1", "maker", "A-ALW", "A", "A-mm1", "A/A-mm1")
    maker = MarketMaker(spread=Fraction(2, 100), size=50, units=0, cash=0, start_units=0)
    agent = Agent(member=member, logic=maker, home=HOME, home_asset="U:A:ALLOWANCE:2025", rng=random.Random(1),
                  api_key="k")
    agent.observe({"U:A:ALLOWANCE:2025": (20, 480), "C:CNY": (10**9, 0)}, phase_start=True)
    assert (maker.units, maker.available, maker.start_units) == (500, 20, 500)
    assert [intent.side for intent in maker.decide(HOME, Quote(4_000, 4_000))] == [BUY]


def test_a_market_maker_quotes_around_the_anchor_and_leans_against_inventory() -> None:
    maker = MarketMaker(spread=Fraction(2, 100), size=50, units=1_000, cash=10**9, start_units=1_000, available=1_000)
    bid, ask = maker.decide(HOME, Quote(4_000, 4_000))
    assert (bid.side, ask.side) == (BUY, SELL) and bid.price < 4_000 < ask.price
    long = MarketMaker(spread=Fraction(2, 100), size=50, units=1_050, cash=10**9, start_units=1_000, available=1_050)
    lower_bid, lower_ask = long.decide(HOME, Quote(4_000, 4_000))
    assert lower_bid.price < bid.price and lower_ask.price < ask.price


def test_the_anchor_moves_inside_the_best_bid_and_ask() -> None:
    assert Quote(last=2_900, reference=4_000, bid=2_000, ask=2_200).anchor == 2_200
    assert Quote(last=None, reference=4_000).anchor == 4_000


def test_a_noise_trader_leans_back_towards_a_flat_inventory() -> None:
    noise = NoiseTrader(chance=1.0, size=20, units=500, cash=10**9, start_units=400, available=500)
    sides = {noise.decide(random.Random(seed), HOME, Quote(4_000, 4_000)).side for seed in range(50)}
    assert sides == {SELL}


def test_at_the_close_of_a_period_dealers_only_unwind_their_inventory() -> None:
    maker = MarketMaker(spread=Fraction(2, 100), size=50, units=1_030, cash=10**9, start_units=1_000, available=1_030)
    (only,) = maker.decide(HOME, Quote(4_000, 4_000), flatten=True)
    assert (only.side, only.quantity) == (SELL, 30)
    flat = MarketMaker(spread=Fraction(2, 100), size=50, units=1_000, cash=10**9, start_units=1_000, available=1_000)
    assert flat.decide(HOME, Quote(4_000, 4_000), flatten=True) == []
    noise = NoiseTrader(chance=1.0, size=20, units=390, cash=10**9, start_units=400)
    for seed in range(30):
        intent = noise.decide(random.Random(seed), HOME, Quote(4_000, 4_000), flatten=True)
        assert intent is None or (intent.side == BUY and intent.quantity <= 10)


def test_dealers_quote_around_the_entities_resting_orders_not_the_last_print() -> None:
    stale = Quote(last=5_000, reference=5_000, bid=4_950, ask=5_050, flow_bid=3_900, flow_ask=4_100)
    assert stale.centre == 4_000
    maker = MarketMaker(spread=Fraction(2, 100), size=50, units=1_000, cash=10**9, start_units=1_000, available=1_000)
    bid, ask = maker.decide(HOME, stale)
    assert bid.price < 4_000 < ask.price < 4_100
    noise = NoiseTrader(chance=1.0, size=20, units=400, cash=10**9, start_units=400, available=400)
    prices = {noise.decide(random.Random(seed), HOME, stale).price for seed in range(50)}
    assert all(3_920 <= price <= 4_080 for price in prices)


def test_with_only_entity_bids_resting_the_centre_is_the_last_price_raised_to_the_best_of_them() -> None:
    assert Quote(last=3_000, reference=4_000, flow_bid=3_500).centre == 3_500
    assert Quote(last=3_800, reference=4_000, flow_bid=3_500).centre == 3_800


def test_an_importing_markets_flow_counts_its_entities_bids_abroad_per_credited_tonne_in_home_money() -> None:
    abroad = Venue("B-ALW", "JPY", tick=1, lot=1, min_qty=1, max_qty=99_999, to_local=Fraction(5, 100),
                   credit=Fraction(9, 10))
    orders = {"o1": flow_order(OrderIntent("B-ALW", BUY, 900, 10), HOME, abroad),  # CNY 0.50 per credited tonne
              "o2": flow_order(OrderIntent(HOME.instrument, SELL, 60, 10), HOME, HOME),
              "o3": flow_order(OrderIntent(HOME.instrument, BUY, 40, 10), HOME, HOME),
              "o4": flow_order(OrderIntent("B-ALW", BUY, 950, 10), HOME, abroad)}  # filled: no longer rests
    resting, best = entity_flow(orders, {"o1": None, "o2": None, "o3": None})
    assert set(resting) == {"o1", "o2", "o3"}
    assert best == {HOME.instrument: (50, 60), "B-ALW": (900, None)}
    assert Quote(last=90, reference=90, flow_bid=best[HOME.instrument][0], flow_ask=60).centre == 55


def test_an_entity_with_a_flat_cost_curve_trades_in_larger_steps_than_one_with_a_steep_curve() -> None:
    quotes = {HOME.instrument: Quote(4_000, 4_000)}
    flat = entity(slope=Fraction(1, 100), position=9_600)  # values the next tonne at CNY 4
    steep = entity(slope=Fraction(1, 10), position=9_600)  # at CNY 40
    # each order moves its marginal value by at most 30% of the going price (CNY 40 here)
    assert flat.step_size(flat.marginal_value(9_600), [HOME], quotes) == 1_200
    assert steep.step_size(steep.marginal_value(9_600), [HOME], quotes) == 120


def test_a_buyer_looks_past_a_cheaper_market_stuck_at_its_limit_up() -> None:
    abroad = Venue("B-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999)
    stuck = {HOME.instrument: Quote(4_000, 4_000), abroad.instrument: Quote(3_000, 2_800, band=(2_520, 3_080), bid=3_080)}
    free = stuck | {abroad.instrument: Quote(3_000, 2_800, band=(2_520, 3_080), bid=3_000, ask=3_050)}
    trader = entity(position=9_000, units=0)  # values the next tonne at CNY 100
    def abroad_share(quotes: dict[str, Quote]) -> float:
        return sum(trader.decide(random.Random(s), HOME, [abroad], quotes).instrument == "B-ALW" for s in range(100)) / 100

    assert abroad_share(stuck) < 0.2 < 0.8 < abroad_share(free)  # only the one step in five it picks at random


def test_a_trader_looks_abroad_only_where_the_link_can_still_carry_an_order() -> None:
    member = Member("A-ce1", "compliance", "A-ALW", "A", "A-ce1", "A/A-ce1")
    abroad = Venue("B-ALW", "CNY", tick=1, lot=1, min_qty=1, max_qty=99_999)
    agent = Agent(member=member, logic=entity(position=9_000, units=0), home=HOME, home_asset="U:A:ALLOWANCE:2025",
                  rng=random.Random(1), api_key="k")
    floor = Floor(quotes={HOME.instrument: Quote(4_000, 4_000), "B-ALW": Quote(1_000, 1_000)},
                  abroad={"A": [abroad]}, open_instruments={HOME.instrument, "B-ALW"})
    assert {i.instrument for _ in range(20) for i in agent.decide(floor, lambda venue: 0)} == {HOME.instrument}
    assert "B-ALW" in {i.instrument for _ in range(20) for i in agent.decide(floor, lambda venue: 500)}
