"""Redis key layout of market oversight: what the operator configures and what oversight publishes.

Who writes what:
- order entry (operator API) writes ownership groups, position thresholds and purchase limits;
- oversight writes the alert list, the published positions and the purchases per account and period,
  all derived from the event topics (rebuilt by replaying them; idempotent per event id).
Order entry reads the alerts and positions for its API, and the purchases for its pre-trade check.
"""

from __future__ import annotations

#: Hash: account id → ownership group (the beneficial owner's name). Accounts not in it own themselves.
OWNERSHIP_GROUPS = "ovs:owners"

#: Strings: the version of the ownership groups (raised by every change) and the version oversight applies.
OWNERSHIP_VERSION = "ovs:owners:version"
OWNERSHIP_APPLIED = "ovs:owners:applied"

#: String: the surveillance thresholds the operator set, as JSON (shared.surveillance.ThresholdOverrides).
THRESHOLDS = "ovs:thresholds"

#: Hash: registry id → holding (tonnes) above which an account's position in a unit class is published.
POSITION_THRESHOLDS = "ovs:position-thresholds"

#: Hash: account id → tonnes the account may buy per purchase period.
PURCHASE_LIMITS = "ovs:purchase-limits"

#: Hash: alert id → AlertRaised as JSON (with ``at``, the business time of the triggering event).
ALERTS = "ovs:alerts"

#: Sorted set: alert id scored by the business time it was raised (the listing order).
ALERT_INDEX = "ovs:alerts:index"

#: Hash: topic → the latest business time (ms) of an event oversight has judged on it (how far it caught up).
PROGRESS = "ovs:progress"

#: Purchase periods are calendar days (UTC) of business time.
PURCHASE_PERIOD_MS = 86_400_000


def positions(asset: str) -> str:
    """Hash: account id → holding (tonnes) of one unit class, for accounts above their registry's threshold."""
    return f"ovs:positions:{asset}"


#: Set: the unit classes (asset codes) that have a positions hash.
POSITION_ASSETS = "ovs:positions:assets"


def purchase_period(at_ms: int) -> int:
    """The purchase period (UTC day number) business time ``at_ms`` falls in."""
    return at_ms // PURCHASE_PERIOD_MS


def purchases(account: str, period: int) -> str:
    """String: tonnes the account bought (trades settled) in the period."""
    return f"ovs:purchased:{account}:{period}"


def purchase_counted(trade_id: str) -> str:
    """String marker: the trade's purchase was counted (SET NX in the same script that counts it)."""
    return f"ovs:purchase-counted:{trade_id}"


def corridor_readings(link_id: str) -> str:
    """Hash: instrument → JSON of the market's latest reading under the link's corridor (last trade price,
    its converted reference price, where it stands, the touch converted likewise)."""
    return f"ovs:corridor:{link_id}"
