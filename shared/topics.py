"""The topic catalogue: every Kafka topic, its key, partitions, producers, consumers and the message types it
carries, in one place. A consumer accepts a message only if its type is one of its topic's and the service
stamped in its ``producer`` header is one of its topic's producers (see ``shared.kafka.parse``); anything else
goes to the dead-letter topic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    key: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    message_types: tuple[str, ...]
    keyed_by_instrument: bool = True


ORDER_COMMANDS = ("ConfigureInstrument", "SubmitOrder", "CancelOrder", "AmendOrder", "MassCancel", "ChangePhase",
                  "AdvanceClock", "SetBandOverride", "ClearBandOverride")
ORDER_EVENTS = ("OrderAccepted", "OrderRejected", "OrderCancelled", "OrderExpired", "OrderAmended", "TradeExecuted",
                "CommandRejected", "PhaseChanged", "ReferencePriceChanged", "BandOverrideChanged", "TradingHalted")

# The bridge publishes mass cancels on a link's suspension; oversight halts a market that leaves its corridor
# or narrows its next session's band.
ORDERS_COMMANDS = Topic("orders.commands", "instrument", ("order_entry", "bridge", "oversight"), ("matching",),
                        ORDER_COMMANDS)
ORDERS_EVENTS = Topic("orders.events", "instrument", ("matching",), ("settlement", "order_entry", "oversight"),
                      ORDER_EVENTS)
MARKET_DATA = Topic("market.data", "instrument", ("matching",), ("order_entry", "oversight"), ("BookDelta",))
SETTLEMENT_EVENTS = Topic("settlement.events", "instrument", ("settlement",), ("order_entry", "oversight"),
                          ("TradeSettled", "TradeFailed"))
BRIDGE_REQUESTS = Topic("bridge.requests", "instrument", ("settlement",), ("bridge",), ("DeliveryRequested",))
BRIDGE_RESULTS = Topic("bridge.results", "instrument", ("bridge",), ("settlement",), ("DeliveryDecided",))
BRIDGE_COMMANDS = Topic("bridge.commands", "link id", ("order_entry",), ("bridge",),
                        ("SuspendLink", "ResumeLink", "TerminateLink"), keyed_by_instrument=False)
BRIDGE_AUDIT = Topic("bridge.audit", "link id", ("bridge",), ("oversight",),
                     ("BridgeCheckRecorded", "LinkCommandExecuted"), keyed_by_instrument=False)
OVERSIGHT_ALERTS = Topic("oversight.alerts", "subject", ("oversight",), (), ("AlertRaised",),
                         keyed_by_instrument=False)
REGISTRY_TRANSFERS = Topic("registry.transfers", "registry", ("settlement", "bridge"), (), ("LedgerEntryRecorded",),
                           keyed_by_instrument=False)
SERVICE_NAMES = ("matching", "settlement", "bridge", "oversight", "order_entry")
SERVICE_HEARTBEATS = Topic("service.heartbeats", "service", SERVICE_NAMES, (), ("ServiceHeartbeat",),
                           keyed_by_instrument=False)
DEADLETTER = Topic("deadletter", "source topic", SERVICE_NAMES, (), ("DeadLettered",), keyed_by_instrument=False)

ALL_TOPICS: tuple[Topic, ...] = (
    ORDERS_COMMANDS, ORDERS_EVENTS, MARKET_DATA, SETTLEMENT_EVENTS, BRIDGE_REQUESTS, BRIDGE_RESULTS,
    BRIDGE_COMMANDS, BRIDGE_AUDIT, REGISTRY_TRANSFERS, SERVICE_HEARTBEATS, DEADLETTER, OVERSIGHT_ALERTS,
)


BY_NAME: dict[str, Topic] = {topic.name: topic for topic in ALL_TOPICS}


def misrouted(topic_name: str, message_type: str, producer: str) -> str | None:
    """Why a message of ``message_type`` stamped by ``producer`` does not belong on the topic, or None."""
    topic = BY_NAME.get(topic_name)
    if topic is None:
        return None
    if message_type not in topic.message_types:
        return f"{message_type} is not a message of {topic_name}"
    if producer not in topic.producers:
        return f"{topic_name} accepts messages from {', '.join(topic.producers)} only, not from {producer or 'an unnamed producer'}"
    return None


def partitions_for(topic: Topic, default_partitions: int) -> int:
    """Instrument-keyed topics are split across matching instances; the rest need one partition for order."""
    return default_partitions if topic.keyed_by_instrument else 1
