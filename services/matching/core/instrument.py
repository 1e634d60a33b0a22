"""An instrument's trading rules: tick, lot, order size limits, static price band, circuit breaker, STP default."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from services.matching.core.vocabulary import STP_MODES, STP_NONE
from shared.bands import band_limits


@dataclass(frozen=True, slots=True)
class CircuitBreaker:
    """Halt the instrument when a trade would move the price more than `max_move` from the price
    `window_ms` business milliseconds ago.

    "The price `window_ms` ago" is the last trade at or before `now - window_ms`; with no trade that old it
    is the reference price, and with no reference price the oldest trade inside the window. With none of
    these there is nothing to compare against and the breaker cannot trip.
    """

    max_move: Fraction
    window_ms: int

    def __post_init__(self) -> None:
        if not isinstance(self.max_move, Fraction) or self.max_move < 0:
            raise ValueError("max_move must be a non-negative Fraction")
        if type(self.window_ms) is not int or self.window_ms <= 0:
            raise ValueError("window_ms must be a positive integer")


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    """Static rules of one instrument. Prices in minor units per tonne, quantities in tonnes.

    `price_band` is the static band around the reference price (e.g. Fraction(1, 10) for ±10%); None means
    no band (EU-style venues). `default_stp` applies to orders that do not choose a self-trade mode.
    """

    instrument: str
    tick: int = 1
    lot: int = 1
    min_quantity: int | None = None
    max_quantity: int | None = None
    price_band: Fraction | None = None
    circuit_breaker: CircuitBreaker | None = None
    default_stp: str = STP_NONE

    def __post_init__(self) -> None:
        for name in ("tick", "lot"):
            value = getattr(self, name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"{name} must be a positive integer")
        for name in ("min_quantity", "max_quantity"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value <= 0):
                raise ValueError(f"{name} must be a positive integer or None")
        if self.price_band is not None and (not isinstance(self.price_band, Fraction) or self.price_band < 0):
            raise ValueError("price_band must be a non-negative Fraction or None")
        if self.default_stp not in STP_MODES:
            raise ValueError(f"unknown self-trade prevention mode {self.default_stp!r}")

    def band_limits(self, reference_price: int | None) -> tuple[int, int] | None:
        """The lowest and highest price the static band allows, or None when there is no band."""
        return band_limits(self.price_band, reference_price)

    def to_dict(self) -> dict:
        breaker = self.circuit_breaker
        return {
            "instrument": self.instrument,
            "tick": self.tick,
            "lot": self.lot,
            "min_quantity": self.min_quantity,
            "max_quantity": self.max_quantity,
            "price_band": None if self.price_band is None else str(self.price_band),
            "circuit_breaker": None if breaker is None else {
                "max_move": str(breaker.max_move), "window_ms": breaker.window_ms,
            },
            "default_stp": self.default_stp,
        }

    @classmethod
    def from_dict(cls, data: dict) -> InstrumentRules:
        breaker = data["circuit_breaker"]
        return cls(
            instrument=data["instrument"],
            tick=data["tick"],
            lot=data["lot"],
            min_quantity=data["min_quantity"],
            max_quantity=data["max_quantity"],
            price_band=None if data["price_band"] is None else Fraction(data["price_band"]),
            circuit_breaker=None if breaker is None else CircuitBreaker(
                max_move=Fraction(breaker["max_move"]), window_ms=breaker["window_ms"],
            ),
            default_stp=data["default_stp"],
        )

