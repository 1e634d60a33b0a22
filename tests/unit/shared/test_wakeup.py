"""Wake-up pokes: a process pokes a topic at most once per interval (a poked consumer stays awake longer)."""

from __future__ import annotations

from shared import wakeup


def test_a_process_pokes_a_topic_at_most_once_per_interval() -> None:
    assert wakeup.due(["t.a", "t.b"], now=1000.0) == ["t.a", "t.b"]
    assert wakeup.due(["t.a", "t.b"], now=1000.0 + wakeup.EVERY_S / 2) == []
    assert wakeup.due(["t.a"], now=1000.0 + wakeup.EVERY_S) == ["t.a"]


def test_every_topic_has_a_channel_of_its_own() -> None:
    assert wakeup.channel("orders.events") != wakeup.channel("orders.commands")
