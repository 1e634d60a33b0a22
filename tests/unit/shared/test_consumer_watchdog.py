"""`shared.consumer_watchdog.Membership`: when a group consumer consumes, and when it must be replaced."""

from __future__ import annotations

from shared.consumer_watchdog import Membership

OLD, NEW = ("a", "b"), ("a2", "b2")


def joined_and_fetching(now: float = 0.0) -> Membership:
    rule = Membership(now, join_s=15, loop_stall_s=60, fetch_stall_s=5)
    rule.joined()
    rule.observe(now, OLD, broker_ok=True)
    rule.fetched(now)
    return rule


def test_a_new_consumer_does_not_consume_until_it_joined_and_is_replaced_if_it_never_joins() -> None:
    rule = Membership(0.0, join_s=15)
    rule.fetched(1.0)
    assert rule.consuming(1.0) == "has not joined its group yet"
    assert rule.verdict(14.9) is None
    assert "has not joined its group yet for 15s" in rule.verdict(15.0)


def test_a_member_that_fetches_consumes_and_stays() -> None:
    rule = joined_and_fetching()
    for now in range(1, 200):
        rule.observe(now, OLD, broker_ok=True)
        rule.fetched(now)
        assert rule.consuming(now) is None and rule.verdict(now) is None


def test_a_recreated_topic_makes_the_consumer_a_non_member_until_it_rejoins() -> None:
    rule = joined_and_fetching()
    rule.observe(10.0, NEW, broker_ok=True)
    rule.fetched(11.0)
    assert "recreated" in rule.consuming(11.0)
    assert rule.verdict(24.0) is None
    rule.joined()  # the group rejoined: the new tokens become what it knows
    rule.observe(25.0, NEW, broker_ok=True)
    rule.fetched(25.0)
    assert rule.consuming(25.0) is None and rule.verdict(100.0 - 60) is None


def test_a_consumer_that_never_rejoins_after_a_recreated_topic_is_replaced_with_the_reason() -> None:
    rule = joined_and_fetching()
    rule.observe(10.0, NEW, broker_ok=True)
    for now in range(11, 25):
        rule.fetched(now)
        assert rule.verdict(now) is None
    reason = rule.verdict(25.0)
    assert reason is not None and "recreated" in reason and "for 15s while the broker answers" in reason


def test_a_join_that_saw_the_new_topics_already_is_not_mistaken_for_a_lost_one() -> None:
    rule = joined_and_fetching()
    rule.joined()  # rejoined before this watchdog read the new tokens: they are what the join saw
    rule.observe(3.0, NEW, broker_ok=True)
    rule.fetched(100.0)
    assert rule.consuming(100.0) is None and rule.verdict(100.0) is None


def test_no_time_counts_against_a_consumer_while_the_broker_is_away() -> None:
    rule = joined_and_fetching()
    rule.observe(10.0, NEW, broker_ok=False)
    rule.observe(40.0, NEW, broker_ok=False)  # the broker is back at 40 s
    rule.observe(41.0, NEW, broker_ok=True)
    assert rule.verdict(54.0) is None
    assert rule.verdict(55.0) is not None


def test_a_fetch_loop_stuck_is_not_ready_at_once_and_replaced_after_the_long_bound() -> None:
    rule = joined_and_fetching()
    rule.observe(1.0, OLD, broker_ok=True)
    assert rule.consuming(5.0) is None
    assert rule.consuming(6.0) == "no fetch for 6s"
    assert rule.verdict(59.0) is None
    assert "has not fetched for 60s" in rule.verdict(60.0)


def test_redis_not_answering_changes_nothing() -> None:
    rule = joined_and_fetching()
    rule.observe(5.0, None, broker_ok=True)
    rule.fetched(5.0)
    assert rule.consuming(5.0) is None and rule.verdict(5.0) is None
