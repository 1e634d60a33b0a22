"""Which outbox commands count as applied by matching, from its events and from the order's mirrored state."""

from __future__ import annotations

from services.order_entry.outbox_acks import Pending, PendingCommands


def pending(n: int, kind: str, order_id: str = "O-1", *, sent_at: float | None = 0.0, partition: int = 0,
            offset: int | None = None, incarnation: str = "i1") -> Pending:
    return Pending(entry_id=f"{n}-0", key=b"X", value=b"{}", kind=kind, order_id=order_id, sent_at=sent_at,
                   partition=partition, offset=n if offset is None else offset, incarnation=incarnation)


def acknowledged(box: PendingCommands) -> list[str]:
    """The entries acknowledged so far, as a snapshot covering everything prunes them."""
    box.prune({0: ("i1", 10**9), 1: ("i1", 10**9)})
    return box.take_done()


def commands(*entries: Pending) -> PendingCommands:
    box = PendingCommands()
    for entry in entries:
        box.add(entry)
    return box


def test_a_submit_is_acknowledged_by_its_accepted_or_rejected_event() -> None:
    box = commands(pending(1, "SUBMIT", "O-1"), pending(2, "SUBMIT", "O-2"), pending(3, "SUBMIT", "O-3"))
    box.on_event("OrderAccepted", {"order_id": "O-1"})
    box.on_event("OrderRejected", {"order_id": "O-2", "reason": "NO_LIQUIDITY"})
    box.on_event("OrderAccepted", {"order_id": "O-unknown"})
    assert acknowledged(box) == ["1-0", "2-0"]
    assert [p.order_id for p in box.held()] == ["O-3"] and len(box) == 1


def test_an_amend_and_a_cancel_are_acknowledged_by_their_own_outcome_one_at_a_time() -> None:
    box = commands(pending(1, "AMEND"), pending(2, "AMEND"), pending(3, "CANCEL"))
    box.on_event("OrderAmended", {"order_id": "O-1"})
    assert acknowledged(box) == ["1-0"]
    box.on_event("CommandRejected", {"order_id": "O-1", "command": "AMEND", "reason": "UNKNOWN_ORDER"})
    assert acknowledged(box) == ["2-0"]
    box.on_event("OrderCancelled", {"order_id": "O-1"})
    assert acknowledged(box) == ["3-0"] and len(box) == 0


def test_a_rejected_cancel_does_not_count_while_the_orders_submit_is_unacknowledged() -> None:
    box = commands(pending(1, "SUBMIT"), pending(2, "CANCEL"))
    box.on_event("CommandRejected", {"order_id": "O-1", "command": "CANCEL", "reason": "UNKNOWN_ORDER"})
    assert acknowledged(box) == [] and len(box) == 2


def test_every_command_of_an_order_that_ended_is_acknowledged() -> None:
    box = commands(pending(1, "AMEND", "b"), pending(2, "CANCEL", "b"), pending(3, "CANCEL", "s"))
    box.on_event("TradeExecuted", {"buy_order_id": "b", "buy_leaves_quantity": 0, "sell_order_id": "s",
                                   "sell_leaves_quantity": 5})
    assert acknowledged(box) == ["1-0", "2-0"]
    box.on_event("OrderExpired", {"order_id": "s"})
    assert acknowledged(box) == ["3-0"]


def test_overdue_commands_are_settled_by_the_orders_state_and_the_rest_sent_again_in_order() -> None:
    box = commands(pending(1, "SUBMIT", "a", sent_at=0.0), pending(2, "SUBMIT", "b", sent_at=0.0),
                   pending(3, "CANCEL", "c", sent_at=0.0), pending(4, "CANCEL", "d", sent_at=0.0),
                   pending(5, "SUBMIT", "e", sent_at=9.0), pending(6, "SUBMIT", "f", sent_at=None))
    overdue = box.overdue(now=10.0, after=5.0)
    assert [p.order_id for p in overdue] == ["a", "b", "c", "d"]
    again = box.on_states(zip(overdue, ["NEW", "PENDING_NEW", "CANCELLED", "NEW"]))
    assert [p.order_id for p in again] == ["b", "d"]
    assert acknowledged(box) == ["1-0", "3-0"]


def test_an_acknowledged_command_is_held_until_a_snapshot_of_its_partition_and_incarnation_is_past_it() -> None:
    box = commands(pending(1, "SUBMIT", "a", offset=7), pending(2, "SUBMIT", "b", partition=1, offset=3),
                   pending(3, "SUBMIT", "c", offset=8, incarnation="i0"), pending(4, "SUBMIT", "d", offset=9))
    for order_id in "abcd":
        box.on_event("OrderAccepted", {"order_id": order_id})
    assert len(box) == 0 and box.take_done() == []
    assert box.prune({0: ("i1", 7)}) == 0  # the snapshot's next offset is the command's: not applied in it
    assert box.prune({0: ("i1", 8), 1: ("i2", 100)}) == 1  # partition 1's snapshot is of another topic life
    assert box.take_done() == ["1-0"]
    assert box.prune({0: ("i1", 100)}) == 1  # "c" was last published in an earlier life of the topic
    assert box.take_done() == ["4-0"]
    assert [p.order_id for p in box.held()] == ["b", "c"]
    assert box.applied_partitions() == {0, 1}


def test_held_is_every_entry_not_yet_pruned_in_outbox_order_acknowledged_or_not() -> None:
    box = commands(pending(10, "SUBMIT", "a"), pending(9, "SUBMIT", "b"), pending(11, "CANCEL", "a"),
                   pending(12, "SUBMIT", "c", partition=1))
    box.on_event("OrderAccepted", {"order_id": "a"})
    box.on_event("OrderAccepted", {"order_id": "c"})
    assert [p.entry_id for p in box.held()] == ["9-0", "10-0", "11-0", "12-0"]
    box.add(pending(10, "SUBMIT", "a"))  # known already, acknowledged: not pending again
    assert len(box) == 2
    box.prune({1: ("i1", 100)})
    assert [p.entry_id for p in box.held()] == ["9-0", "10-0", "11-0"]


def test_a_command_never_published_is_never_covered() -> None:
    box = commands(Pending(entry_id="1-0", key=b"X", value=b"{}", kind="SUBMIT", order_id="a"))
    box.on_event("OrderAccepted", {"order_id": "a"})
    assert box.prune({0: ("", 10**9)}) == 0 and box.applied_partitions() == set()


def test_the_outbox_holds_something_until_every_command_is_acknowledged_and_covered() -> None:
    box = commands()
    assert not box.holding()
    box.add(pending(1, "SUBMIT", "a"))
    assert box.holding()
    box.on_event("OrderAccepted", {"order_id": "a"})
    assert box.holding()  # acknowledged, not yet covered by a snapshot
    box.prune({0: ("i1", 100)})
    assert not box.holding()
