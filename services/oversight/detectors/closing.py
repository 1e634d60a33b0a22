"""Marking the close: in the last minutes before a market closes, one owner's aggressive trades — several of
them, most of the volume — move the closing price beyond a threshold away from the last price before those
minutes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from shared.messages.operations import AlertRaised
from shared.messages.order_events import PhaseChanged, TradeExecuted
from shared.messages.vocabulary import Phase, Side

from services.oversight.detectors.observed import MARKING_THE_CLOSE, Observed, Owners, Thresholds, alert

_OPEN_PHASES = frozenset({Phase.CONTINUOUS, Phase.CLOSING_AUCTION})


@dataclass(frozen=True, slots=True)
class _Trade:
    at: int
    price: int
    quantity: int
    aggressor: str | None  # the account whose order took liquidity (None in an auction uncross)
    aggressor_side: Side | None
    event_id: str


@dataclass(slots=True)
class _Session:
    trades: list[_Trade] = field(default_factory=list)


class ClosingDetector:
    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._sessions: dict[str, _Session] = defaultdict(_Session)

    def observe(self, event: Observed, owners: Owners) -> AlertRaised | None:
        message = event.message
        if isinstance(message, TradeExecuted):
            aggressor = None
            if message.aggressor_side is Side.BUY:
                aggressor = message.buy_account
            elif message.aggressor_side is Side.SELL:
                aggressor = message.sell_account
            self._sessions[message.instrument].trades.append(_Trade(
                event.at, message.price, message.quantity, aggressor, message.aggressor_side, event.event_id))
        elif (isinstance(message, PhaseChanged) and message.phase is Phase.CLOSED
              and message.previous in _OPEN_PHASES):
            return self._closed(event, message.instrument, owners)
        return None

    def _closed(self, event: Observed, instrument: str, owners: Owners) -> AlertRaised | None:
        session = self._sessions[instrument]
        trades, session.trades = session.trades, session.trades[-1:]  # the close seeds the next session
        start = event.at - self.thresholds.close_window_ms
        before = [t for t in trades if t.at < start]
        window = [t for t in trades if t.at >= start]
        if not before or not window:
            return None
        anchor, close = before[-1].price, window[-1].price
        move = Fraction(close - anchor, anchor)
        if abs(move) < self.thresholds.close_move:
            return None
        pushing = Side.BUY if move > 0 else Side.SELL
        volume: dict[str, int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        for t in window:
            if t.aggressor is not None and t.aggressor_side is pushing:
                volume[owners.of(t.aggressor)] += t.quantity
                count[owners.of(t.aggressor)] += 1
        if not volume:
            return None
        owner = max(sorted(volume), key=volume.__getitem__)
        total = sum(t.quantity for t in window)
        if volume[owner] <= self.thresholds.close_dominance * total or count[owner] < self.thresholds.close_min_trades:
            return None
        evidence = [t.event_id for t in window if t.aggressor is not None and t.aggressor_side is pushing
                    and owners.of(t.aggressor) == owner] + [event.event_id]
        return alert(MARKING_THE_CLOSE, key=f"{instrument}:{event.event_id}", severity="MEDIUM", subject=instrument,
                     owner=owner, evidence=evidence, raised_at=event.at,
                     summary=f"{owner}'s trades in the last minutes moved the close {float(move):+.1%}",
                     details={"anchor_price": anchor, "close_price": close, "owner_volume": volume[owner],
                              "window_volume": total})
