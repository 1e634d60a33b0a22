"""Commands the matching core takes. Each carries its business time `ts` (ms); the core never reads a clock.

The engine serves one instrument, so commands do not name it; the service routes by instrument.

An amend or a mass cancel may carry `command_id`, the id it was sent under: order entry sends a command again
until it sees the outcome, and the engine decides each id once (see `MatchingEngine`, "Commands sent again").
"""

from __future__ import annotations

from dataclasses import dataclass

from services.matching.core.reasons import CANCEL_MASS
from services.matching.core.vocabulary import GTC, LIMIT


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    """A new order. `price` is None for MARKET; `expire_at` (business ms) is required for GTD.

    `stp` chooses the self-trade prevention mode (None: the instrument's default). `registry` overrides the
    registry derived from the account id (`{registry}/{name}`) for mass cancels by registry. `min_fill` is the
    smallest execution the order accepts, at most its quantity (1: any; see `min_fill`).
    """

    order_id: str
    account: str
    side: str
    quantity: int
    price: int | None = None
    order_type: str = LIMIT
    time_in_force: str = GTC
    ts: int = 0
    expire_at: int | None = None
    stp: str | None = None
    registry: str | None = None
    min_fill: int = 1


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    ts: int = 0


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Change a resting order. `quantity` is the new open (remaining) quantity; None keeps price or quantity."""

    order_id: str
    price: int | None = None
    quantity: int | None = None
    ts: int = 0
    command_id: str = ""


@dataclass(frozen=True, slots=True)
class MassCancel:
    """Cancel every resting order of an account, of a registry's accounts, or (both None) of the instrument.

    With both given an order must match both.
    """

    account: str | None = None
    registry: str | None = None
    reason: str = CANCEL_MASS
    ts: int = 0
    command_id: str = ""


@dataclass(frozen=True, slots=True)
class ChangePhase:
    """Move to another trading phase; `reference_price`, when given, is set before the change takes effect."""

    phase: str
    reference_price: int | None = None
    ts: int = 0


@dataclass(frozen=True, slots=True)
class AdvanceClock:
    """Business time is now `ts`: GTD orders whose `expire_at` is at or before it expire."""

    ts: int


@dataclass(frozen=True, slots=True)
class SetReferencePrice:
    """Set the reference price (e.g. the previous close) the static band and auction tie-break use."""

    price: int
    ts: int = 0


@dataclass(frozen=True, slots=True)
class SetBandOverride:
    """From the next reference price on, the band may not leave `low`..`high` (see `shared.bands.narrow`), nor the
    override already held: the two intersect (`shared.bands.intersect`; `pin`, "LOW" or "HIGH", is the limit kept
    when they have no price in common)."""

    low: int
    high: int
    reason: str = ""
    ts: int = 0
    pin: str | None = None


@dataclass(frozen=True, slots=True)
class ClearBandOverride:
    """From the next reference price on, the static band applies alone."""

    ts: int = 0
