"""Core events are immutable values: readable by field name, equal only to an event of the same type."""

import pytest

from services.matching.core import OrderCancelled, OrderExpired, OrderRejected


def test_an_event_cannot_be_changed_after_it_is_created():
    event = OrderExpired("CEA", 3, 10, "o1", "CN-BJ/a", "BUY", 5)
    with pytest.raises(AttributeError):
        event.remaining_quantity = 0


def test_an_event_reads_by_field_name_and_carries_its_id():
    event = OrderCancelled("CEA", 7, 10, "o1", "CN-BJ/a", "SELL", 5, "REQUESTED")
    assert (event.order_id, event.reason, event.event_id) == ("o1", "REQUESTED", "CEA:7")
    assert event._asdict()["remaining_quantity"] == 5


def test_events_of_different_types_with_the_same_values_are_not_equal():
    fields = ("CEA", 7, 10, "o1", "CN-BJ/a", "SELL", 5, "X")
    assert OrderCancelled(*fields) == OrderCancelled(*fields)
    assert OrderCancelled(*fields) != OrderRejected(*fields)
    assert OrderCancelled(*fields) != tuple(fields)
