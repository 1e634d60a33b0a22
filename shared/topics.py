"""The topic catalogue: every Kafka topic, its key, partitions, producer and consumers, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    keyed_by_instrument: bool = True


ORDERS_COMMANDS = Topic("orders.commands", "instrument", ("order_entry",), ("matching",))
ORDERS_EVENTS = Topic("orders.events", "instrument", ("matching",), ("settlement", "order_entry"))
MARKET_DATA = Topic("market.data", "instrument", ("matching",), ("order_entry",))
SETTLEMENT_EVENTS = Topic("settlement.events", "instrument", ("settlement",), ("order_entry",))
BRIDGE_REQUESTS = Topic("bridge.requests", "instrument", ("settlement",), ("bridge",))
BRIDGE_RESULTS = Topic("bridge.results", "instrument", ("bridge",), ("settlement",))
BRIDGE_COMMANDS = Topic("bridge.commands", "link id", ("order_entry",), ("bridge",), keyed_by_instrument=False)
BRIDGE_AUDIT = Topic("bridge.audit", "link id", ("bridge",), (), keyed_by_instrument=False)
REGISTRY_TRANSFERS = Topic("registry.transfers", "registry", ("settlement", "bridge"), (), keyed_by_instrument=False)
SERVICE_HEARTBEATS = Topic("service.heartbeats", "service", ("matching", "settlement", "bridge", "order_entry"), (),
                           keyed_by_instrument=False)
DEADLETTER = Topic("deadletter", "source topic", ("matching", "settlement", "bridge", "order_entry"), (),
                   keyed_by_instrument=False)

ALL_TOPICS: tuple[Topic, ...] = (
    ORDERS_COMMANDS, ORDERS_EVENTS, MARKET_DATA, SETTLEMENT_EVENTS, BRIDGE_REQUESTS, BRIDGE_RESULTS,
    BRIDGE_COMMANDS, BRIDGE_AUDIT, REGISTRY_TRANSFERS, SERVICE_HEARTBEATS, DEADLETTER,
)


def partitions_for(topic: Topic, default_partitions: int) -> int:
    """Instrument-keyed topics are split across matching instances; the rest need one partition for order."""
    return default_partitions if topic.keyed_by_instrument else 1
