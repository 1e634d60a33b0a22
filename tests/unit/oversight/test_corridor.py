"""The price corridor: exact conversion into the reference currency and tonne, one alert per excursion."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from shared.corridor import Corridor, CorridorAction, market_limits, outside, reference_price
from shared.reference import Instrument, LinkageTerms, UnitClass
from services.oversight.detectors.corridor import CorridorDetector, Watch, watches_of
from tests.unit.oversight.builders import trade

# Reference CNY; 1 JPY = 0.05 CNY. Floor CNY 20.00, ceiling CNY 150.00 (Beijing's triggers).
CORRIDOR = Corridor(currency="CNY", floor=2000, ceiling=15000, fx={"JPY": "0.05"}, action=CorridorAction.HALT)


def test_a_price_converts_at_the_fx_and_the_links_unit_rate_exactly():
    assert reference_price(CORRIDOR, price=5000, currency="CNY", unit_rate=Fraction(1)) == 5000
    # JPY 1000 per tonne = CNY 50.00 = 5000 fen; a unit counting as 2 reference tonnes halves it
    assert reference_price(CORRIDOR, price=1000, currency="JPY", unit_rate=Fraction(1)) == 5000
    assert reference_price(CORRIDOR, price=1000, currency="JPY", unit_rate=Fraction(2)) == 2500
    assert reference_price(CORRIDOR, price=3, currency="JPY", unit_rate=Fraction(1)) == 15
    assert reference_price(CORRIDOR, price=1000, currency="KRW", unit_rate=Fraction(1)) is None


def test_the_corridor_in_a_markets_own_prices_is_the_ticks_whose_converted_price_lies_inside():
    # CNY 20.00–150.00 at 1 JPY = 0.05 CNY: JPY 400–3000; a unit counting as 3 reference tonnes: JPY 1200–9000
    assert market_limits(CORRIDOR, currency="JPY", unit_rate=Fraction(1), tick=1) == (400, 3000)
    assert market_limits(CORRIDOR, currency="JPY", unit_rate=Fraction(3), tick=1) == (1200, 9000)
    # ticks of 7 yen: the first multiple at or above 400 and the last at or below 3000
    assert market_limits(CORRIDOR, currency="JPY", unit_rate=Fraction(1), tick=7) == (406, 2996)
    # the reference currency itself, at a unit rate that leaves fractions of a fen
    assert market_limits(CORRIDOR, currency="CNY", unit_rate=Fraction(2, 3), tick=1) == (1334, 10000)
    assert market_limits(CORRIDOR, currency="KRW", unit_rate=Fraction(1), tick=1) is None


def test_a_corridor_narrower_than_a_tick_leaves_the_tick_at_or_above_its_floor():
    narrow = Corridor(currency="CNY", floor=2001, ceiling=2002, fx={"JPY": "0.05"})
    assert market_limits(narrow, currency="JPY", unit_rate=Fraction(1), tick=10) == (410, 410)


def test_outside_names_the_side_of_the_corridor_a_price_left_by():
    assert [outside(CORRIDOR, Fraction(p)) for p in (1999, 2000, 15000, 15001)] == [
        "BELOW_FLOOR", None, None, "ABOVE_CEILING"]


def test_a_corridor_needs_its_floor_below_its_ceiling_and_known_currencies():
    for bad in (dict(floor=100, ceiling=100), dict(fx={"XYZ": "1"}), dict(fx={"JPY": "0"})):
        with pytest.raises(ValidationError):
            Corridor(**{"currency": "CNY", "floor": 1, "ceiling": 2, **bad})


def _instrument(instrument_id: str, registry: str, currency: str) -> Instrument:
    return Instrument(id=instrument_id, registry=registry, currency=currency,
                      unit=UnitClass(origin=registry, type="ALLOWANCE", vintage=2025), tick=1, lot=1)


def test_a_links_corridor_watches_the_markets_of_its_registries_at_the_links_rate():
    link = LinkageTerms(id="BJ-TYO", kind="BILATERAL", from_registry="CN-BJ", to_registry="JP-TYO",
                        exchange_rate="2", corridor=CORRIDOR)
    plain = LinkageTerms(id="BJ-SH", kind="BILATERAL", from_registry="CN-BJ", to_registry="CN-SH")
    instruments = [_instrument("BJ", "CN-BJ", "CNY"), _instrument("TYO", "JP-TYO", "JPY"),
                   _instrument("SH", "CN-SH", "CNY")]
    assert watches_of([link, plain], instruments) == {
        "BJ": [Watch("BJ-TYO", CORRIDOR, "CNY", Fraction(2))],
        "TYO": [Watch("BJ-TYO", CORRIDOR, "JPY", Fraction(1))],
    }


def test_leaving_the_corridor_raises_one_alert_until_the_market_comes_back_inside():
    detector = CorridorDetector()
    watches = {"TYO": [Watch("BJ-TYO", CORRIDOR, "JPY", Fraction(1))]}
    prices = [1000, 3100, 3200, 1000, 200]  # CNY 50, 155, 160, 50, 10
    raised = [detector.observe(trade(f"T{i}", at=i, price=p, instrument="TYO"), watches) for i, p in enumerate(prices)]
    assert [[a.alert_id for a in found] for found in raised] == [
        [], ["CORRIDOR_BREACH:BJ-TYO:TYO:ev:T1"], [], [], ["CORRIDOR_BREACH:BJ-TYO:TYO:ev:T4"]]
    breach = raised[1][0]
    assert (breach.subject, breach.evidence, breach.severity) == ("TYO", ["ev:T1"], "HIGH")
    assert breach.details == {"link_id": "BJ-TYO", "breach": "ABOVE_CEILING", "action": "HALT", "price": 3100,
                              "reference_price": "15500.00", "currency": "CNY", "floor": 2000, "ceiling": 15000}
    assert detector.readings[("BJ-TYO", "TYO")].converted == 1000


def test_a_breach_of_a_band_corridor_carries_the_corridor_in_the_markets_ticks_as_the_override():
    detector = CorridorDetector()
    band = CORRIDOR.model_copy(update={"action": CorridorAction.BAND})
    watches = {"TYO": [Watch("BJ-TYO", band, "JPY", Fraction(2), tick=5)]}
    [breach] = detector.observe(trade("T1", at=1, price=6010, instrument="TYO"), watches)  # CNY 150.25 a tonne
    assert breach.details == {"link_id": "BJ-TYO", "breach": "ABOVE_CEILING", "action": "BAND", "price": 6010,
                              "reference_price": "15025.00", "currency": "CNY", "floor": 2000, "ceiling": 15000,
                              "band_low": 800, "band_high": 6000}


def test_a_links_watch_knows_its_markets_tick():
    link = LinkageTerms(id="BJ-TYO", kind="BILATERAL", from_registry="CN-BJ", to_registry="JP-TYO", corridor=CORRIDOR)
    tokyo = _instrument("TYO", "JP-TYO", "JPY").model_copy(update={"tick": 5})
    assert watches_of([link], [tokyo]) == {"TYO": [Watch("BJ-TYO", CORRIDOR, "JPY", Fraction(1), tick=5)]}
