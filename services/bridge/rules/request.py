"""What the rule engine is asked: one cross-registry delivery, and the usage counters it is judged against."""

from __future__ import annotations

from dataclasses import dataclass

from .units import UnitClass, registry_of


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferRequest:
    """Deliver ``quantity`` units of ``unit_class`` from the seller's account to the buyer's, for one trade.

    ``matched_at`` is when the trade was matched; ``time`` is the business time of this evaluation.
    """

    trade_id: str
    seller_account: str
    buyer_account: str
    unit_class: UnitClass
    quantity: int
    matched_at: int
    time: int

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError("quantity must be a positive number of tonnes")
        registry_of(self.seller_account)
        registry_of(self.buyer_account)

    @property
    def from_registry(self) -> str:
        return registry_of(self.seller_account)

    @property
    def to_registry(self) -> str:
        return registry_of(self.buyer_account)


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Counters read by the adapter for the request's period, before evaluation. Quantities in tonnes.

    - ``link_period_delivered``: delivered through this link (this direction) in the period;
    - ``account_period_delivered``: delivered to the buyer's account through this link in the period;
    - ``obligation``: the buyer's compliance obligation for the period (0 when it has none);
    - ``obligation_units_counted``: units already counted against the obligation-share limit;
    - ``local_units_counted`` / ``foreign_units_counted``: units counted under the local-origin rule,
      by whether their origin is the receiving registry;
    - ``receiver_holding`` / ``receiver_holding_limit``: the buyer's holding as its holding limit counts it;
    - ``sender_held``: units of the class held for this trade by the seller (reserved or in trade hold);
    - ``units_already_adjusted``: a corresponding adjustment was already recorded for these units.
    """

    sender_held: int
    link_period_delivered: int = 0
    account_period_delivered: int = 0
    obligation: int = 0
    obligation_units_counted: int = 0
    local_units_counted: int = 0
    foreign_units_counted: int = 0
    receiver_holding: int = 0
    receiver_holding_limit: int | None = None
    sender_blocked: bool = False
    receiver_blocked: bool = False
    units_already_adjusted: bool = False
