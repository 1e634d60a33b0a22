"""Snapshot format of a MatchingEngine: a plain JSON-serialisable dict, and its parsing back into parts.

Resting orders are listed in the engine's order-table order with their priority; each price level's queue
is rebuilt by sorting on priority (a level's queue is always in priority order).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.matching.core.book import Order
from services.matching.core.instrument import InstrumentRules

FORMAT = 1

# A snapshot taken before "commands" or "min_fill" existed lists fewer fields: the missing ones take their defaults.
_ORDER_FIELDS = ("order_id", "account", "registry", "side", "price", "remaining", "order_type", "time_in_force",
                 "expire_at", "stp", "priority")


@dataclass(frozen=True, slots=True)
class EngineState:
    rules: InstrumentRules
    phase: str
    seq: int
    trade_seq: int
    reference_price: int | None
    last_trade_price: int | None
    breaker: dict | None
    orders: list[Order]
    known_order_ids: set[str]
    mass_cancels: list[str]
    band_override: tuple[int, int] | None = None
    session_clip: tuple[int, int] | None = None
    band_reason: str = ""
    band_pinned: bool = False


def dump(engine) -> dict:
    """The engine's state (duck-typed, to keep this module free of the engine import)."""
    return {
        "format": FORMAT,
        "rules": engine.rules.to_dict(),
        "phase": engine.phase,
        "seq": engine.seq,
        "trade_seq": engine.trade_seq,
        "reference_price": engine.reference_price,
        "last_trade_price": engine.last_trade_price,
        "breaker": engine.breaker.to_dict() if engine.breaker is not None else None,
        "orders": [[*(getattr(order, name) for name in _ORDER_FIELDS), list(order.commands), order.min_fill]
                   for order in engine.orders.values()],
        "known_order_ids": sorted(engine.known_order_ids),
        "mass_cancels": list(engine.mass_cancels),
        "band_override": None if engine.band_override is None else list(engine.band_override),
        "session_clip": None if engine.session_clip is None else list(engine.session_clip),
        "band_reason": engine.band_reason,
        "band_pinned": engine.band_pinned,
    }


def parse(data: dict) -> EngineState:
    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported matching snapshot format {data.get('format')!r}")
    return EngineState(
        rules=InstrumentRules.from_dict(data["rules"]),
        phase=data["phase"],
        seq=data["seq"],
        trade_seq=data["trade_seq"],
        reference_price=data["reference_price"],
        last_trade_price=data["last_trade_price"],
        breaker=data["breaker"],
        orders=[_order(fields) for fields in data["orders"]],
        known_order_ids=set(data["known_order_ids"]),
        mass_cancels=data.get("mass_cancels", []),
        band_override=_pair(data.get("band_override")),
        session_clip=_pair(data.get("session_clip")),
        band_reason=data.get("band_reason", ""),
        band_pinned=data.get("band_pinned", False),
    )


def _order(fields: list) -> Order:
    """A resting order from its snapshot fields (`_ORDER_FIELDS`, then the amends' ids and the minimum fill)."""
    commands = tuple(fields[11]) if len(fields) > 11 else ()
    return Order(*fields[:11], commands, fields[12] if len(fields) > 12 else 1)


def _pair(value: list[int] | None) -> tuple[int, int] | None:
    """A price range; absent from snapshots taken before band overrides existed."""
    return None if value is None else (value[0], value[1])
