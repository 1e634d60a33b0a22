"""The pure price-time matching core: standard library only, no I/O, no clock, no randomness.

`MatchingEngine(rules).handle(command) -> list[event]`; the same command stream always yields the same
event stream, and `snapshot()` / `MatchingEngine.restore()` carry the state across restarts.
"""

from services.matching.core.commands import (AdvanceClock, AmendOrder, CancelOrder, ChangePhase, ClearBandOverride,
                                             MassCancel, SetBandOverride, SetReferencePrice, SubmitOrder)
from services.matching.core.engine import MatchingEngine
from services.matching.core.events import (BandOverrideChanged, BookDelta, CommandRejected, Event, OrderAccepted, OrderAmended,
                                           OrderCancelled, OrderExpired, OrderRejected, PhaseChanged,
                                           ReferencePriceChanged, TradeExecuted, TradingHalted)
from services.matching.core.instrument import CircuitBreaker, InstrumentRules

__all__ = [
    "AdvanceClock", "AmendOrder", "BandOverrideChanged", "BookDelta", "CancelOrder", "ChangePhase", "CircuitBreaker",
    "ClearBandOverride", "CommandRejected", "Event", "InstrumentRules", "MassCancel", "MatchingEngine",
    "OrderAccepted", "OrderAmended", "OrderCancelled", "OrderExpired", "OrderRejected", "PhaseChanged",
    "ReferencePriceChanged", "SetBandOverride", "SetReferencePrice", "SubmitOrder", "TradeExecuted", "TradingHalted",
]
