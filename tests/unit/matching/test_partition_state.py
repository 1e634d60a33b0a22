"""A partition's snapshot names what it covers: for matching's own restart (next offset, topic incarnation, last
outbox entry applied) and for order entry's relay (``shared.order_outbox.covered_key``)."""

from __future__ import annotations

from services.matching import partition_state
from services.matching.partition_state import PartitionState
from shared import order_outbox
from tests.unit.matching.test_event_chain import FakeRedis
from tests.unit.matching.support import make_engine


def test_the_last_outbox_entry_applied_is_the_latest_in_stream_order_whatever_order_they_came_in() -> None:
    state = PartitionState("orders.commands", 0)
    for entry_id in ["1700000000000-0", "1700000000000-1", "", "1699999999999-5", "1700000000001-0", "9-0"]:
        state.applied_entry(entry_id)
    assert state.outbox_id == "1700000000001-0"


async def test_a_snapshot_carries_its_coverage_for_the_relay_and_its_last_outbox_entry() -> None:
    state = PartitionState("orders.commands", 2, next_offset=42, incarnation="life-2",
                           engines={"CEA": make_engine(instrument="CEA")})
    state.applied_entry("1700000000000-3")
    state.commands_since_snapshot = 7
    written = partition_state.capture(state)

    assert state.commands_since_snapshot == 0
    covered = written[order_outbox.covered_key("orders.commands", 2)].decode()
    assert order_outbox.parse_covered(covered) == ("life-2", 42)
    restored = await partition_state.load(FakeRedis(written), "orders.commands", 2)
    assert (restored.next_offset, restored.incarnation, restored.outbox_id) == (42, "life-2", "1700000000000-3")
    assert not restored.replay_outbox


def test_coverage_values_parse_back_and_nothing_parses_as_coverage() -> None:
    assert order_outbox.parse_covered(order_outbox.covered_value("a:b", 0)) == ("a:b", 0)
    assert order_outbox.parse_covered("") is None
    assert order_outbox.parse_covered("life:x") is None
