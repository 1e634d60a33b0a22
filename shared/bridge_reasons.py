"""Stable numeric reason codes of bridge decisions, in the spirit of the Kyoto transaction log's response codes.

Numbers never change meaning once published; docs/bridge-reason-codes.md is the reference table. They live in
``shared`` because order entry refuses a cross-border order the link cannot carry with the same code the bridge
would give at settlement. Standard library only.
"""

from __future__ import annotations

from enum import IntEnum


class ReasonCode(IntEnum):
    """Why the bridge refused (or deferred) a cross-registry delivery."""

    LINK_NOT_FOUND = 7101
    SAME_REGISTRY = 7102
    LINK_NOT_YET_EFFECTIVE = 7103
    LINK_EXPIRED = 7104
    LINK_SUSPENDED = 7105
    LINK_TERMINATED = 7106
    UNIT_TYPE_NOT_ELIGIBLE = 7111
    VINTAGE_NOT_ELIGIBLE = 7112
    ORIGIN_NOT_ELIGIBLE = 7113
    SENDER_ACCOUNT_BLOCKED = 7121
    RECEIVER_ACCOUNT_BLOCKED = 7122
    UNITS_NOT_HELD_BY_SENDER = 7123
    OUTSIDE_SETTLEMENT_WINDOW = 7131
    NO_WINDOW_BEFORE_EXPIRY = 7132
    ZERO_DELIVERED_AFTER_CONVERSION = 7141
    PERIOD_CAP_EXCEEDED = 7151
    ACCOUNT_CAP_EXCEEDED = 7152
    OBLIGATION_SHARE_EXCEEDED = 7153
    LOCAL_ORIGIN_SHARE_BREACHED = 7154
    HOLDING_LIMIT_EXCEEDED = 7155
    LEDGER_REFUSED = 7191

    @property
    def message(self) -> str:
        """The human sentence for this code (the stable part; decisions add details)."""
        return _MESSAGES[self]


_MESSAGES: dict[ReasonCode, str] = {
    ReasonCode.LINK_NOT_FOUND: "No linkage agreement lets units move from the seller's registry into the buyer's.",
    ReasonCode.SAME_REGISTRY: "Seller and buyer are in the same registry: not a cross-border delivery.",
    ReasonCode.LINK_NOT_YET_EFFECTIVE: "The linkage agreement is not yet in force.",
    ReasonCode.LINK_EXPIRED: "The linkage agreement is no longer in force.",
    ReasonCode.LINK_SUSPENDED: "The link is suspended.",
    ReasonCode.LINK_TERMINATED: "The link is terminated.",
    ReasonCode.UNIT_TYPE_NOT_ELIGIBLE: "This unit type may not cross the link.",
    ReasonCode.VINTAGE_NOT_ELIGIBLE: "This vintage may not cross the link.",
    ReasonCode.ORIGIN_NOT_ELIGIBLE: "Units of this origin may not cross the link.",
    ReasonCode.SENDER_ACCOUNT_BLOCKED: "The seller's account is blocked.",
    ReasonCode.RECEIVER_ACCOUNT_BLOCKED: "The buyer's account is blocked.",
    ReasonCode.UNITS_NOT_HELD_BY_SENDER: "The seller does not hold the units to deliver.",
    ReasonCode.OUTSIDE_SETTLEMENT_WINDOW: "The link's settlement window is closed; settlement waits for the next one.",
    ReasonCode.NO_WINDOW_BEFORE_EXPIRY: "The link's next settlement window opens only after the agreement ends.",
    ReasonCode.ZERO_DELIVERED_AFTER_CONVERSION: "Nothing would be delivered after conversion and levies.",
    ReasonCode.PERIOD_CAP_EXCEEDED: "The link's cap for this period would be exceeded.",
    ReasonCode.ACCOUNT_CAP_EXCEEDED: "The buyer's cap on this link for this period would be exceeded.",
    ReasonCode.OBLIGATION_SHARE_EXCEEDED: (
        "The share of the buyer's compliance obligation these units may cover would be exceeded."
    ),
    ReasonCode.LOCAL_ORIGIN_SHARE_BREACHED: (
        "The minimum share of local-origin units in the buyer's counted units would be breached."
    ),
    ReasonCode.HOLDING_LIMIT_EXCEEDED: "The buyer's holding limit would be exceeded.",
    ReasonCode.LEDGER_REFUSED: "The registries' ledger refused the delivery (e.g. an unknown account or a cash leg "
                               "that does not fit the buyer's hold); nothing moved.",
}

#: Codes the service's atomic executor answers with; the pure rule engine never returns them.
EXECUTOR_CODES = frozenset({ReasonCode.LEDGER_REFUSED})
