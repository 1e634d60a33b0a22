"""Marking the close, cross-border round trips and quota concentration."""

from __future__ import annotations

from shared.messages.vocabulary import Phase, Side
from services.oversight.detectors import Owners, Thresholds
from services.oversight.detectors.closing import ClosingDetector
from services.oversight.detectors.concentration import ConcentrationDetector
from services.oversight.detectors.round_trip import RoundTripDetector
from tests.unit.oversight.builders import approved, phase, settled, trade

OWNERS = Owners({"CN-BJ/a": "acme", "CN-SH/a": "acme"})
CLOSE_AT = 1_000_000
BJ_UNITS = "U:CN-BJ:ALLOWANCE:2025"


def _session(detector: ClosingDetector, *, last_prices: list[int], marker: str = "CN-BJ/a") -> None:
    detector.observe(trade("T0", at=CLOSE_AT - 600_000, buy="CN-BJ/x", sell="CN-BJ/y", price=5000), OWNERS)
    for i, price in enumerate(last_prices):
        detector.observe(trade(f"T{i + 1}", at=CLOSE_AT - 60_000 + i * 1000, buy=marker, sell="CN-BJ/y", price=price,
                               aggressor=Side.BUY), OWNERS)


def test_one_owner_buying_the_close_up_beyond_the_threshold_is_marking_the_close():
    detector = ClosingDetector(Thresholds())
    _session(detector, last_prices=[5100, 5200, 5300])
    found = detector.observe(phase("ph:close", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED), OWNERS)
    assert found is not None
    assert (found.alert_id, found.owner, found.severity) == ("MARKING_THE_CLOSE:BJEA-2025:ph:close", "acme", "MEDIUM")
    assert found.evidence == ["ev:T1", "ev:T2", "ev:T3", "ph:close"]
    assert found.details == {"anchor_price": 5000, "close_price": 5300, "owner_volume": 30, "window_volume": 30}


def test_a_small_move_a_single_fill_or_trades_before_the_window_are_not_marking():
    small = ClosingDetector(Thresholds())
    _session(small, last_prices=[5100, 5150, 5200])  # +4%, below the 5% threshold
    assert small.observe(phase("c", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED), OWNERS) is None
    single = ClosingDetector(Thresholds())
    _session(single, last_prices=[5600])  # +12% in one fill of a thin book
    assert single.observe(phase("c", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED), OWNERS) is None
    early = ClosingDetector(Thresholds(close_window_ms=30_000))  # the marker traded before the last 30 s
    _session(early, last_prices=[5100, 5200, 5300])
    assert early.observe(phase("c", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED), OWNERS) is None


def test_units_sent_across_a_link_and_bought_back_from_the_same_party_are_a_round_trip():
    detector = RoundTripDetector(Thresholds())
    out = settled("T1", at=1000, buy="CN-SH/z", sell="CN-BJ/a", asset=BJ_UNITS)
    assert detector.observe(out, OWNERS) is None
    back = settled("T2", at=5000, buy="CN-BJ/a", sell="CN-SH/z", asset="U:CN-SH:ALLOWANCE:2025", quantity=90)
    found = detector.observe(back, OWNERS)
    assert found is not None
    assert (found.alert_id, found.owner, found.subject, found.evidence) == (
        "CROSS_BORDER_ROUND_TRIP:T1:T2", "acme", "CN-BJ<->CN-SH", ["set:T1", "set:T2"])
    assert found.details == {"out_trade": "T1", "back_trade": "T2", "counterparty": "CN-SH/z", "out_quantity": 100,
                             "back_quantity": 90}


def test_a_few_tonnes_bought_back_are_no_round_trip_until_half_of_what_went_out_has_come_back():
    detector = RoundTripDetector(Thresholds())
    detector.observe(settled("T1", at=1000, buy="CN-SH/z", sell="CN-BJ/a", asset=BJ_UNITS, quantity=400), OWNERS)
    sh_units = "U:CN-SH:ALLOWANCE:2025"
    assert detector.observe(settled("T2", at=2000, buy="CN-BJ/a", sell="CN-SH/z", asset=sh_units, quantity=20),
                            OWNERS) is None
    assert detector.observe(settled("T3", at=3000, buy="CN-BJ/a", sell="CN-SH/z", asset=sh_units, quantity=170),
                            OWNERS) is None
    found = detector.observe(settled("T4", at=4000, buy="CN-BJ/a", sell="CN-SH/z", asset=sh_units, quantity=10),
                             OWNERS)
    assert found is not None
    assert (found.alert_id, found.evidence) == ("CROSS_BORDER_ROUND_TRIP:T1:T4",
                                                ["set:T1", "set:T2", "set:T3", "set:T4"])
    assert (found.details["out_quantity"], found.details["back_quantity"]) == (400, 200)


def test_buying_back_from_another_party_or_too_late_is_no_round_trip():
    detector = RoundTripDetector(Thresholds(round_trip_window_ms=10_000))
    detector.observe(settled("T1", at=1000, buy="CN-SH/z", sell="CN-BJ/a", asset=BJ_UNITS), OWNERS)
    other = settled("T2", at=2000, buy="CN-BJ/a", sell="CN-SH/other", asset="U:CN-SH:ALLOWANCE:2025")
    assert detector.observe(other, OWNERS) is None
    late = settled("T3", at=20_000, buy="CN-BJ/a", sell="CN-SH/z", asset="U:CN-SH:ALLOWANCE:2025")
    assert detector.observe(late, OWNERS) is None


def test_one_owner_receiving_half_a_links_quota_is_a_concentration():
    detector = ConcentrationDetector(Thresholds())
    caps = {"BJ-SH": 500}
    assert detector.observe(settled("T1", at=1000, buy="CN-BJ/a", sell="CN-SH/z", asset=BJ_UNITS, quantity=200),
                            OWNERS, caps) is None
    assert detector.observe(approved("T1", at=1001, link_id="BJ-SH"), OWNERS, caps) is None
    assert detector.observe(approved("T2", at=2000, link_id="BJ-SH"), OWNERS, caps) is None
    found = detector.observe(settled("T2", at=2001, buy="CN-BJ/a", sell="CN-SH/z", asset=BJ_UNITS, quantity=50),
                             OWNERS, caps)
    assert found is not None
    assert (found.alert_id, found.subject, found.owner) == ("QUOTA_CONCENTRATION:BJ-SH:1970:acme", "BJ-SH", "acme")
    assert found.evidence == ["audit:T1", "set:T1", "audit:T2", "set:T2"]
    assert found.details == {"received": 250, "cap": 500, "period": 1970}
    detector.observe(approved("T3", at=3000, link_id="BJ-SH"), OWNERS, caps)
    assert detector.observe(settled("T3", at=3001, buy="CN-BJ/a", sell="CN-SH/z", asset=BJ_UNITS), OWNERS,
                            caps) is None, "one alert per owner, link and period"


def test_links_without_a_cap_have_no_quota_to_concentrate():
    detector = ConcentrationDetector(Thresholds())
    detector.observe(approved("T1", at=1, link_id="BJ-SH"), OWNERS, {"BJ-SH": None})
    assert detector.observe(settled("T1", at=2, buy="CN-BJ/a", sell="CN-SH/z", asset=BJ_UNITS, quantity=10**6),
                            OWNERS, {"BJ-SH": None}) is None


def test_an_owner_with_only_half_the_volume_into_the_close_is_not_marking_it():
    detector = ClosingDetector(Thresholds())
    _session(detector, last_prices=[5100, 5200, 5300])
    detector.observe(trade("H", at=CLOSE_AT - 1000, buy="CN-BJ/x", sell="CN-BJ/y", price=5300, quantity=30,
                           aggressor=Side.SELL), OWNERS)
    assert detector.observe(phase("c", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED), OWNERS) is None
