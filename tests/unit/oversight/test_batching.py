"""Verdicts are a function of the events and their business times: the same records judged one at a time, in
batches of any size, or with a stretch delivered again (faust reads a partition again from its last commit
after a rebalance; an outbox re-sends) raise the same alerts."""

from __future__ import annotations

import itertools
import random

from shared.envelope import encode
from shared.kafka import PRODUCER_HEADER
from shared.messages import envelope_for
from shared.messages.vocabulary import Phase, Side
from shared.topics import BRIDGE_AUDIT, ORDERS_EVENTS, SETTLEMENT_EVENTS
from services.oversight.detectors import Observed, Owners, Surveillance
from services.oversight.detectors.surveillance import Context
from services.oversight.judge import Judge, Record
from tests.unit.oversight.builders import accepted, approved, cancelled, phase, settled, trade

CLOSE_AT = 1_800_000
PRODUCERS = {ORDERS_EVENTS.name: "matching", SETTLEMENT_EVENTS.name: "settlement", BRIDGE_AUDIT.name: "bridge"}


class _Log:
    """Topic partitions as lists of records, filled in order."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._offsets: dict[tuple[str, int], int] = {}

    def add(self, topic: str, event: Observed, partition: int = 0) -> None:
        offset = self._offsets.get((topic, partition), 0)
        self._offsets[(topic, partition)] = offset + 1
        value = encode(envelope_for(event.message, event_id=event.event_id, occurred_at=event.at))
        self.records.append(Record(topic, partition, offset, value, event.at,
                                   [(PRODUCER_HEADER, PRODUCERS[topic].encode())]))


def _near_miss_close() -> _Log:
    """A close moved +6% by one owner's two aggressive fills, most of the window's volume: one fill short of a
    pattern (``close_min_trades`` is 3), so no alert — unless a fill is counted twice."""
    log = _Log()
    orders = ORDERS_EVENTS.name
    log.add(orders, trade("T0", at=CLOSE_AT - 600_000, buy="CN-BJ/x", sell="CN-BJ/y", price=5000))
    log.add(orders, trade("T1", at=CLOSE_AT - 60_000, buy="CN-BJ/a", sell="CN-BJ/y", price=5200, quantity=40))
    log.add(orders, trade("T2", at=CLOSE_AT - 30_000, buy="CN-BJ/a", sell="CN-BJ/y", price=5300, quantity=40))
    log.add(orders, phase("close", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED))
    return log


def _eventful_day() -> _Log:
    """Every pattern on several topics and partitions: spoofing, a wash trade, marking the close, a quota
    concentrated in one owner, with honest trading in between."""
    log = _Log()
    orders, settlements, audit = ORDERS_EVENTS.name, SETTLEMENT_EVENTS.name, BRIDGE_AUDIT.name
    for i in range(6):
        log.add(orders, accepted(f"n{i}", at=i, account="CN-BJ/honest", price=4990))
    for i in range(3):
        at = 10_000 + i * 5_000
        log.add(orders, accepted(f"s{i}", at=at, account="CN-BJ/a", price=5000, quantity=100))
        log.add(orders, cancelled(f"s{i}", at=at + 2_000, account="CN-BJ/a", remaining=100))
    log.add(orders, trade("S", at=30_000, buy="CN-BJ/x", sell="CN-BJ/a", price=4990, aggressor=Side.BUY))
    log.add(orders, trade("W", at=40_000, buy="CN-BJ/a", sell="CN-BJ/b", instrument="SH-2025"), partition=1)
    for i in range(4):
        at = 50_000 + i * 1_000
        log.add(settlements, settled(f"X{i}", at=at, buy="KR/k", sell="CN-GD/g", asset="CN-GD:ALLOWANCE:2025",
                                     quantity=400, instrument="KR-2025"), partition=i % 2)
        log.add(audit, approved(f"X{i}", at=at + 10, link_id="CN-KR"))
    log.add(orders, trade("T0", at=CLOSE_AT - 600_000, buy="CN-BJ/x", sell="CN-BJ/y", price=5000))
    for i, price in enumerate((5100, 5200, 5300)):
        log.add(orders, trade(f"T{i + 1}", at=CLOSE_AT - 60_000 + i * 1000, buy="CN-BJ/a", sell="CN-BJ/y",
                              price=price, quantity=40))
    log.add(orders, phase("close", at=CLOSE_AT, previous=Phase.CONTINUOUS, now=Phase.CLOSED))
    return log


def _judge() -> Judge:
    surveillance = Surveillance()
    surveillance.context = Context(owners=Owners({"CN-BJ/a": "acme", "CN-BJ/b": "acme"}), caps={"CN-KR": 2000})
    return Judge(surveillance)


def _alerts(batches: list[list[Record]]) -> list[tuple[str, tuple[str, ...], int]]:
    judge = _judge()
    found = []
    for batch in batches:
        read = judge.read(batch)
        assert not read.malformed
        found.extend((a.alert_id, tuple(a.evidence), a.raised_at) for a in judge.judge(read.events).alerts)
    return found


def _split(records: list[Record], sizes: list[int]) -> list[list[Record]]:
    batches, start = [], 0
    for size in itertools.cycle(sizes):
        if start >= len(records):
            return batches
        batches.append(records[start:start + size])
        start += size
    raise AssertionError("unreachable")


def _redelivered(records: list[Record], *, at: int, back: int) -> list[list[Record]]:
    """What a rebalance after record ``at`` does: the last ``back`` records read again from the last commit."""
    return [records[:at], records[at - back:]]


def test_a_day_raises_the_same_alerts_one_at_a_time_and_in_batches_of_any_size():
    records = _eventful_day().records
    one_by_one = _alerts([[r] for r in records])
    assert sorted(code.split(":")[0] for code, _, _ in one_by_one) == [
        "MARKING_THE_CLOSE", "QUOTA_CONCENTRATION", "SPOOFING", "WASH_TRADE"]
    assert _alerts([records]) == one_by_one
    rng = random.Random(13)
    for _ in range(20):
        assert _alerts(_split(records, [rng.randint(1, 9) for _ in range(5)])) == one_by_one


def test_records_delivered_again_after_a_rebalance_raise_no_alert_twice_and_none_new():
    records = _eventful_day().records
    one_by_one = _alerts([[r] for r in records])
    for at in range(1, len(records)):
        for back in (1, at // 2, at):
            assert _alerts(_redelivered(records, at=at, back=back)) == one_by_one


def test_a_close_one_fill_short_of_a_pattern_stays_so_when_its_fills_arrive_twice():
    records = _near_miss_close().records
    assert _alerts([records]) == []
    assert _alerts(_redelivered(records, at=3, back=2)) == []  # T1 and T2 read again before the close
    assert _alerts([records[:3], records[1:3], records[3:]]) == []


def test_events_judged_long_ago_are_forgotten_so_memory_stays_bounded():
    judge = Judge(Surveillance(), seen_ids=2)
    records = _near_miss_close().records
    assert len(judge.read(records[:3]).events) == 3
    assert [e.event_id for e in judge.read(records[:1]).events] == ["ev:T0"]  # beyond the remembered ids


def _interleavings(records: list[Record], rng: random.Random) -> list[Record]:
    """The records in another arrival order: each partition's own order kept, the partitions mixed at random."""
    queues: dict[tuple[str, int], list[Record]] = {}
    for record in records:
        queues.setdefault((record.topic, record.partition), []).append(record)
    mixed = []
    while queues:
        key = rng.choice(sorted(queues))
        mixed.append(queues[key].pop(0))
        if not queues[key]:
            del queues[key]
    return mixed


def test_partitions_read_in_any_interleaving_raise_the_same_alerts():
    records = _eventful_day().records
    expected = sorted(alert_id for alert_id, _, _ in _alerts([records]))
    rng = random.Random(11)
    for _ in range(30):
        assert sorted(alert_id for alert_id, _, _ in _alerts([_interleavings(records, rng)])) == expected


def _round_trip(*, back_at: int, out_at: int = 100_000) -> _Log:
    """CN-BJ/a sends 100 t to CN-SH/z (instrument SH, partition 1); CN-SH/z sells 60 t back (BJ, partition 0)."""
    log = _Log()
    log.add(SETTLEMENT_EVENTS.name, settled("OUT", at=out_at, buy="CN-SH/z", sell="CN-BJ/a", asset="CN-BJ:A:2025",
                                            instrument="SH-2025"), partition=1)
    log.add(SETTLEMENT_EVENTS.name, settled("BACK", at=back_at, buy="CN-BJ/a", sell="CN-SH/z", asset="CN-SH:A:2025",
                                            quantity=60, instrument="BJ-2025"), partition=0)
    return log


def test_a_round_trip_is_found_whichever_leg_is_read_first():
    records = _round_trip(back_at=200_000).records
    in_order, reversed_ = _alerts([records]), _alerts([records[::-1]])
    assert in_order == reversed_ == [("CROSS_BORDER_ROUND_TRIP:OUT:BACK", ("set:OUT", "set:BACK"), 200_000)]


def test_a_purchase_that_settled_before_the_leg_out_brings_nothing_back_whichever_is_read_first():
    """The replayed pilot-city drill: a purchase read after the sale of a day later (its partition behind), hours
    apart, the round-trip window (1 h) long before the sale."""
    records = _round_trip(back_at=1_000_000, out_at=10_000_000).records
    assert _alerts([records]) == _alerts([records[::-1]]) == []
