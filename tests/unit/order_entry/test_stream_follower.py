"""The event reader fetches the topics only subscribers want while one does, and from their end once one does."""

from __future__ import annotations

from aiokafka import TopicPartition

from services.order_entry.stream import Follower
from services.order_entry.stream_hub import Hub, Subscriber
from shared.topics import MARKET_DATA, ORDERS_EVENTS, SETTLEMENT_EVENTS

PARTITIONS = [TopicPartition(topic, p) for topic in (ORDERS_EVENTS.name, MARKET_DATA.name, SETTLEMENT_EVENTS.name)
              for p in (0, 1)]


class StubConsumer:
    """What the follower asks of aiokafka's consumer, recorded."""

    def __init__(self) -> None:
        self.paused: set[TopicPartition] = set()
        self.calls: list[tuple[str, set[str]]] = []

    def pause(self, *tps: TopicPartition) -> None:
        self.paused.update(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused.difference_update(tps)
        self.calls.append(("resume", {tp.topic for tp in tps}))

    async def seek_to_end(self, *tps: TopicPartition) -> None:
        assert set(tps) <= self.paused, "seeks before resuming, so nothing before the end is fetched"
        self.calls.append(("seek_to_end", {tp.topic for tp in tps}))

    def paused_topics(self) -> set[str]:
        return {tp.topic for tp in self.paused}


def follower_with(*subscribers: Subscriber) -> tuple[Follower, StubConsumer, Hub]:
    hub = Hub()
    hub.subscribers.update(subscribers)
    follower, consumer = Follower(hub), StubConsumer()
    follower.attach(consumer, PARTITIONS)  # type: ignore[arg-type]
    return follower, consumer, hub


async def test_with_no_subscriber_only_the_orders_events_are_fetched() -> None:
    follower, consumer, _ = follower_with()
    await follower.settle()
    assert consumer.paused_topics() == {MARKET_DATA.name, SETTLEMENT_EVENTS.name}


async def test_an_authenticated_subscriber_gets_settlements_and_a_book_subscriber_market_data() -> None:
    follower, consumer, _ = follower_with(Subscriber(accounts={"CN-BJ/a1"}))
    await follower.settle()
    assert consumer.paused_topics() == {MARKET_DATA.name}
    follower, consumer, _ = follower_with(Subscriber(channels={"book:X"}, accounts=set()))
    await follower.settle()
    assert consumer.paused_topics() == {SETTLEMENT_EVENTS.name}
    follower, consumer, _ = follower_with(Subscriber(accounts=None))  # an operator: every account
    await follower.settle()
    assert consumer.paused_topics() == {MARKET_DATA.name}


async def test_a_topic_wanted_again_is_read_from_its_end_before_the_subscriber_is_answered() -> None:
    follower, consumer, hub = follower_with()
    await follower.settle()
    subscriber = Subscriber(channels={"book:X"})
    hub.subscribers.add(subscriber)
    await follower.answer_after_follow()
    assert consumer.calls == [("seek_to_end", {MARKET_DATA.name}), ("resume", {MARKET_DATA.name})]
    assert consumer.paused_topics() == {SETTLEMENT_EVENTS.name}
    hub.subscribers.discard(subscriber)
    await follower.settle()
    assert consumer.paused_topics() == {MARKET_DATA.name, SETTLEMENT_EVENTS.name}


async def test_without_a_reader_a_subscriber_is_answered_at_once() -> None:
    hub = Hub()
    hub.subscribers.add(Subscriber(channels={"book:X"}))
    await Follower(hub).answer_after_follow()
