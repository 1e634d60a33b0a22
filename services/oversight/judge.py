"""The pure half of oversight's work on a batch of consumed records: drop what was judged before, parse, feed the
detectors in order, and name the effects that are due. No I/O (`services.oversight.watcher` runs the effects).

A verdict is a function of the events and their business times, never of how the records were batched: the
detectors see every event once, in its partition's order, whatever the batch boundaries. "Once" needs care,
because the same event can be delivered again — faust reads a partition again from its last committed offset
after a rebalance (a heartbeat missed on a loaded machine is enough), and a producer's outbox re-sends after a
restart. Fed twice, a trade counted twice: the same close judged with one owner's two aggressive fills as four,
a quota counted double. So an event whose id was judged recently is skipped (ids are deterministic per event).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.oversight.detectors import Observed, Surveillance
from shared.kafka import parse
from shared.messages.operations import AlertRaised
from shared.messages.order_events import BookDelta, TradeExecuted
from shared.messages.post_trade import TradeSettled
from shared.messages.vocabulary import Side

#: How many recent event ids are remembered: far more than faust reads again after a rebalance (its commit
#: interval, a few seconds of events) or an outbox re-sends.
SEEN_IDS = 200_000


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed message as the shared parsing and dead-letter helpers expect it."""

    topic: str
    partition: int
    offset: int
    value: bytes
    timestamp: int
    headers: list[tuple[str, bytes]]


@dataclass(slots=True)
class Read:
    """A batch's records parsed: the events to judge, in order, and the records that do not parse, with why."""

    events: list[Observed] = field(default_factory=list)
    malformed: list[tuple[Record, str]] = field(default_factory=list)
    latest: dict[str, int] = field(default_factory=dict)  # topic → the latest business time in the batch

    @property
    def has_trades(self) -> bool:
        return any(isinstance(e.message, (TradeExecuted, TradeSettled)) for e in self.events)


@dataclass(slots=True)
class Verdicts:
    """What a batch's events call for: alerts in the order raised, the instruments whose corridor readings moved,
    and the settled trades (with their business times) whose purchases and positions to record."""

    alerts: list[AlertRaised] = field(default_factory=list)
    readings: list[str] = field(default_factory=list)
    settled: list[tuple[TradeSettled, int]] = field(default_factory=list)


class Judge:
    def __init__(self, surveillance: Surveillance, *, seen_ids: int = SEEN_IDS) -> None:
        self.surveillance = surveillance
        self._touch: dict[str, dict[Side, dict[int, int]]] = {}
        self._seen: dict[tuple[str, str], None] = {}  # (topic, event id), oldest first
        self._seen_ids = seen_ids

    def read(self, records: Iterable[Record]) -> Read:
        """Parse the records; keep the book deltas' touch; leave out events judged before."""
        found = Read()
        for record in records:
            parsed = parse(record)  # type: ignore[arg-type]
            if isinstance(parsed, str):
                found.malformed.append((record, parsed))
                continue
            envelope, message = parsed.envelope, parsed.message
            if envelope.occurred_at > found.latest.get(record.topic, 0):
                found.latest[record.topic] = envelope.occurred_at
            if isinstance(message, BookDelta):  # a level's quantity: setting it again is harmless
                self._book_delta(message)
                continue
            key = (record.topic, envelope.event_id)
            if key in self._seen:
                continue
            self._seen[key] = None
            if len(self._seen) > self._seen_ids:
                del self._seen[next(iter(self._seen))]
            found.events.append(Observed(envelope.event_id, envelope.occurred_at, message))
        return found

    def judge(self, events: Iterable[Observed]) -> Verdicts:
        """Feed the events to the detectors, in order."""
        verdicts = Verdicts()
        watches = self.surveillance.context.watches
        for event in events:
            verdicts.alerts.extend(self.surveillance.observe(event))
            message = event.message
            if isinstance(message, TradeExecuted):
                if message.instrument in watches and message.instrument not in verdicts.readings:
                    verdicts.readings.append(message.instrument)
            elif isinstance(message, TradeSettled):
                verdicts.settled.append((message, event.at))
        return verdicts

    def _book_delta(self, delta: BookDelta) -> None:
        levels = self._touch.setdefault(delta.instrument, {Side.BUY: {}, Side.SELL: {}})[delta.side]
        if delta.quantity > 0:
            levels[delta.price] = delta.quantity
        else:
            levels.pop(delta.price, None)

    def touch(self, instrument: str) -> tuple[int | None, int | None]:
        """The best bid and ask the market data shows."""
        book = self._touch.get(instrument, {Side.BUY: {}, Side.SELL: {}})
        return max(book[Side.BUY], default=None), min(book[Side.SELL], default=None)
