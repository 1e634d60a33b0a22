"""The fetch pacer: short waits while messages flow, longer while quiet, no fetching at all after a quiet spell
while wake-up pokes can reach the consumer, and every partition fetching again at once on a poke."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import TopicPartition

from shared.fetch_pacer import FetchPacer

A, B, C = (TopicPartition("orders.events", p) for p in range(3))


@dataclass
class Fetcher:
    _fetch_max_wait_ms: int = 10


@dataclass
class Consumer:
    """The part of aiokafka's consumer the pacer uses."""

    assigned: set[TopicPartition] = field(default_factory=lambda: {A, B})
    paused_by_others: set[TopicPartition] = field(default_factory=set)
    paused_now: set[TopicPartition] = field(default_factory=set)
    polled_ms: float | None = float("inf")  # when a fetch answer last came (inf: always just now)
    _fetcher: Fetcher = field(default_factory=Fetcher)

    def last_poll_timestamp(self, tp: TopicPartition) -> float | None:
        return self.polled_ms

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def paused(self) -> set[TopicPartition]:
        return self.paused_now | self.paused_by_others

    def pause(self, *tps: TopicPartition) -> None:
        self.paused_now |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused_now -= set(tps)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def pacer(consumer: Consumer, clock: Clock, *, listening: bool = True) -> FetchPacer:
    p = FetchPacer(consumer, busy_ms=10, idle_ms=100, doze_after_ms=2_000, doze_ms=1_000, clock=clock)
    p.listening(listening)
    return p


def quiet_for(p: FetchPacer, clock: Clock, seconds: float, step: float = 0.1) -> None:
    end = clock.now + seconds
    while clock.now < end:
        clock.now += step
        p.fetched(False)


def test_the_wait_doubles_while_quiet_up_to_the_idle_wait_and_drops_back_with_records() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock, listening=False)
    waits = []
    for _ in range(5):
        p.fetched(False)
        waits.append(consumer._fetcher._fetch_max_wait_ms)
    p.fetched(True)
    assert waits == [20, 40, 80, 100, 100] and consumer._fetcher._fetch_max_wait_ms == 10


def test_after_a_quiet_spell_a_consumer_that_hears_pokes_pauses_its_partitions() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 1.9)
    assert not p.dozing
    quiet_for(p, clock, 0.2)
    assert p.dozing and consumer.paused_now == {A, B}


def test_without_pokes_a_consumer_never_stops_fetching() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock, listening=False)
    quiet_for(p, clock, 10)
    assert not p.dozing and not consumer.paused_now


def test_a_poke_resumes_every_partition_at_the_short_wait_and_keeps_it_awake_for_the_quiet_spell() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 3)
    p.wake()
    assert not p.dozing and not consumer.paused_now and consumer._fetcher._fetch_max_wait_ms == 10
    quiet_for(p, clock, 1.9)
    assert not p.dozing
    quiet_for(p, clock, 0.2)
    assert p.dozing


def test_a_dozing_consumer_still_fetches_once_every_doze_interval_then_dozes_again() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 2.05)
    assert p.dozing
    quiet_for(p, clock, 0.9)
    assert p.dozing
    quiet_for(p, clock, 0.1)
    assert not p.dozing and not consumer.paused_now  # the safety fetch
    quiet_for(p, clock, 0.1)
    assert p.dozing


def test_records_wake_a_dozing_consumer() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 2.05)
    p.fetched(True)
    assert not p.dozing and consumer._fetcher._fetch_max_wait_ms == 10


def test_partitions_paused_by_someone_else_stay_paused_and_lost_ones_are_not_resumed() -> None:
    consumer, clock = Consumer(assigned={A, B, C}, paused_by_others={C}), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 2.05)
    assert consumer.paused_now == {A, B}
    consumer.assigned = {A}
    consumer.paused_now = {A, C}
    p.wake()
    assert consumer.paused_now == {C}


def test_losing_the_pokes_wakes_a_dozing_consumer() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 2.05)
    p.listening(False)
    assert not p.dozing and not consumer.paused_now



def test_a_dozing_consumer_waits_in_getmany_until_its_next_check_fetch_and_an_awake_one_does_not() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    assert p.timeout_ms(100) == 100
    quiet_for(p, clock, 2.05)
    assert p.dozing
    assert 900 <= p.timeout_ms(100) <= 1000
    clock.now += 0.95
    assert p.timeout_ms(100) == 100  # never shorter than the loop's own wait
    p.wake()
    assert p.timeout_ms(100) == 100


def test_a_check_fetch_keeps_its_partitions_fetching_until_an_answer_came_back() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 2.05)
    consumer.polled_ms = None  # the broker has not answered yet (a loaded machine)
    quiet_for(p, clock, 1.0)
    assert not p.dozing
    quiet_for(p, clock, 0.5)
    assert not p.dozing and not consumer.paused_now  # an answer brought now would not be dropped
    consumer.polled_ms = float("inf")
    quiet_for(p, clock, 0.1)
    assert p.dozing


def test_an_unanswered_check_gives_up_after_a_while() -> None:
    consumer, clock = Consumer(), Clock()
    p = pacer(consumer, clock)
    quiet_for(p, clock, 2.05)
    consumer.polled_ms = None
    quiet_for(p, clock, 1.0 + 2.1)
    assert p.dozing
