"""The topic catalogue says which message types each topic carries and which services may produce them."""

from __future__ import annotations

import pytest

from shared.event_outbox import position_of
from shared.messages import MESSAGE_TYPES
from shared.topics import ALL_TOPICS, BRIDGE_RESULTS, ORDERS_COMMANDS, ORDERS_EVENTS, misrouted


def test_every_message_type_belongs_to_exactly_one_topic() -> None:
    carried = [name for topic in ALL_TOPICS for name in topic.message_types]
    assert sorted(carried) == sorted(MESSAGE_TYPES)


def test_a_message_of_its_topic_from_its_producer_is_accepted() -> None:
    assert misrouted(ORDERS_EVENTS.name, "TradeExecuted", "matching") is None
    assert misrouted(ORDERS_COMMANDS.name, "MassCancel", "bridge") is None


@pytest.mark.parametrize(("topic", "kind", "producer", "reason"), [
    (ORDERS_EVENTS.name, "SubmitOrder", "matching", "SubmitOrder is not a message of orders.events"),
    (ORDERS_EVENTS.name, "TradeExecuted", "order_entry", "orders.events accepts messages from matching only"),
    (BRIDGE_RESULTS.name, "DeliveryDecided", "", "not from an unnamed producer"),
])
def test_a_foreign_type_or_producer_is_refused_with_the_reason(topic: str, kind: str, producer: str,
                                                               reason: str) -> None:
    assert reason in (misrouted(topic, kind, producer) or "")


def test_an_event_id_is_its_instrument_and_sequence_number() -> None:
    assert position_of("BJA:2025:41") == ("BJA:2025", 41)
    for bad in ("BJA:T41", "41", "BJA:", "BJA:-1"):
        with pytest.raises(ValueError):
            position_of(bad)
