"""Wash trades and spoofing, judged from the order events alone."""

from __future__ import annotations

from shared.messages.vocabulary import Side
from services.oversight.detectors import Owners, Surveillance, Thresholds
from services.oversight.detectors.spoofing import SpoofingDetector
from services.oversight.detectors.surveillance import Context
from services.oversight.detectors.wash import wash_trade
from tests.unit.oversight.builders import accepted, cancelled, trade

GROUP = Owners({"CN-BJ/a": "acme", "CN-SH/b": "acme"})


def test_a_trade_between_two_accounts_of_one_owner_is_a_wash_trade():
    event = trade("T1", at=1000, buy="CN-BJ/a", sell="CN-SH/b")
    found = wash_trade(event, event.message, GROUP)
    assert found is not None
    assert (found.alert_id, found.code, found.severity, found.owner, found.evidence, found.raised_at) == (
        "WASH_TRADE:T1", "WASH_TRADE", "HIGH", "acme", ["ev:T1"], 1000)
    assert found.details == {"buy_account": "CN-BJ/a", "sell_account": "CN-SH/b", "quantity": 10, "price": 5000}


def test_trades_between_different_owners_or_ungrouped_accounts_are_not_wash_trades():
    for buy, sell in (("CN-BJ/a", "CN-BJ/x"), ("CN-BJ/x", "CN-BJ/y")):
        event = trade("T1", at=1000, buy=buy, sell=sell)
        assert wash_trade(event, event.message, GROUP) is None


def _spoofer_history(detector: SpoofingDetector, owners: Owners) -> list:
    """Five ordinary 10 t orders, then three 100 t bids by the spoofer, each cancelled unfilled 2 s later."""
    found = []
    for i in range(5):
        found.append(detector.observe(accepted(f"n{i}", at=i, account="CN-BJ/honest", price=4990), owners))
    for i in range(3):
        at = 10_000 + i * 5_000
        found.append(detector.observe(accepted(f"s{i}", at=at, account="CN-BJ/a", price=5000, quantity=100), owners))
        found.append(detector.observe(cancelled(f"s{i}", at=at + 2_000, account="CN-BJ/a", remaining=100), owners))
    return found


def test_large_orders_placed_and_cancelled_near_the_touch_while_selling_is_spoofing():
    detector = SpoofingDetector(Thresholds())
    assert not any(_spoofer_history(detector, GROUP))
    found = detector.observe(trade("T9", at=30_000, buy="CN-BJ/honest", sell="CN-SH/b", aggressor=Side.SELL), GROUP)
    assert found is not None
    assert (found.alert_id, found.code, found.owner, found.subject) == ("SPOOFING:BJEA-2025:acc:s0", "SPOOFING",
                                                                       "acme", "BJEA-2025")
    assert found.evidence == ["acc:s0", "cxl:s0", "acc:s1", "cxl:s1", "acc:s2", "cxl:s2", "ev:T9"]
    assert found.details == {"side": "BUY", "cancelled_orders": 3, "opposite_trades": 1}


def test_the_same_cancels_without_a_trade_on_the_other_side_are_not_spoofing():
    detector = SpoofingDetector(Thresholds())
    _spoofer_history(detector, GROUP)
    assert detector.observe(trade("T9", at=30_000, buy="CN-BJ/a", sell="CN-BJ/honest"), GROUP) is None


def test_orders_far_from_the_touch_small_cancelled_late_or_by_a_mass_cancel_are_not_counted():
    detector = SpoofingDetector(Thresholds())
    for i in range(5):
        detector.observe(accepted(f"n{i}", at=i, account="CN-BJ/honest", price=5000), GROUP)
    cases = [dict(price=4000, quantity=100, lifetime=2_000, reason="REQUESTED"),  # 20% below the best bid
             dict(price=5000, quantity=20, lifetime=2_000, reason="REQUESTED"),  # not five times the mean size
             dict(price=5000, quantity=100, lifetime=60_000, reason="REQUESTED"),  # rested a minute
             dict(price=5000, quantity=100, lifetime=2_000, reason="MASS_CANCEL")]  # the operator's doing
    for i, case in enumerate(cases):
        at = 10_000 + i * 1_000
        detector.observe(accepted(f"s{i}", at=at, account="CN-BJ/a", price=case["price"], quantity=case["quantity"]),
                         GROUP)
        detector.observe(cancelled(f"s{i}", at=at + case["lifetime"], account="CN-BJ/a", reason=case["reason"]), GROUP)
    assert detector.observe(trade("T9", at=70_000, buy="CN-BJ/honest", sell="CN-BJ/a", aggressor=Side.SELL),
                            GROUP) is None


def test_surveillance_raises_nothing_for_ordinary_trading():
    surveillance = Surveillance()
    surveillance.context = Context(owners=GROUP)
    events = [accepted("o1", at=1, account="CN-BJ/x"), accepted("o2", at=2, account="CN-BJ/y", side=Side.SELL),
              trade("T1", at=3, buy="CN-BJ/x", sell="CN-BJ/y", buy_order="o1", sell_order="o2")]
    assert [surveillance.observe(e) for e in events] == [[], [], []]
