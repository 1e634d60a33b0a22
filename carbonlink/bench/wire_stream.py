"""The core benchmark's seeded order stream as `orders.commands` messages for one instrument, and what the pure
core makes of it: the service benchmark publishes it, the recovery tests compare the service against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.matching import core
from carbonlink.bench.streams import generate_stream
from services.matching.core import MatchingEngine
from services.matching.translate import command_of, rules_of
from shared.envelope import encode
from shared.messages import envelope_for
from shared.messages import order_commands as wire
from shared.messages.vocabulary import Message

START_TS = 1_700_000_000_000


@dataclass(frozen=True, slots=True)
class WireCommand:
    message: Message
    occurred_at: int

    def encoded(self, instrument: str, n: int) -> bytes:
        """The envelope bytes; `n` numbers the command within the stream (for its event id)."""
        return encode(envelope_for(self.message, event_id=f"{instrument}:cmd{n}", occurred_at=self.occurred_at,
                                   correlation_id=getattr(self.message, "order_id", "")))


def setup_commands(instrument: str) -> list[WireCommand]:
    """Configure `instrument` (tick 1, lot 1, no band, no self-trade prevention) and open continuous trading."""
    return [
        WireCommand(wire.ConfigureInstrument(instrument=instrument, registry="CN-BJ", currency="CNY",
                                             unit_asset="U:CN-BJ:ALLOWANCE:2025", tick=1, lot=1, min_quantity=1,
                                             self_trade_prevention="NONE"), START_TS),
        WireCommand(wire.ChangePhase(instrument=instrument, phase="CONTINUOUS"), START_TS),
    ]


def order_commands(instrument: str, n_orders: int, seed: int = 7) -> list[WireCommand]:
    """The standard stream (`carbonlink.bench.streams.generate_stream`), order ids prefixed by the instrument."""
    prefix = f"{instrument}-"
    out: list[WireCommand] = []
    for command in generate_stream(n_orders, seed):
        ts = START_TS + 1 + command.ts
        match command:
            case core.SubmitOrder():
                order_id = prefix + command.order_id
                message = wire.SubmitOrder(
                    order_id=order_id, client_order_id=order_id, instrument=instrument, account=command.account,
                    side=command.side, order_type=command.order_type, time_in_force=command.time_in_force,
                    price=command.price, quantity=command.quantity)
            case core.CancelOrder():
                message = wire.CancelOrder(order_id=prefix + command.order_id, instrument=instrument)
            case core.AmendOrder():
                message = wire.AmendOrder(order_id=prefix + command.order_id, instrument=instrument,
                                          price=command.price, quantity=command.quantity)
        out.append(WireCommand(message, ts))
    return out


def reference_run(commands: list[WireCommand]) -> tuple[MatchingEngine, list[list[core.Event]]]:
    """The pure core over `commands` (one instrument, configured once without a reference price), as the service
    runs it: the final engine and each command's events."""
    engine: MatchingEngine | None = None
    events: list[list[core.Event]] = []
    for command in commands:
        if isinstance(command.message, wire.ConfigureInstrument):
            engine = MatchingEngine(rules_of(command.message))
            events.append([])
        else:
            events.append(engine.handle(command_of(command.message, command.occurred_at)))
    return engine, events
