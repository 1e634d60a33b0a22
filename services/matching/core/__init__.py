"""The pure price-time matching core: standard library only, no I/O, no clock, no randomness.

`MatchingEngine(rules).handle(command) -> list[event]`; the same command stream always yields the same
event stream, and `snapshot()` / `MatchingEngine.restore()` carry the state across restarts.
"""

from services.matching.core.commands import (AdvanceClock, AmendOrder, CancelOrder, ChangePhase, MassCancel,
                                             SetReferencePrice, SubmitOrder)
from services.matching.core.engine import MatchingEngine
from services.matching.core.events import (BookDelta, CommandRejected, Event, OrderAccepted, OrderAmended,
                                           OrderCancelled, OrderExpired, OrderRejected, PhaseChanged,
                                           ReferencePriceChanged, TradeExecuted, TradingHalted)
from services.matching.core.instrument import CircuitBreaker, InstrumentRules

__all__ = [
    "AdvanceClock", "AmendOrder", "BookDelta", "CancelOrder", "ChangePhase", "CircuitBreaker", "CommandRejected",
    "Event", "InstrumentRules", "MassCancel", "MatchingEngine", "OrderAccepted", "OrderAmended", "OrderCancelled",
    "OrderExpired", "OrderRejected", "PhaseChanged", "ReferencePriceChanged", "SetReferencePrice", "SubmitOrder",
    "TradeExecuted", "TradingHalted",
]
