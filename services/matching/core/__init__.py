"""The pure price-time matching core: standard library only, no I/O, no clock, no randomness.

`MatchingEngine(rules).handle(command) -> list[event]`; the same command stream always yields the same
event stream, and `snapshot()` / `MatchingEngine.restore()` carry the state across restarts.

`MatchingEngine` is the compiled copy of this core when it is built and current, else the pure-Python one here
(`selection.py`; `BUILD` says which).
"""

from services.matching.core.commands import (AdvanceClock, AmendOrder, CancelOrder, ChangePhase, ClearBandOverride,
                                             MassCancel, SetBandOverride, SetReferencePrice, SubmitOrder)
from services.matching.core.events import (BandOverrideChanged, BookDelta, CommandRejected, Event, OrderAccepted, OrderAmended,
                                           OrderCancelled, OrderExpired, OrderRejected, PhaseChanged,
                                           ReferencePriceChanged, TradeExecuted, TradingHalted)
from services.matching.core.instrument import CircuitBreaker, InstrumentRules
from services.matching.core.selection import choose

MatchingEngine, BUILD = choose()

__all__ = [
    "AdvanceClock", "AmendOrder", "BUILD", "BandOverrideChanged", "BookDelta", "CancelOrder", "ChangePhase",
    "CircuitBreaker", "ClearBandOverride", "CommandRejected", "Event", "InstrumentRules", "MassCancel",
    "MatchingEngine", "OrderAccepted", "OrderAmended", "OrderCancelled", "OrderExpired", "OrderRejected", "PhaseChanged",
    "ReferencePriceChanged", "SetBandOverride", "SetReferencePrice", "SubmitOrder", "TradeExecuted", "TradingHalted",
]
